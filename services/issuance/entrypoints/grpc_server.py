"""carbon.issuance.v1.IssuanceService: read access for peers (registry, trading, reporting).

Everything read here is public registry data, so any caller (even without a token) may read it, from
the read model (no bus). The two import commands (ImportProject, ImportBatch) are PROGRAM_ADMIN only:
their requests map to the ImportProject/ImportBatch commands (the same the GraphQL export import
sends), run through the message bus with the caller's verified principal, and the handler's result
maps to the response (no re-read)."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from carbon.issuance.v1 import issuance_pb2, issuance_pb2_grpc, types_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from carbon_runtime.errors import invalid, not_found, precondition
from carbon_runtime.messaging.bus import MessageBus
from carbon_runtime.transport.auth import Principal
from carbon_runtime.transport.blocking import in_thread
from carbon_runtime.transport.grpc_runtime import current_principal
from carbon_runtime.vocabulary import (
    Authorization,
    CreditBasis,
    CreditCategory,
    CreditType,
    ProjectStatus,
    proto_prefix,
)
from services.issuance.adapters.read_model import BatchView, ProgramView, ProjectView, ReadModel
from services.issuance.domain import commands
from services.issuance.domain.events import CreditAttributes
from services.issuance.entrypoints.caller import actor_of
from services.issuance.service.messages import credit_attributes_pb, enum_pb
from services.issuance.service.results import ImportedBatch, ImportedProject

SERVICE_NAME = "carbon.issuance.v1.IssuanceService"
E = TypeVar("E", bound=enum.StrEnum)

#: The smallest buffer share any removal project sets aside (reversal risk LOW); the actual share of
#: an issuance depends on the project's assessed reversal risk.
MIN_BUFFER_SHARE = "0.10"


def _timestamp(at: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(at if at.tzinfo is not None else at.replace(tzinfo=UTC))
    return ts


def _enum_member(kind: type[E], proto_enum: Any, number: int) -> E | None:
    """A proto enum number as the shared vocabulary's member; None when unspecified or unknown."""
    try:
        return kind(str(proto_enum.Name(number)).removeprefix(proto_prefix(kind.__name__)))
    except ValueError:
        return None


