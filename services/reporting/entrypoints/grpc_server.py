"""carbon.reporting.v1.ReportingService over gRPC (the interceptor has already verified the caller).

Protobuf <-> the same commands and queries the GraphQL fields use; each RPC returns what the handler or
query returned, mapped to the response."""

from __future__ import annotations

from typing import Any

from carbon.issuance.v1 import types_pb2 as issuance_types
from carbon.registry.v1 import types_pb2 as registry_types
from carbon.reporting.v1 import reporting_pb2, reporting_pb2_grpc
from google.protobuf.timestamp_pb2 import Timestamp

from carbon_runtime.errors import invalid, not_found
from carbon_runtime.messaging.bus import MessageBus
from carbon_runtime.transport.blocking import in_thread
from carbon_runtime.transport.grpc_runtime import current_principal
from carbon_runtime.vocabulary import UnitStatus
from services.reporting.domain import disclosure, eligibility
from services.reporting.domain.commands import GenerateDisclosureReport, ReconcileBatches
from services.reporting.entrypoints.graphql.mappers import actor
from services.reporting.service.lag import LagMonitor
from services.reporting.service.queries import ReportQueries
from services.reporting.service.reconcile_batches import ReconciliationResult

SERVICE_NAME = "carbon.reporting.v1.ReportingService"


def _eligibility(decision: eligibility.EligibilityDecision) -> reporting_pb2.Eligibility:
    return reporting_pb2.Eligibility(
        use=reporting_pb2.InstitutionalUse.Value(f"INSTITUTIONAL_USE_{decision.use.value}"),
        eligible=decision.eligible,
        reason=decision.reason,
    )


def _line(line: disclosure.DisclosureLine) -> reporting_pb2.DisclosureLine:
    return reporting_pb2.DisclosureLine(
        retirement_id=line.retirement_id,
        batch_id=line.batch_id,
        quantity_t=line.quantity_t,
        vintage_start=line.vintage_start.isoformat(),
        vintage_end=line.vintage_end.isoformat(),
        country=line.country,
        project_name=line.project_name,
        methodology=line.methodology,
        credit_type=issuance_types.CreditType.Value(f"CREDIT_TYPE_{line.credit_type.value}"),
        basis=issuance_types.CreditBasis.Value(f"CREDIT_BASIS_{line.basis.value}"),
        program=line.program,
        co_benefits=list(line.co_benefits),
        corresponding_adjustment=line.corresponding_adjustment,
        purpose=registry_types.RetirementPurpose.Value(f"RETIREMENT_PURPOSE_{line.purpose.value}"),
        retirement_year=line.retirement_year,
        offset_emissions_decimal="" if line.offset_emissions_tco2e is None else str(line.offset_emissions_tco2e),
        beneficiary=line.beneficiary,
        serial_ranges=list(line.serial_ranges),
    )


class ReportingServicer(reporting_pb2_grpc.ReportingServiceServicer):
    def __init__(self, bus: MessageBus[Any], queries: ReportQueries, lag: LagMonitor) -> None:
        self.bus = bus
        self.queries = queries
        self.lag_monitor = lag

    async def GetEligibility(  # noqa: N802 - gRPC name
        self, request: reporting_pb2.GetEligibilityRequest, context: Any
    ) -> reporting_pb2.GetEligibilityResponse:
        if not request.batch_id:
            raise invalid("BATCH_ID_REQUIRED", "batch_id is required")
        record = await in_thread(self.queries.batch, request.batch_id)
        if record is None:
            raise not_found("BATCH_NOT_FOUND", f"the reporting read model does not know batch {request.batch_id} (yet)")
        decisions = eligibility.decide_all(record.facts)
        return reporting_pb2.GetEligibilityResponse(
            batch_id=request.batch_id, eligibility=[_eligibility(d) for d in decisions]
        )

    async def GetDisclosureReport(  # noqa: N802 - gRPC name
        self, request: reporting_pb2.GetDisclosureReportRequest, context: Any
    ) -> reporting_pb2.GetDisclosureReportResponse:
        cmd = GenerateDisclosureReport(actor(current_principal()), request.organization_id, request.year)
        report: disclosure.DisclosureReport = await in_thread(self.bus.handle, cmd)
        return reporting_pb2.GetDisclosureReportResponse(
            organization_id=report.organization_id,
            year=report.year,
            total_quantity_t=report.total_quantity_t,
            lines=[_line(line) for line in report.lines],
        )

    async def GetReadModelLag(  # noqa: N802 - gRPC name
        self, request: reporting_pb2.GetReadModelLagRequest, context: Any
    ) -> reporting_pb2.GetReadModelLagResponse:
        await in_thread(self.lag_monitor.refresh_heads)
        lags = await in_thread(self.lag_monitor.lag)
        sources = []
        for lag in lags:
            entry = reporting_pb2.SourceLag(
                source=lag.source,
                projection=lag.projection,
                applied_position=lag.applied_position,
                head_position=lag.head_position,
                pending_events=lag.pending_events,
                lag_ms=lag.lag_ms,
            )
            if lag.last_applied_occurred_at is not None:
                ts = Timestamp()
                ts.FromDatetime(lag.last_applied_occurred_at)
                entry.last_applied_occurred_at.CopyFrom(ts)
            sources.append(entry)
        return reporting_pb2.GetReadModelLagResponse(sources=sources)

    async def Reconcile(  # noqa: N802 - gRPC name
        self, request: reporting_pb2.ReconcileRequest, context: Any
    ) -> reporting_pb2.ReconcileResponse:
        cmd = ReconcileBatches(actor(current_principal()), tuple(request.batch_ids))
        result: ReconciliationResult = await in_thread(self.bus.handle, cmd)
        by_batch: dict[str, list[str]] = {}
        for d in result.discrepancies:
            by_batch.setdefault(d.batch_id, []).append(d.describe())
        discrepancies = []
        for batch_id, descriptions in sorted(by_batch.items()):
            statuses = result.registry_by_batch_t.get(batch_id, {})
            discrepancies.append(
                reporting_pb2.Discrepancy(
                    batch_id=batch_id,
                    issued_quantity_t=result.issued_by_batch_t.get(batch_id, 0),
                    registry_quantity_t=sum(statuses.values()),
                    registry_by_status=[
                        registry_types.StatusQuantity(
                            status=registry_types.UnitStatus.Value(f"UNIT_STATUS_{status.value}"), quantity_t=quantity
                        )
                        for status, quantity in sorted(statuses.items(), key=lambda kv: list(UnitStatus).index(kv[0]))
                    ],
                    description="; ".join(descriptions),
                )
            )
        return reporting_pb2.ReconcileResponse(
            reconciliation_id=result.reconciliation_id,
            batches_checked=result.batches_checked,
            discrepancies=discrepancies,
        )


def register(server: Any, bus: MessageBus[Any], queries: ReportQueries, lag: LagMonitor) -> str:
    reporting_pb2_grpc.add_ReportingServiceServicer_to_server(ReportingServicer(bus, queries, lag), server)
    return SERVICE_NAME
