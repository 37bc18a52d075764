"""The reporting subgraph's output types: `CreditBatch.eligibility`, disclosure and SHK reports (the
public contract), eligibility explanations, Article 6 reports, buffer pools, market statistics,
reconciliation and read-model lag. Everything here is built from events and may lag the source
services (see `readModelLag`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from carbon_runtime.transport.blocking import blocking
from carbon_runtime.transport.graphql_contract import (
    CancellationPurpose,
    CreditBasis,
    CreditCategory,
    CreditType,
    InstitutionalUse,
    RetirementPurpose,
    Tonnes,
)
from carbon_runtime.transport.graphql_runtime import RequestContext
from services.reporting.domain import eligibility as eligibility_domain
from services.reporting.service.queries import ReportQueries

Info = strawberry.Info[RequestContext, None]


def queries(info: Info) -> ReportQueries:
    """The read-only report queries bootstrap put in the request context."""
    found: ReportQueries = info.context.extras["queries"]
    return found


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
    @blocking
    def eligibility(self, info: Info) -> list[Eligibility]:
        return [Eligibility.from_domain(d) for d in queries(info).eligibility(str(self.id))]

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


@strawberry.type(
    description=(
        "Permanence of a removal credit (ISSB climate disclosure draft): how the carbon is stored, the "
        "reference horizon, and the buffer set aside at issuance against reversals."
    )
)
class Permanence:
    storage: CreditBasis = strawberry.field(description="NATURE (forest, soil: reversal risk) or TECHNOLOGY.")
    horizon_years: int = strawberry.field(description="Reference permanence horizon: 100 years (METI report §2.2).")
    buffer_quantity: Tonnes
    issued_quantity: Tonnes
    buffer_share_percent: Decimal = strawberry.field(description="bufferQuantity / issuedQuantity x 100, exact.")


@strawberry.type(
    description="A cancellation (取消) the organization made in the year, e.g. for CORSIA or voluntary offsetting."
)
class DisclosureCancellation:
    cancellation_id: strawberry.ID
    batch: CreditBatch
    quantity: Tonnes
    purpose: CancellationPurpose
    beneficiary: str
    cancelled_on: date = strawberry.field(description="Day of the cancellation in Japan time.")
    vintage_start: date
    vintage_end: date
    country: str
    project_name: str
    methodology: str
    credit_type: CreditType
    basis: CreditBasis
    program: str
    corresponding_adjustment: bool
    serial_ranges: list[str]
    permanence: Permanence | None


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
    permanence: Permanence | None = strawberry.field(
        default=None, description="For removal credits: their permanence (ISSB); null for reductions."
    )


@strawberry.type
class DisclosureReport:
    organization: Organization
    year: int
    total_quantity: Tonnes
    lines: list[DisclosureLine]
    cancellations: list[DisclosureCancellation] = strawberry.field(
        default_factory=list,
        description="Cancellations the organization made during the year (Japan time); not in totalQuantity.",
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
