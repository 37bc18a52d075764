"""The reporting subgraph's Query fields.

Read-only reports go to the report queries (no bus). The disclosure report, the SHK report and the
reconciliation report record an event each (the audit trail), so they are commands sent through the
bus; the public graph keeps them under Query, where the contract put them.
"""

from __future__ import annotations

from typing import Any

import strawberry

from carbon_runtime.messaging.bus import MessageBus
from carbon_runtime.transport.blocking import blocking
from carbon_runtime.transport.graphql_contract import CreditCategory, InstitutionalUse
from carbon_runtime.vocabulary import CreditCategory as DomainCreditCategory
from services.reporting.domain import commands
from services.reporting.domain import disclosure as disclosure_domain
from services.reporting.domain import facts as domain_facts
from services.reporting.domain import shk as shk_domain
from services.reporting.entrypoints.graphql import mappers
from services.reporting.entrypoints.graphql.inputs import ShkReportInput
from services.reporting.entrypoints.graphql.types import (
    Article6Report,
    BufferPool,
    CreditMarketStatistics,
    DisclosureReport,
    EligibilityDecision,
    Info,
    PriceIndexPoint,
    ReadModelLag,
    ReconciliationReport,
    ShkReport,
    queries,
)
from services.reporting.service.lag import LagMonitor
from services.reporting.service.reconcile_batches import ReconciliationResult


def _bus(info: Info) -> MessageBus[Any]:
    bus: MessageBus[Any] = info.context.extras["bus"]
    return bus


@strawberry.type
class Query:
    @strawberry.field(description="The credits an organization used in a year, with the disclosure items of §6.1.2.")
    @blocking
    def disclosure_report(self, info: Info, organization_id: strawberry.ID, year: int) -> DisclosureReport:
        cmd = commands.GenerateDisclosureReport(mappers.actor(info.context.principal), str(organization_id), year)
        report: disclosure_domain.DisclosureReport = _bus(info).handle(cmd)
        return mappers.disclosure(report)

    @strawberry.field(description="SHK adjusted emissions for a fiscal year (April to March).")
    @blocking
    def shk_report(self, info: Info, input: ShkReportInput) -> ShkReport:
        cmd = commands.GenerateShkReport(mappers.actor(info.context.principal), mappers.shk_input(input))
        report: shk_domain.ShkReport = _bus(info).handle(cmd)
        return mappers.shk(report)

    @strawberry.field(
        description="One eligibility decision explained: every rule with its id, version, source, inputs."
    )
    @blocking
    def eligibility_decision(self, info: Info, batch_id: strawberry.ID, use: InstitutionalUse) -> EligibilityDecision:
        return mappers.decision(queries(info).explain(str(batch_id), domain_facts.InstitutionalUse(use.value)))

    @strawberry.field(description="Article 6.2 AEF records for a Party and year (AUDITOR, REGISTRY_ADMIN).")
    @blocking
    def article6_report(self, info: Info, year: int, party: str = "JP") -> Article6Report:
        return mappers.article6(queries(info).article6_report(mappers.actor(info.context.principal), party, year))

    @strawberry.field(description="Public market statistics: issuance and retirement volumes, price index.")
    @blocking
    def credit_market_statistics(self, info: Info) -> CreditMarketStatistics:
        return mappers.market_statistics(queries(info).market_statistics())

    @strawberry.field(description="Public: a program's buffer pool and the reversals it compensates.")
    @blocking
    def buffer_pool(self, info: Info, program_id: str) -> BufferPool:
        return mappers.buffer_pool(queries(info).buffer_pool(program_id))

    @strawberry.field(description="Daily VWAP of settled trades for one credit category.")
    @blocking
    def price_index(self, info: Info, category: CreditCategory) -> list[PriceIndexPoint]:
        return mappers.prices(queries(info).price_index(DomainCreditCategory(category.value)))

    @strawberry.field(
        description="Compares issuance, registry and this read model per batch (AUDITOR, REGISTRY_ADMIN)."
    )
    @blocking
    def reconciliation_report(self, info: Info, batch_ids: list[strawberry.ID] | None = None) -> ReconciliationReport:
        cmd = commands.ReconcileBatches(mappers.actor(info.context.principal), tuple(str(b) for b in batch_ids or []))
        result: ReconciliationResult = _bus(info).handle(cmd)
        return mappers.reconciliation(result)

    @strawberry.field(description="How far the reporting read model trails each producer's event log.")
    @blocking
    def read_model_lag(self, info: Info) -> list[ReadModelLag]:
        monitor: LagMonitor = info.context.extras["lag"]
        return [mappers.read_model_lag(lag) for lag in monitor.lag()]
