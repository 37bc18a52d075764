"""Strawberry <-> the domain: inputs to commands, results to the subgraph's types (by enum name)."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from carbon_runtime.transport.auth import Principal
from carbon_runtime.transport.graphql_contract import (
    CancellationPurpose,
    CreditBasis,
    CreditCategory,
    CreditType,
    InstitutionalUse,
    RetirementPurpose,
    Tonnes,
    parse_decimal,
)
from services.reporting.domain import article6 as article6_domain
from services.reporting.domain import disclosure as disclosure_domain
from services.reporting.domain import eligibility as eligibility_domain
from services.reporting.domain import permanence as permanence_domain
from services.reporting.domain import shk as shk_domain
from services.reporting.domain import statistics as statistics_domain
from services.reporting.domain.actor import Actor
from services.reporting.entrypoints.graphql.inputs import ShkReportInput
from services.reporting.entrypoints.graphql.types import (
    Article6ActionTotal,
    Article6Record,
    Article6Report,
    BufferPool,
    BufferReversal,
    CreditBatch,
    CreditMarketStatistics,
    DisclosureCancellation,
    DisclosureLine,
    DisclosureReport,
    EligibilityDecision,
    EligibilityRuleResult,
    MarketVolume,
    Organization,
    Permanence,
    PriceIndexPoint,
    ReadModelLag,
    ReconciliationDiscrepancy,
    ReconciliationReport,
    RuleInput,
    ShkReport,
)
from services.reporting.service.lag import SourceLag
from services.reporting.service.queries import MarketStatistics
from services.reporting.service.reconcile_batches import ReconciliationResult


def actor(principal: Principal) -> Actor:
    """The verified caller as the domain sees it (gRPC and HTTP use the same mapping)."""
    return Actor(user_id=principal.user_id, organization_id=principal.organization_id, roles=principal.roles)


def shk_input(input: ShkReportInput) -> shk_domain.ShkInput:
    return shk_domain.ShkInput(
        organization_id=str(input.organization_id),
        fiscal_year=input.fiscal_year,
        reported_emissions_tco2=exact(input.reported_emissions, "0", "reportedEmissions"),
        purchased_electricity_emissions_tco2=exact(
            input.purchased_electricity_emissions, "0", "purchasedElectricityEmissions"
        ),
        non_fossil_certificate_kwh=exact(input.non_fossil_certificate_kwh, "0", "nonFossilCertificateKwh"),
        national_average_emission_factor_tco2_per_kwh=exact(
            input.national_average_emission_factor, "0", "nationalAverageEmissionFactor"
        ),
        correction_factor=exact(input.correction_factor, "1", "correctionFactor"),
    )


def decision(decision: eligibility_domain.EligibilityDecision) -> EligibilityDecision:
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


def disclosure(report: disclosure_domain.DisclosureReport) -> DisclosureReport:
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
                permanence=permanence(line.permanence),
            )
            for line in report.lines
        ],
        cancellations=[
            DisclosureCancellation(
                cancellation_id=strawberry.ID(c.cancellation_id),
                batch=CreditBatch(id=strawberry.ID(c.batch_id)),
                quantity=Tonnes(c.quantity_t),
                purpose=CancellationPurpose(c.purpose.value),
                beneficiary=c.beneficiary,
                cancelled_on=c.cancelled_on,
                vintage_start=c.vintage_start,
                vintage_end=c.vintage_end,
                country=c.country,
                project_name=c.project_name,
                methodology=c.methodology,
                credit_type=CreditType(c.credit_type.value),
                basis=CreditBasis(c.basis.value),
                program=c.program,
                corresponding_adjustment=c.corresponding_adjustment,
                serial_ranges=list(c.serial_ranges),
                permanence=permanence(c.permanence),
            )
            for c in report.cancellations
        ],
    )


def permanence(value: disclosure_domain.Permanence | None) -> Permanence | None:
    if value is None:
        return None
    return Permanence(
        storage=CreditBasis(value.storage.value),
        horizon_years=value.horizon_years,
        buffer_quantity=Tonnes(value.buffer_quantity_t),
        issued_quantity=Tonnes(value.issued_quantity_t),
        buffer_share_percent=value.buffer_share_percent,
    )


def exact(value: Decimal | None, default: str, field: str) -> Decimal:
    # Re-parse through the contract's rules: NaN and Infinity are refused.
    return parse_decimal(default if value is None else str(value), field)


def shk(report: shk_domain.ShkReport) -> ShkReport:
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


def article6(report: article6_domain.Article6Report) -> Article6Report:
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


def buffer_pool(pool: permanence_domain.BufferPool) -> BufferPool:
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


def volumes(rows: tuple[statistics_domain.VolumeRow, ...]) -> list[MarketVolume]:
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


def prices(points: tuple[statistics_domain.PricePoint, ...]) -> list[PriceIndexPoint]:
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


def reconciliation(result: ReconciliationResult) -> ReconciliationReport:
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


def market_statistics(stats: MarketStatistics) -> CreditMarketStatistics:
    return CreditMarketStatistics(
        issuance=volumes(stats.issuance), retirements=volumes(stats.retirements), prices=prices(stats.prices)
    )


def read_model_lag(lag: SourceLag) -> ReadModelLag:
    return ReadModelLag(
        source=lag.source,
        projection=lag.projection,
        applied_position=lag.applied_position,
        head_position=lag.head_position,
        pending_events=lag.pending_events,
        lag_ms=lag.lag_ms,
    )
