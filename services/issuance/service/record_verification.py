"""RecordVerification: the engaged, accredited verifier confirms a report's tonnes (step 5)."""

from __future__ import annotations

from services.issuance.domain.commands import RecordVerification
from services.issuance.service.ports import Clock, RegistryPort, UnitOfWork
from services.issuance.service.record_validation import engaged_verifier_accredited
from services.issuance.service.results import ReportRef


def handle(cmd: RecordVerification, uow: UnitOfWork, *, registry: RegistryPort, clock: Clock) -> ReportRef:
    project_id = uow.reports.get_report(cmd.report_id).report.project_id
    accredited = engaged_verifier_accredited(uow, project_id, cmd.actor, cmd.token, registry, "recordVerification")
    now = clock()
    project = uow.projects.get_project(project_id, for_update=True)
    report = uow.reports.get_report(cmd.report_id, for_update=True).report
    report.record_verification(
        actor=cmd.actor,
        project=project,
        verified_quantity_t=cmd.verified_quantity_t,
        verifier_accredited=accredited,
        at=now,
    )
    uow.reports.save_verification(report)
    return ReportRef(cmd.report_id)
