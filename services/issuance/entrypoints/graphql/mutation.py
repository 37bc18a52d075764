"""The issuance subgraph's mutations: each maps its input to a command, sends it through the message
bus (which runs the handler in one unit of work, with idempotency and outbox) and answers with the
entity the result names, as the read model shows it after the commit."""

from __future__ import annotations

from typing import Any

import strawberry

from carbon_runtime.errors import invalid
from carbon_runtime.messaging.bus import MessageBus
from carbon_runtime.transport.blocking import blocking
from services.issuance.domain import commands
from services.issuance.domain.duplicates import RegistrationStatus
from services.issuance.domain.project import ValidationOutcome
from services.issuance.entrypoints import imports
from services.issuance.entrypoints.graphql import mappers
from services.issuance.entrypoints.graphql.inputs import (
    CreateProjectInput,
    ImportRegistryExportInput,
    IssueCreditsInput,
    MethodologyInput,
    ProgramInput,
    RecordValidationInput,
    RecordVerificationInput,
    ReportReversalInput,
    SubmitMonitoringReportInput,
)
from services.issuance.entrypoints.graphql.types import (
    CreditBatch,
    ImportSummary,
    Info,
    Methodology,
    MonitoringReport,
    Program,
    Project,
    ReversalReport,
    load_batch,
    load_methodology,
    load_program,
    load_report,
    must_project,
)
from services.issuance.service import results


def _bus(info: Info) -> MessageBus[Any]:
    bus: MessageBus[Any] = info.context.extras["bus"]
    return bus


def _caller(info: Info) -> dict[str, Any]:
    return mappers.caller(info.context.principal)


def _project(info: Info, cmd: object) -> Project:
    ref: results.ProjectRef = _bus(info).handle(cmd)
    return must_project(info, ref.project_id)


def _report(info: Info, cmd: object) -> MonitoringReport:
    ref: results.ReportRef = _bus(info).handle(cmd)
    report = load_report(info, ref.report_id)
    assert report is not None  # the handler just wrote it
    return report


def _program(info: Info, cmd: object) -> Program:
    ref: results.ProgramRef = _bus(info).handle(cmd)
    program = load_program(info, ref.program_id)
    assert program is not None
    return program


def _methodology(info: Info, cmd: object) -> Methodology:
    ref: results.MethodologyRef = _bus(info).handle(cmd)
    methodology = load_methodology(info, ref.methodology_id)
    assert methodology is not None
    return methodology


