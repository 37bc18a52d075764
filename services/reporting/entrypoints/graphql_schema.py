"""The reporting subgraph: `CreditBatch.eligibility`, disclosure and SHK reports (the public contract), plus
eligibility explanations, Article 6 reports, market statistics, reconciliation and read-model lag.

Everything here is built from events and may lag the source services (see `readModelLag`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from carbon_runtime.transport.graphql_contract import (
    CreditBasis,
    CreditCategory,
    CreditType,
    InstitutionalUse,
    RetirementPurpose,
    Role,
    Tonnes,
    parse_decimal,
)
from carbon_runtime.transport.graphql_runtime import RequestContext
from services.reporting.domain import article6 as article6_domain
from services.reporting.domain import disclosure as disclosure_domain
from services.reporting.domain import eligibility as eligibility_domain
from services.reporting.domain import facts
from services.reporting.domain import permanence as permanence_domain
from services.reporting.domain import shk as shk_domain
from services.reporting.domain import statistics as statistics_domain
from services.reporting.service.reports import ReportingHandlers
from services.reporting.service.sync import LagMonitor

Info = strawberry.Info[RequestContext, None]


def _handlers(info: Info) -> ReportingHandlers:
    handlers: ReportingHandlers = info.context.extras["handlers"]
    return handlers


# Owned by the registry; referenced here only (a stub the router never asks this subgraph to resolve).
@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class Organization:
    id: strawberry.ID


@strawberry.type(description="Whether one institutional use accepts a batch, with the rule that decided it.")
class Eligibility:
    use: InstitutionalUse
    eligible: bool
    reason: str
    ruleset_version: str
    rule_ids: list[str]

    @staticmethod
    def from_domain(decision: eligibility_domain.EligibilityDecision) -> Eligibility:
        return Eligibility(
            use=InstitutionalUse(decision.use.value),
            eligible=decision.eligible,
            reason=decision.reason,
            ruleset_version=decision.ruleset_version,
            rule_ids=[r.rule_id for r in decision.results],
        )


@strawberry.federation.type(keys=["id"])
class CreditBatch:
    id: strawberry.ID

    @strawberry.field(description="Which institutional uses accept this batch, each with the rule that decided it.")
    def eligibility(self, info: Info) -> list[Eligibility]:
        return [Eligibility.from_domain(d) for d in _handlers(info).eligibility(str(self.id))]

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> CreditBatch:
        return CreditBatch(id=id)


@strawberry.type
class RuleInput:
    name: str
    value: str


@strawberry.type(description="What one eligibility rule concluded and the inputs it read.")
class EligibilityRuleResult:
    rule_id: str
    version: int
    source: str
    passed: bool
    finding: str
    inputs: list[RuleInput]


@strawberry.type(description="One eligibility decision explained rule by rule.")
class EligibilityDecision:
    batch_id: strawberry.ID
    use: InstitutionalUse
    eligible: bool
    reason: str
    ruleset_version: str
    rules: list[EligibilityRuleResult]


def _decision(decision: eligibility_domain.EligibilityDecision) -> EligibilityDecision:
    return EligibilityDecision(
        batch_id=strawberry.ID(decision.batch_id),
        use=InstitutionalUse(decision.use.value),
        eligible=decision.eligible,
        reason=decision.reason,
        ruleset_version=decision.ruleset_version,
        rules=[
            EligibilityRuleResult(
                rule_id=r.rule_id,
                version=r.rule_version,
                source=r.source,
                passed=r.passed,
                finding=r.finding,
                inputs=[RuleInput(name=k, value=v) for k, v in r.inputs],
            )
            for r in decision.results
        ],
    )


@strawberry.type(description="One use of credits, with the items of the report's section 6.1.2.")
class DisclosureLine:
    quantity: Tonnes
    vintage_start: date
    vintage_end: date
    country: str
    project_name: str
    methodology: str
    credit_type: CreditType
    basis: CreditBasis
    program: str
    co_benefits: list[int]
    corresponding_adjustment: bool
    purpose: RetirementPurpose
    retirement_year: int
    offset_emissions: Decimal | None
    retirement_id: strawberry.ID
    batch: CreditBatch
    category: CreditCategory
    beneficiary: str
    serial_ranges: list[str]
    selection_rationale: str
    counts_toward_japan_ndc: bool = strawberry.field(
        description="Japan counts this retirement toward its NDC (JCM credits for reductions from 2021)."
    )


@strawberry.type
class DisclosureReport:
    organization: Organization
    year: int
    total_quantity: Tonnes
    lines: list[DisclosureLine]


def _disclosure(report: disclosure_domain.DisclosureReport) -> DisclosureReport:
    return DisclosureReport(
        organization=Organization(id=strawberry.ID(report.organization_id)),
        year=report.year,
        total_quantity=Tonnes(report.total_quantity_t),
        lines=[
            DisclosureLine(
                quantity=Tonnes(line.quantity_t),
                vintage_start=line.vintage_start,
                vintage_end=line.vintage_end,
                country=line.country,
                project_name=line.project_name,
                methodology=line.methodology,
                credit_type=CreditType(line.credit_type.value),
                basis=CreditBasis(line.basis.value),
                program=line.program,
                co_benefits=list(line.co_benefits),
                corresponding_adjustment=line.corresponding_adjustment,
                purpose=RetirementPurpose(line.purpose.value),
                retirement_year=line.retirement_year,
                offset_emissions=line.offset_emissions_tco2e,
                retirement_id=strawberry.ID(line.retirement_id),
                batch=CreditBatch(id=strawberry.ID(line.batch_id)),
                category=CreditCategory(line.category.value),
                beneficiary=line.beneficiary,
                serial_ranges=list(line.serial_ranges),
                selection_rationale=line.selection_rationale,
                counts_toward_japan_ndc=line.counts_toward_japan_ndc,
            )
            for line in report.lines
        ],
    )


@strawberry.type
class ShkReport:
    organization: Organization
    fiscal_year: int
    reported_emissions: Decimal
    credit_deduction: Decimal
    certificate_deduction: Decimal
    transferred_onset: Decimal = strawberry.field(
        description="Credits the organization issued and transferred away, added back (onset)."
    )
    adjusted_emissions: Decimal
    deducted_retirement_ids: list[strawberry.ID]
    voluntary_retirement_ids: list[strawberry.ID]
    onset_transfer_ids: list[strawberry.ID]
    certificate_deduction_capped: bool


@strawberry.input
class ShkReportInput:
    organization_id: strawberry.ID
    fiscal_year: int
    reported_emissions: Decimal
    purchased_electricity_emissions: Decimal | None = strawberry.field(
        default=Decimal("0"), description="Emissions from purchased electricity, the cap for the certificate deduction."
    )
    non_fossil_certificate_kwh: Decimal | None = Decimal("0")
    national_average_emission_factor: Decimal | None = strawberry.field(
        default=Decimal("0"), description="tCO2 per kWh."
    )
    correction_factor: Decimal | None = Decimal("1")


def _exact(value: Decimal | None, default: str, field: str) -> Decimal:
    # Re-parse through the contract's rules: NaN and Infinity are refused.
    return parse_decimal(default if value is None else str(value), field)


def _shk(report: shk_domain.ShkReport) -> ShkReport:
    return ShkReport(
        organization=Organization(id=strawberry.ID(report.organization_id)),
        fiscal_year=report.fiscal_year,
        reported_emissions=report.reported_emissions_tco2,
        credit_deduction=report.credit_deduction_tco2,
        certificate_deduction=report.certificate_deduction_tco2,
        transferred_onset=report.transferred_onset_tco2,
        adjusted_emissions=report.adjusted_emissions_tco2,
        deducted_retirement_ids=[strawberry.ID(i) for i in report.deducted_retirement_ids],
        voluntary_retirement_ids=[strawberry.ID(line.retirement_id) for line in report.voluntary_credits],
        onset_transfer_ids=[strawberry.ID(i) for i in report.onset_transfer_ids],
        certificate_deduction_capped=report.certificate.capped,
    )


@strawberry.type(description="One row of the UNFCCC agreed electronic format (AEF) for Article 6.2.")
class Article6Record:
    action: str
    action_date: date
    cooperative_approach_id: str
    authorization_id: str
    authorization_date: date
    itmo_first_id: str
    itmo_last_id: str
    vintage: int
    sector: str
    activity_type: str
    quantity: Tonnes
    first_transferring_party: str
    transferring_party: str
    acquiring_party: str
    using_party: str
    purpose_of_use: str
    purposes_for_authorization: str
    oimp_authorized: str
    batch_id: strawberry.ID
    source_id: str


@strawberry.type
class Article6ActionTotal:
    action: str
    quantity: Tonnes


@strawberry.type
class Article6Report:
    reporting_party: str
    year: int
    records: list[Article6Record]
    totals: list[Article6ActionTotal]


def _article6(report: article6_domain.Article6Report) -> Article6Report:
    return Article6Report(
        reporting_party=report.reporting_party,
        year=report.year,
        records=[
            Article6Record(
                action=r.action.value,
                action_date=r.action_date,
                cooperative_approach_id=r.cooperative_approach_id,
                authorization_id=r.authorization_id,
                authorization_date=r.authorization_date,
                itmo_first_id=r.itmo_first_id,
                itmo_last_id=r.itmo_last_id,
                vintage=r.vintage,
                sector=r.sector,
                activity_type=r.activity_type,
                quantity=Tonnes(r.quantity_tco2e),
                first_transferring_party=r.first_transferring_party,
                transferring_party=r.transferring_party,
                acquiring_party=r.acquiring_party,
                using_party=r.using_party,
                purpose_of_use=r.purpose_of_use,
                purposes_for_authorization=r.purposes_for_authorization,
                oimp_authorized=r.oimp_authorized,
                batch_id=strawberry.ID(r.batch_id),
                source_id=r.source_id,
            )
            for r in report.records
        ],
        totals=[
            Article6ActionTotal(action=a.value, quantity=Tonnes(q)) for a, q in report.totals_by_action_tco2e.items()
        ],
    )


@strawberry.type(description="A reversal (stored carbon lost) and what the buffer pool has compensated.")
class BufferReversal:
    reversal_id: strawberry.ID
    project_id: strawberry.ID
    batch_id: strawberry.ID | None
    quantity: Tonnes
    occurred_on: date
    description: str
    cancelled: Tonnes = strawberry.field(description="Buffer tonnes cancelled for this reversal so far.")
    shortfall: Tonnes = strawberry.field(description="Reversed tonnes not yet compensated from the buffer.")


@strawberry.type(description="A program's buffer pool: set aside at issuance, cancelled on reversal.")
class BufferPool:
    program_id: str
    buffer_issued: Tonnes
    cancelled_for_reversals: Tonnes
    remaining: Tonnes
    reversals: list[BufferReversal]


def _buffer_pool(pool: permanence_domain.BufferPool) -> BufferPool:
    return BufferPool(
        program_id=pool.program_id,
        buffer_issued=Tonnes(pool.buffer_issued_t),
        cancelled_for_reversals=Tonnes(pool.cancelled_for_reversals_t),
        remaining=Tonnes(pool.remaining_t),
        reversals=[
            BufferReversal(
                reversal_id=strawberry.ID(r.reversal_id),
                project_id=strawberry.ID(r.project_id),
                batch_id=strawberry.ID(r.batch_id) if r.batch_id else None,
                quantity=Tonnes(r.reversed_quantity_t),
                occurred_on=r.occurred_on,
                description=r.description,
                cancelled=Tonnes(r.cancelled_t),
                shortfall=Tonnes(r.shortfall_t),
            )
            for r in pool.reversals
        ],
    )


@strawberry.type(description="Tonnes by year, program, credit type and category.")
class MarketVolume:
    year: int
    program: str
    credit_type: CreditType
    category: CreditCategory
    quantity: Tonnes


@strawberry.type(description="Volume-weighted average price of settled trades per category, currency and day (JST).")
class PriceIndexPoint:
    day: date
    category: CreditCategory
    currency: str
    vwap: Decimal
    volume: Tonnes
    trade_count: int


@strawberry.type
class CreditMarketStatistics:
    issuance: list[MarketVolume]
    retirements: list[MarketVolume]
    prices: list[PriceIndexPoint]


def _volumes(rows: tuple[statistics_domain.VolumeRow, ...]) -> list[MarketVolume]:
    return [
        MarketVolume(
            year=r.year,
            program=r.program,
            credit_type=CreditType(r.credit_type.value),
            category=CreditCategory(r.category.value),
            quantity=Tonnes(r.quantity_t),
        )
        for r in rows
    ]


def _prices(points: tuple[statistics_domain.PricePoint, ...]) -> list[PriceIndexPoint]:
    return [
        PriceIndexPoint(
            day=p.day,
            category=CreditCategory(p.category.value),
            currency=p.currency,
            vwap=p.vwap,
            volume=Tonnes(p.volume_t),
            trade_count=p.trade_count,
        )
        for p in points
    ]


@strawberry.type
class ReconciliationDiscrepancy:
    batch_id: strawberry.ID
    measure: str
    left_source: str
    left_quantity: Tonnes | None
    right_source: str
    right_quantity: Tonnes | None
    description: str


@strawberry.type(description="Issuance vs registry vs the reporting read model, per batch.")
class ReconciliationReport:
    reconciliation_id: strawberry.ID
    batches_checked: int
    discrepancies: list[ReconciliationDiscrepancy]


@strawberry.type(description="How far the reporting read model trails one producer's event log.")
class ReadModelLag:
    source: str
    projection: str
    applied_position: int
    head_position: int
    pending_events: int
    lag_ms: int


@strawberry.type
class Query:
    @strawberry.field(description="The credits an organization used in a year, with the disclosure items of §6.1.2.")
    def disclosure_report(self, info: Info, organization_id: strawberry.ID, year: int) -> DisclosureReport:
        return _disclosure(_handlers(info).disclosure_report(info.context.principal, str(organization_id), year))

    @strawberry.field(description="SHK adjusted emissions for a fiscal year (April to March).")
    def shk_report(self, info: Info, input: ShkReportInput) -> ShkReport:
        shk_input = shk_domain.ShkInput(
            organization_id=str(input.organization_id),
            fiscal_year=input.fiscal_year,
            reported_emissions_tco2=_exact(input.reported_emissions, "0", "reportedEmissions"),
            purchased_electricity_emissions_tco2=_exact(
                input.purchased_electricity_emissions, "0", "purchasedElectricityEmissions"
            ),
            non_fossil_certificate_kwh=_exact(input.non_fossil_certificate_kwh, "0", "nonFossilCertificateKwh"),
            national_average_emission_factor_tco2_per_kwh=_exact(
                input.national_average_emission_factor, "0", "nationalAverageEmissionFactor"
            ),
            correction_factor=_exact(input.correction_factor, "1", "correctionFactor"),
        )
        return _shk(_handlers(info).shk_report(info.context.principal, shk_input))

    @strawberry.field(
        description="One eligibility decision explained: every rule with its id, version, source, inputs."
    )
    def eligibility_decision(self, info: Info, batch_id: strawberry.ID, use: InstitutionalUse) -> EligibilityDecision:
        return _decision(_handlers(info).explain(str(batch_id), facts.InstitutionalUse(use.value)))

    @strawberry.field(description="Article 6.2 AEF records for a Party and year (AUDITOR, REGISTRY_ADMIN).")
    def article6_report(self, info: Info, year: int, party: str = "JP") -> Article6Report:
        return _article6(_handlers(info).article6_report(info.context.principal, party, year))

    @strawberry.field(description="Public market statistics: issuance and retirement volumes, price index.")
    def credit_market_statistics(self, info: Info) -> CreditMarketStatistics:
        stats = _handlers(info).market_statistics()
        return CreditMarketStatistics(
            issuance=_volumes(stats.issuance), retirements=_volumes(stats.retirements), prices=_prices(stats.prices)
        )

    @strawberry.field(description="Public: a program's buffer pool and the reversals it compensates.")
    def buffer_pool(self, info: Info, program_id: str) -> BufferPool:
        return _buffer_pool(_handlers(info).buffer_pool(program_id))

    @strawberry.field(description="Daily VWAP of settled trades for one credit category.")
    def price_index(self, info: Info, category: CreditCategory) -> list[PriceIndexPoint]:
        return _prices(_handlers(info).price_index(facts.CreditCategory(category.value)))

    @strawberry.field(
        description="Compares issuance, registry and this read model per batch (AUDITOR, REGISTRY_ADMIN)."
    )
    def reconciliation_report(self, info: Info, batch_ids: list[strawberry.ID] | None = None) -> ReconciliationReport:
        result = _handlers(info).reconcile(info.context.principal, [str(b) for b in batch_ids or []])
        return ReconciliationReport(
            reconciliation_id=strawberry.ID(result.reconciliation_id),
            batches_checked=result.batches_checked,
            discrepancies=[
                ReconciliationDiscrepancy(
                    batch_id=strawberry.ID(d.batch_id),
                    measure=d.measure.value,
                    left_source=d.left_source.value,
                    left_quantity=None if d.left_t is None else Tonnes(d.left_t),
                    right_source=d.right_source.value,
                    right_quantity=None if d.right_t is None else Tonnes(d.right_t),
                    description=d.describe(),
                )
                for d in result.discrepancies
            ],
        )

    @strawberry.field(description="How far the reporting read model trails each producer's event log.")
    def read_model_lag(self, info: Info) -> list[ReadModelLag]:
        monitor: LagMonitor = info.context.extras["lag"]
        return [
            ReadModelLag(
                source=lag.source,
                projection=lag.projection,
                applied_position=lag.applied_position,
                head_position=lag.head_position,
                pending_events=lag.pending_events,
                lag_ms=lag.lag_ms,
            )
            for lag in monitor.lag()
        ]


# Role is listed so the composed API schema carries the contract's enum even where no field uses it yet.
ENTITY_TYPES: list[type] = [CreditBatch, Organization, Role]
