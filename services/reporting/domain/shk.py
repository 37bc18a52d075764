"""SHK (GHG Accounting and Reporting System) adjusted emissions, METI report §6.1.1 (a); DOMAIN.md §8.

    adjusted = reported
               - credit deduction        (category (1) credits retired for SHK_ADJUSTMENT, claimed for the FY)
               - certificate deduction   (kWh x national average factor x correction factor,
                                          capped at purchased-electricity emissions)
               + transferred onset       (credits the organization created from its own domestic emission
                                          reductions and transferred to another organization during the
                                          fiscal year, April to March, JST; see `counts_toward_onset`)

Every line item lists the retirement or transfer ids behind it, so an auditor can trace each tonne.
SHK_ADJUSTMENT retirements of credits outside category (1) are listed as voluntary and never deducted
(DOMAIN.md §6 row A). Values are exact Decimals: no rounding happens here, so the report can be
re-derived digit for digit; presentation rounds if it must. The result is not clamped at zero: a
negative adjusted figure shows over-deduction instead of hiding it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from carbon_runtime.errors import invalid, precondition
from carbon_runtime.rules.shk_onset import adds_back_on_transfer
from carbon_runtime.vocabulary import CreditCategory, RetirementPurpose

from .facts import JST, BatchFacts, RetirementFacts, TransferFacts, require_aware


@dataclass(frozen=True, slots=True)
class ShkInput:
    """Mirrors the contract's `ShkReportInput`."""

    organization_id: str
    fiscal_year: int
    reported_emissions_tco2: Decimal
    purchased_electricity_emissions_tco2: Decimal = Decimal(0)
    non_fossil_certificate_kwh: Decimal = Decimal(0)
    national_average_emission_factor_tco2_per_kwh: Decimal = Decimal(0)
    correction_factor: Decimal = Decimal(1)


@dataclass(frozen=True, slots=True)
class CreditLine:
    retirement_id: str
    batch_id: str
    program: str
    category: CreditCategory
    quantity_t: int


@dataclass(frozen=True, slots=True)
class OnsetLine:
    transfer_id: str
    batch_id: str
    to_organization_id: str
    transferred_at: datetime
    quantity_t: int


@dataclass(frozen=True, slots=True)
class CertificateDeduction:
    kwh: Decimal
    national_average_emission_factor_tco2_per_kwh: Decimal
    correction_factor: Decimal
    converted_tco2: Decimal  # before the cap
    cap_tco2: Decimal  # purchased-electricity emissions
    deducted_tco2: Decimal
    capped: bool


@dataclass(frozen=True, slots=True)
class ShkReport:
    organization_id: str
    fiscal_year: int
    fiscal_year_start: date
    fiscal_year_end: date  # inclusive
    reported_emissions_tco2: Decimal
    credit_deduction_tco2: Decimal
    certificate_deduction_tco2: Decimal
    transferred_onset_tco2: Decimal
    adjusted_emissions_tco2: Decimal
    deducted_credits: tuple[CreditLine, ...]
    # SHK_ADJUSTMENT retirements outside category (1): reportable voluntarily, never deducted.
    voluntary_credits: tuple[CreditLine, ...]
    certificate: CertificateDeduction
    onset_transfers: tuple[OnsetLine, ...]

    @property
    def deducted_retirement_ids(self) -> tuple[str, ...]:
        return tuple(line.retirement_id for line in self.deducted_credits)

    @property
    def onset_transfer_ids(self) -> tuple[str, ...]:
        return tuple(line.transfer_id for line in self.onset_transfers)


def fiscal_year_bounds(fiscal_year: int) -> tuple[date, date]:
    """Japanese fiscal year N runs from N-04-01 to (N+1)-03-31 inclusive."""
    return date(fiscal_year, 4, 1), date(fiscal_year + 1, 3, 31)


def fiscal_year_of(moment: datetime) -> int:
    local = require_aware(moment, "timestamp").astimezone(JST)
    return local.year if local.month >= 4 else local.year - 1


def _validate(shk_input: ShkInput) -> None:
    amounts = {
        "reportedEmissions": shk_input.reported_emissions_tco2,
        "purchasedElectricityEmissions": shk_input.purchased_electricity_emissions_tco2,
        "nonFossilCertificateKwh": shk_input.non_fossil_certificate_kwh,
        "nationalAverageEmissionFactor": shk_input.national_average_emission_factor_tco2_per_kwh,
        "correctionFactor": shk_input.correction_factor,
    }
    for name, value in amounts.items():
        if not value.is_finite():
            raise invalid("NOT_A_NUMBER", f"{name} must be a finite decimal, got {value}", field=name)
        if value < 0:
            raise invalid("NEGATIVE_AMOUNT", f"{name} must not be negative, got {value}", field=name)
    # SHK reporting began in fiscal 2006; an earlier year is a typo, not a report.
    if shk_input.fiscal_year < 2006:
        raise invalid(
            "FISCAL_YEAR_OUT_OF_RANGE",
            f"fiscalYear must be 2006 or later, got {shk_input.fiscal_year}",
            field="fiscalYear",
        )