@strawberry.type
class Mutation:
    @strawberry.mutation
    @blocking
    def create_project(self, info: Info, input: CreateProjectInput) -> Project:
        return _project(info, mappers.create_project(input, info.context.principal))

    @strawberry.mutation
    @blocking
    def request_validation(self, info: Info, project_id: strawberry.ID) -> Project:
        return _project(info, commands.RequestValidation(**_caller(info), project_id=str(project_id)))

    @strawberry.mutation
    @blocking
    def record_validation(self, info: Info, input: RecordValidationInput) -> Project:
        cmd = commands.RecordValidation(
            **_caller(info),
            project_id=str(input.project_id),
            outcome=ValidationOutcome(input.outcome.value),
            comment=input.comment,
        )
        return _project(info, cmd)

    @strawberry.mutation
    @blocking
    def register_project(self, info: Info, project_id: strawberry.ID) -> Project:
        return _project(info, commands.RegisterProject(**_caller(info), project_id=str(project_id)))

    @strawberry.mutation
    @blocking
    def submit_monitoring_report(self, info: Info, input: SubmitMonitoringReportInput) -> MonitoringReport:
        return _report(info, mappers.submit_monitoring_report(input, info.context.principal))

    @strawberry.mutation
    @blocking
    def record_verification(self, info: Info, input: RecordVerificationInput) -> MonitoringReport:
        cmd = commands.RecordVerification(
            **_caller(info),
            report_id=str(input.monitoring_report_id),
            verified_quantity_t=int(input.verified_quantity),
        )
        return _report(info, cmd)

    @strawberry.mutation(description="PROGRAM_ADMIN: import registry exports; importing them again changes nothing.")
    @blocking
    def import_registry_export(self, info: Info, input: ImportRegistryExportInput) -> ImportSummary:
        report = imports.import_registry_export(
            _bus(info),
            info.context.extras["import_registry"],
            info.context.principal,
            [(f.name, f.content) for f in input.files],
        )
        return mappers.import_summary(report)

    @strawberry.mutation
    @blocking
    def issue_credits(self, info: Info, input: IssueCreditsInput) -> CreditBatch:
        cmd = commands.IssueCredits(
            **_caller(info),
            monitoring_report_id=str(input.monitoring_report_id),
            account_id=str(input.account_id),
            idempotency_key=input.idempotency_key,
        )
        ref: results.BatchRef = _bus(info).handle(cmd)
        batch = load_batch(info, ref.batch_id)
        assert batch is not None
        return batch

    @strawberry.mutation(description="By the proponent or a program admin; issued credits stay valid.")
    @blocking
    def withdraw_project(self, info: Info, project_id: strawberry.ID, reason: str) -> Project:
        return _project(info, commands.WithdrawProject(**_caller(info), project_id=str(project_id), reason=reason))

    @strawberry.mutation(description="The engaged verifier sends the design back to the proponent (to DRAFT).")
    @blocking
    def request_changes(self, info: Info, project_id: strawberry.ID, comment: str) -> Project:
        return _project(info, commands.RequestChanges(**_caller(info), project_id=str(project_id), comment=comment))

    @strawberry.mutation(description="The proponent engages an accredited verifier while the project is a draft.")
    @blocking
    def engage_verifier(self, info: Info, project_id: strawberry.ID, verifier_id: strawberry.ID) -> Project:
        cmd = commands.EngageVerifier(**_caller(info), project_id=str(project_id), verifier_id=str(verifier_id))
        return _project(info, cmd)

    @strawberry.mutation(description="A program admin records that a possibly duplicate registration was closed.")
    @blocking
    def clear_duplicate_flag(self, info: Info, project_id: strawberry.ID, registration_id: str, status: str) -> Project:
        closed = mappers.enum_value(RegistrationStatus, status, "status")
        assert closed is not None
        cmd = commands.ClearDuplicateFlag(
            **_caller(info), project_id=str(project_id), registration_id=registration_id, status=closed
        )
        return _project(info, cmd)

    @strawberry.mutation(description="A removal was lost; the program buffer covers it, any shortfall holds issuance.")
    @blocking
    def report_reversal(self, info: Info, input: ReportReversalInput) -> ReversalReport:
        cmd = commands.ReportReversal(
            **_caller(info),
            project_id=str(input.project_id),
            quantity_t=int(input.quantity),
            occurred_on=input.occurred_on,
            description=input.description,
            batch_id=str(input.batch_id) if input.batch_id else None,
            idempotency_key=input.idempotency_key,
        )
        ref: results.ReversalRef = _bus(info).handle(cmd)
        return ReversalReport(id=strawberry.ID(ref.reversal_id), project_id=ref.project_id)

    @strawberry.mutation
    @blocking
    def create_program(self, info: Info, input: ProgramInput) -> Program:
        return _program(info, mappers.program_change(commands.CreateProgram, input, info.context.principal))

    @strawberry.mutation
    @blocking
    def update_program(self, info: Info, input: ProgramInput) -> Program:
        return _program(info, mappers.program_change(commands.UpdateProgram, input, info.context.principal))

    @strawberry.mutation
    @blocking
    def create_methodology(self, info: Info, input: MethodologyInput) -> Methodology:
        cmd = mappers.methodology_change(commands.CreateMethodology, input, "", info.context.principal)
        return _methodology(info, cmd)

    @strawberry.mutation
    @blocking
    def update_methodology(self, info: Info, input: MethodologyInput) -> Methodology:
        if input.id is None:
            raise invalid("REQUIRED_FIELD", "id names the methodology to update", field="id")
        cmd = mappers.methodology_change(commands.UpdateMethodology, input, str(input.id), info.context.principal)
        return _methodology(info, cmd)