def _optional_iso_date(text: str, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise invalid("INVALID_DATE", f"{field} must be an ISO date (YYYY-MM-DD), got {text!r}", field=field) from None


def import_project_command(request: issuance_pb2.ImportProjectRequest, principal: Principal) -> commands.ImportProject:
    actor = actor_of(principal)
    return commands.ImportProject(
        actor=actor,
        token=principal.token,
        origin_registry=request.origin_registry,
        program_id=request.program_id,
        origin_project_id=request.origin_project_id,
        name=request.name,
        country=request.country,
        methodology_code=request.methodology_code,
        credit_type=_enum_member(CreditType, types_pb2.CreditType, request.credit_type),
        basis=_enum_member(CreditBasis, types_pb2.CreditBasis, request.basis),
        sector=request.sector,
        family=request.family,
        project_type=request.project_type,
        record_key=request.idempotency_key,
        crediting_period_start=_optional_iso_date(request.crediting_period_start, "crediting_period_start"),
        crediting_period_end=_optional_iso_date(request.crediting_period_end, "crediting_period_end"),
    )


def import_project_response(result: ImportedProject) -> issuance_pb2.ImportProjectResponse:
    return issuance_pb2.ImportProjectResponse(
        project_id=result.project_id,
        methodology_id=result.methodology_id,
        created=result.created,
        methodology_created=result.methodology_created,
    )


def import_batch_command(request: issuance_pb2.ImportBatchRequest, principal: Principal) -> commands.ImportBatch:
    actor = actor_of(principal)
    return commands.ImportBatch(
        actor=actor,
        token=principal.token,
        import_key=request.idempotency_key,
        project_id=request.project_id,
        origin_registry=request.origin_registry,
        origin_batch_id=request.origin_batch_id,
        vintage_start=request.vintage_start,
        vintage_end=request.vintage_end,
        issued_quantity_t=int(request.issued_quantity_t),
        buffer_quantity_t=int(request.buffer_quantity_t),
        issued_on=request.issued_on,
        numbering_scope=request.numbering_scope,
        origin_unit_start=int(request.origin_unit_start),
        origin_unit_end=int(request.origin_unit_end),
        origin_serial_start=request.origin_serial_start,
        origin_serial_end=request.origin_serial_end,
        origin_serial=request.origin_serial,
        country=request.country,
    )


def import_batch_response(result: ImportedBatch) -> issuance_pb2.ImportBatchResponse:
    return issuance_pb2.ImportBatchResponse(
        batch_id=result.batch_id, serial_start=result.serial_start, serial_end=result.serial_end
    )


class IssuanceServicer(issuance_pb2_grpc.IssuanceServiceServicer):
    def __init__(self, reads: ReadModel, bus: MessageBus[Any] | None = None) -> None:
        self.reads = reads
        self.bus = bus

    def _bus(self) -> MessageBus[Any]:
        if self.bus is None:
            raise precondition("IMPORTS_DISABLED", "this issuance process does not accept imports")
        return self.bus

    async def ImportProject(  # noqa: N802
        self, request: issuance_pb2.ImportProjectRequest, context: Any
    ) -> issuance_pb2.ImportProjectResponse:
        cmd = import_project_command(request, current_principal())
        return import_project_response(await in_thread(self._bus().handle, cmd))

    async def ImportBatch(  # noqa: N802
        self, request: issuance_pb2.ImportBatchRequest, context: Any
    ) -> issuance_pb2.ImportBatchResponse:
        cmd = import_batch_command(request, current_principal())
        return import_batch_response(await in_thread(self._bus().handle, cmd))

    def _program(self, p: ProgramView) -> issuance_pb2.Program:
        return issuance_pb2.Program(
            program_id=p.program_id,
            name=p.name,
            buffer_share_decimal=MIN_BUFFER_SHARE,
            methodologies=[
                issuance_pb2.Methodology(
                    methodology_id=m.methodology_id,
                    program_id=m.program_id,
                    title=m.title,
                    credit_type=enum_pb(CreditType(m.credit_type)),  # type: ignore[arg-type]
                    basis=enum_pb(CreditBasis(m.basis)),  # type: ignore[arg-type]
                )
                for m in self.reads.methodologies(p.program_id)
            ],
        )

    @staticmethod
    def _project(p: ProjectView) -> issuance_pb2.Project:
        return issuance_pb2.Project(
            project_id=p.project_id,
            name=p.name,
            program_id=p.program_id,
            methodology_id=p.methodology_id,
            country=p.country,
            proponent_organization_id=p.proponent_org_id,
            verifier_organization_id=p.verifier_org_id or "",
            status=enum_pb(ProjectStatus(p.status)),  # type: ignore[arg-type]
            co_benefits=list(p.co_benefits),
            crediting_period_start=p.crediting_period_start.isoformat() if p.crediting_period_start else "",
            crediting_period_end=p.crediting_period_end.isoformat() if p.crediting_period_end else "",
            created_at=_timestamp(p.created_at),
        )

    @staticmethod
    def _batch(b: BatchView) -> issuance_pb2.CreditBatch:
        attributes = CreditAttributes(
            project_id=b.project_id,
            program_id=b.program_id,
            methodology_id=b.methodology_id,
            country=b.country,
            vintage_start=b.vintage_start,
            vintage_end=b.vintage_end,
            credit_type=CreditType(b.credit_type),
            basis=CreditBasis(b.basis),
            category=CreditCategory(b.category),
            corresponding_adjustment=b.corresponding_adjustment,
            # Stored as the proto enum name, e.g. AUTHORIZATION_NDC.
            authorization=Authorization(b.authorization.removeprefix("AUTHORIZATION_")),
            co_benefits=b.co_benefits,
            issuer_organization_id=b.issuer_organization_id,
        )
        return issuance_pb2.CreditBatch(
            batch_id=b.batch_id,
            issuance_id=b.issuance_id,
            monitoring_report_id=b.monitoring_report_id,
            attributes=credit_attributes_pb(attributes),
            project_name=b.project_name,
            program_name=b.program_name,
            methodology_title=b.methodology_title,
            issued_quantity_t=b.issued_quantity_t,
            buffer_quantity_t=b.buffer_quantity_t,
            serial_start=b.serial_start,
            serial_end=b.serial_end,
            holder_account_id=b.holder_account_id,
            issued_at=_timestamp(b.issued_at),
        )

    def _get_program(self, program_id: str) -> issuance_pb2.GetProgramResponse:
        p = self.reads.program(program_id)
        if p is None:
            raise not_found("PROGRAM_NOT_FOUND", f"no program with id {program_id!r}")
        return issuance_pb2.GetProgramResponse(program=self._program(p))

    async def GetProgram(self, request: Any, context: Any) -> issuance_pb2.GetProgramResponse:  # noqa: N802
        return await in_thread(self._get_program, request.program_id)

    def _list_programs(self) -> issuance_pb2.ListProgramsResponse:
        return issuance_pb2.ListProgramsResponse(programs=[self._program(p) for p in self.reads.programs()])

    async def ListPrograms(self, request: Any, context: Any) -> issuance_pb2.ListProgramsResponse:  # noqa: N802
        return await in_thread(self._list_programs)

    def _get_project(self, project_id: str) -> issuance_pb2.GetProjectResponse:
        p = self.reads.project(project_id)
        if p is None:
            raise not_found("PROJECT_NOT_FOUND", f"no project with id {project_id!r}")
        return issuance_pb2.GetProjectResponse(project=self._project(p))

    async def GetProject(self, request: Any, context: Any) -> issuance_pb2.GetProjectResponse:  # noqa: N802
        return await in_thread(self._get_project, request.project_id)

    def _get_batch(self, batch_id: str) -> issuance_pb2.GetCreditBatchResponse:
        b = self.reads.batch(batch_id)
        if b is None:
            raise not_found("BATCH_NOT_FOUND", f"no credit batch with id {batch_id!r}")
        return issuance_pb2.GetCreditBatchResponse(batch=self._batch(b))

    async def GetCreditBatch(self, request: Any, context: Any) -> issuance_pb2.GetCreditBatchResponse:  # noqa: N802
        return await in_thread(self._get_batch, request.batch_id)

    def _list_batches(self, request: Any) -> issuance_pb2.ListCreditBatchesResponse:
        page = self.reads.batches(
            project_id=request.project_id or None,
            program_id=request.program_id or None,
            first=min(request.page_size, 500) if request.page_size > 0 else None,
            after=request.page_token or None,
        )
        return issuance_pb2.ListCreditBatchesResponse(
            batches=[self._batch(b) for b in page.items],
            next_page_token=page.end_cursor or "" if page.has_next_page else "",
        )

    async def ListCreditBatches(self, request: Any, context: Any) -> issuance_pb2.ListCreditBatchesResponse:  # noqa: N802
        return await in_thread(self._list_batches, request)

    def _totals(self, batch_ids: list[str]) -> issuance_pb2.GetIssuedTotalsResponse:
        return issuance_pb2.GetIssuedTotalsResponse(
            totals=[
                issuance_pb2.IssuedTotal(batch_id=bid, issued_quantity_t=issued, buffer_quantity_t=buffer)
                for bid, issued, buffer in self.reads.issued_totals(batch_ids)
            ]
        )

    async def GetIssuedTotals(self, request: Any, context: Any) -> issuance_pb2.GetIssuedTotalsResponse:  # noqa: N802
        return await in_thread(self._totals, list(request.batch_ids))


def register_issuance_service(server: Any, reads: ReadModel, bus: MessageBus[Any] | None = None) -> str:
    issuance_pb2_grpc.add_IssuanceServiceServicer_to_server(IssuanceServicer(reads, bus), server)
    return SERVICE_NAME