def counts_toward_onset(batch: BatchFacts, transfer: TransferFacts) -> bool:
    """Whether the sender adds this transfer of `batch` back (上乗せ) to its emissions: only credits it
    created from its OWN domestic emission reductions (図 3, 脚注 8 「森林の整備及び保全により炭素吸収された
    …炭素吸収量として認証された国内認証排出削減量については、この上乗せ報告は対象外である。」); the rule is
    carbon_runtime.rules.shk_onset, shared with the registry's `issuer_onset` flag."""
    return adds_back_on_transfer(
        proponent_organization_id=batch.proponent_organization_id,
        from_organization_id=transfer.from_organization_id,
        to_organization_id=transfer.to_organization_id,
        credit_type=batch.credit_type,
        host_country=batch.host_country,
    )


def _batch(batches: Mapping[str, BatchFacts], batch_id: str, referrer: str) -> BatchFacts:
    batch = batches.get(batch_id)
    if batch is None:
        raise precondition(
            "BATCH_FACTS_MISSING",
            f"{referrer} refers to batch {batch_id}, which the reporting read model does not hold yet",
            batch_id=batch_id,
        )
    return batch


def compute_shk_report(
    shk_input: ShkInput,
    retirements: Iterable[RetirementFacts],
    transfers: Iterable[TransferFacts],
    batches: Mapping[str, BatchFacts],
) -> ShkReport:
    _validate(shk_input)
    org = shk_input.organization_id
    fy_start, fy_end = fiscal_year_bounds(shk_input.fiscal_year)

    deducted: list[CreditLine] = []
    voluntary: list[CreditLine] = []
    for retirement in sorted(retirements, key=lambda r: (r.retired_at, r.retirement_id)):
        # Claimed-for year, not retirement date: a credit retired in May may adjust the prior FY.
        if (
            retirement.organization_id != org
            or retirement.purpose is not RetirementPurpose.SHK_ADJUSTMENT
            or retirement.retirement_year != shk_input.fiscal_year
        ):
            continue
        if retirement.quantity_t < 0:
            raise invalid("NEGATIVE_QUANTITY", f"retirement {retirement.retirement_id} has a negative quantity")
        batch = _batch(batches, retirement.batch_id, f"retirement {retirement.retirement_id}")
        line = CreditLine(
            retirement.retirement_id,
            batch.batch_id,
            batch.program_id.value,
            batch.category,
            retirement.quantity_t,
        )
        (deducted if batch.category is CreditCategory.NDC_CONTRIBUTING else voluntary).append(line)

    onset: list[OnsetLine] = []
    for transfer in sorted(transfers, key=lambda t: (t.transferred_at, t.transfer_id)):
        # Moves between the organization's own accounts change nobody's claim, so they are not onset.
        if transfer.from_organization_id != org or transfer.to_organization_id == org:
            continue
        if fiscal_year_of(transfer.transferred_at) != shk_input.fiscal_year:
            continue
        batch = _batch(batches, transfer.batch_id, f"transfer {transfer.transfer_id}")
        # Only credits created from its own reported reductions (図 3, 脚注 8): once the buyer holds
        # them, counting the reduction in both inventories would be double counting.
        if not counts_toward_onset(batch, transfer):
            continue
        if transfer.quantity_t < 0:
            raise invalid("NEGATIVE_QUANTITY", f"transfer {transfer.transfer_id} has a negative quantity")
        onset.append(
            OnsetLine(
                transfer.transfer_id,
                batch.batch_id,
                transfer.to_organization_id,
                transfer.transferred_at,
                transfer.quantity_t,
            )
        )

    converted = (
        shk_input.non_fossil_certificate_kwh
        * shk_input.national_average_emission_factor_tco2_per_kwh
        * shk_input.correction_factor
    )
    cap = shk_input.purchased_electricity_emissions_tco2
    certificate = CertificateDeduction(
        kwh=shk_input.non_fossil_certificate_kwh,
        national_average_emission_factor_tco2_per_kwh=shk_input.national_average_emission_factor_tco2_per_kwh,
        correction_factor=shk_input.correction_factor,
        converted_tco2=converted,
        cap_tco2=cap,
        deducted_tco2=min(converted, cap),
        capped=converted > cap,
    )
    credit_deduction = Decimal(sum(line.quantity_t for line in deducted))
    transferred_onset = Decimal(sum(line.quantity_t for line in onset))
    adjusted = shk_input.reported_emissions_tco2 - credit_deduction - certificate.deducted_tco2 + transferred_onset
    return ShkReport(
        organization_id=org,
        fiscal_year=shk_input.fiscal_year,
        fiscal_year_start=fy_start,
        fiscal_year_end=fy_end,
        reported_emissions_tco2=shk_input.reported_emissions_tco2,
        credit_deduction_tco2=credit_deduction,
        certificate_deduction_tco2=certificate.deducted_tco2,
        transferred_onset_tco2=transferred_onset,
        adjusted_emissions_tco2=adjusted,
        deducted_credits=tuple(deducted),
        voluntary_credits=tuple(voluntary),
        certificate=certificate,
        onset_transfers=tuple(onset),
    )
