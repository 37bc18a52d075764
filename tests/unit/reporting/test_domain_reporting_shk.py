"""SHK adjusted emissions (DOMAIN.md §8; contract ShkReport / ShkReportInput)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.vocabulary import CreditBasis, CreditCategory, CreditType, RetirementPurpose
from services.reporting.domain.facts import BatchFacts, ProgramId, RetirementFacts, TransferFacts
from services.reporting.domain.shk import ShkInput, compute_shk_report, fiscal_year_of

JST = timezone(timedelta(hours=9))
ORG = "ORG-A"

_BATCH = BatchFacts(
    batch_id="B-JC",
    project_id="P-JC",
    project_name="Solar",
    program_id=ProgramId.JCREDIT,
    host_country="JP",
    methodology_code="EN-R-002",
    credit_type=CreditType.REDUCTION,
    basis=CreditBasis.TECHNOLOGY,
    category=CreditCategory.NDC_CONTRIBUTING,
    vintage_start=date(2023, 4, 1),
    vintage_end=date(2024, 3, 31),
    first_crediting_period_start=date(2020, 4, 1),
    corresponding_adjustment=False,
    proponent_organization_id="ORG-C",
)
BATCHES = {
    b.batch_id: b
    for b in (
        _BATCH,
        replace(
            _BATCH,
            batch_id="B-JCM",
            program_id=ProgramId.JCM,
            host_country="VN",
            corresponding_adjustment=True,
        ),
        replace(_BATCH, batch_id="B-VCS", program_id=ProgramId.VCS, category=CreditCategory.GLOBAL),
        replace(_BATCH, batch_id="B-OWN", proponent_organization_id=ORG),
    )
}


def retirement(
    rid: str, batch_id: str, quantity_t: int, purpose: RetirementPurpose, year: int, org: str = ORG
) -> RetirementFacts:
    return RetirementFacts(
        retirement_id=rid,
        organization_id=org,
        account_id=f"ACC-{org}",
        batch_id=batch_id,
        quantity_t=quantity_t,
        serial_ranges=(),
        purpose=purpose,
        beneficiary=org,
        retirement_year=year,
        retired_at=datetime(2025, 5, 10, 10, 0, tzinfo=JST),
    )


def transfer(tid: str, batch_id: str, quantity_t: int, at: datetime, to_org: str = "ORG-B") -> TransferFacts:
    return TransferFacts(tid, ORG, to_org, batch_id, quantity_t, at)


SHK = RetirementPurpose.SHK_ADJUSTMENT
RETIREMENTS = [
    retirement("R1", "B-JC", 300, SHK, 2024),
    retirement("R2", "B-JCM", 200, SHK, 2024),
    retirement("R3", "B-VCS", 150, SHK, 2024),
    retirement("R4", "B-JC", 100, SHK, 2023),
    retirement("R5", "B-JC", 50, RetirementPurpose.VOLUNTARY_OFFSET, 2024),
    retirement("R6", "B-JC", 999, SHK, 2024, org="ORG-Z"),
]
TRANSFERS = [
    transfer("T1", "B-OWN", 120, datetime(2024, 6, 1, 9, 0, tzinfo=JST)),
    transfer("T2", "B-OWN", 80, datetime(2025, 3, 31, 23, 30, tzinfo=JST)),
    transfer("T3", "B-OWN", 40, datetime(2025, 4, 1, 0, 10, tzinfo=JST)),
    transfer("T4", "B-OWN", 60, datetime(2024, 7, 1, tzinfo=JST), to_org=ORG),
    transfer("T5", "B-JC", 70, datetime(2024, 7, 1, tzinfo=JST)),
]


def test_adjusted_emissions_worked_example_fiscal_2024() -> None:
    """Worked by hand for ORG-A, fiscal year 2024 (2024-04-01 to 2025-03-31 JST):

    reported                                         10000.5
    credit deduction: R1 300 (J-Credit, cat 1) + R2 200 (JCM, cat 1)       = 500
        R3 150 (VCS, cat 4) is SHK_ADJUSTMENT but only listed as voluntary, not deducted;
        R4 is claimed for FY2023, R5 is a voluntary offset, R6 belongs to ORG-Z: all ignored.
    certificate: 2,000,000 kWh x 0.000438 t/kWh x 1.02 = 876 x 1.02 = 893.52 (< cap 1000)
    onset: credits ORG-A issued (batch B-OWN) and transferred to another organization in FY2024:
        T1 120 + T2 80 (2025-03-31 23:30 JST, the last day)                  = 200
        T3 is 2025-04-01 00:10 JST (FY2025, although still March 31 in UTC), T4 moves between
        ORG-A's own accounts, T5 transfers credits ORG-C issued: none counts.
    adjusted = 10000.5 - 500 - 893.52 + 200 = 8806.98
    """
    report = compute_shk_report(
        ShkInput(
            organization_id=ORG,
            fiscal_year=2024,
            reported_emissions_tco2=Decimal("10000.5"),
            purchased_electricity_emissions_tco2=Decimal(1000),
            non_fossil_certificate_kwh=Decimal(2_000_000),
            national_average_emission_factor_tco2_per_kwh=Decimal("0.000438"),
            correction_factor=Decimal("1.02"),
        ),
        RETIREMENTS,
        TRANSFERS,
        BATCHES,
    )
    assert report.credit_deduction_tco2 == Decimal(500)
    assert report.certificate_deduction_tco2 == Decimal("893.52")
    assert report.certificate.capped is False
    assert report.transferred_onset_tco2 == Decimal(200)
    assert report.adjusted_emissions_tco2 == Decimal("8806.98")
    assert report.deducted_retirement_ids == ("R1", "R2")
    assert [line.retirement_id for line in report.voluntary_credits] == ["R3"]
    assert report.onset_transfer_ids == ("T1", "T2")
    assert (report.fiscal_year_start, report.fiscal_year_end) == (date(2024, 4, 1), date(2025, 3, 31))


def test_certificate_deduction_is_capped_at_purchased_electricity_emissions() -> None:
    report = compute_shk_report(
        ShkInput(
            organization_id=ORG,
            fiscal_year=2024,
            reported_emissions_tco2=Decimal(5000),
            purchased_electricity_emissions_tco2=Decimal(1000),
            non_fossil_certificate_kwh=Decimal(5_000_000),
            national_average_emission_factor_tco2_per_kwh=Decimal("0.000438"),
        ),
        [],
        [],
        BATCHES,
    )
    assert report.certificate.converted_tco2 == Decimal(2190)
    assert report.certificate.capped is True
    assert report.certificate_deduction_tco2 == Decimal(1000)
    assert report.adjusted_emissions_tco2 == Decimal(4000)


def test_non_category_1_credits_are_never_deducted() -> None:
    report = compute_shk_report(
        ShkInput(ORG, 2024, Decimal(1000)), [retirement("R3", "B-VCS", 150, SHK, 2024)], [], BATCHES
    )
    assert report.credit_deduction_tco2 == 0
    assert report.adjusted_emissions_tco2 == Decimal(1000)
    assert [line.category for line in report.voluntary_credits] == [CreditCategory.GLOBAL]


@pytest.mark.parametrize(
    "shk_input",
    [
        pytest.param(ShkInput(ORG, 2024, Decimal(-1)), id="negative reported emissions"),
        pytest.param(ShkInput(ORG, 2024, Decimal(1), Decimal(-5)), id="negative purchased electricity"),
        pytest.param(ShkInput(ORG, 2024, Decimal(1), non_fossil_certificate_kwh=Decimal(-1)), id="negative kWh"),
        pytest.param(
            ShkInput(ORG, 2024, Decimal(1), national_average_emission_factor_tco2_per_kwh=Decimal("-0.1")),
            id="negative factor",
        ),
        pytest.param(ShkInput(ORG, 2024, Decimal(1), correction_factor=Decimal(-1)), id="negative correction"),
        pytest.param(ShkInput(ORG, 2024, Decimal("NaN")), id="not a number"),
        pytest.param(ShkInput(ORG, 1999, Decimal(1)), id="fiscal year before SHK"),
    ],
)
def test_shk_report_refuses_invalid_inputs(shk_input: ShkInput) -> None:
    with pytest.raises(DomainError) as raised:
        compute_shk_report(shk_input, [], [], BATCHES)
    assert raised.value.code is ErrorCode.INVALID_ARGUMENT


def test_shk_report_refuses_retirement_of_unknown_batch() -> None:
    with pytest.raises(DomainError) as raised:
        compute_shk_report(ShkInput(ORG, 2024, Decimal(1)), [retirement("R", "B-NONE", 1, SHK, 2024)], [], BATCHES)
    assert raised.value.code is ErrorCode.FAILED_PRECONDITION


def test_fiscal_year_runs_april_to_march_in_japan_time() -> None:
    assert fiscal_year_of(datetime(2025, 3, 31, 14, 59, tzinfo=UTC)) == 2024
    assert fiscal_year_of(datetime(2025, 3, 31, 15, 0, tzinfo=UTC)) == 2025
    with pytest.raises(DomainError):
        fiscal_year_of(datetime(2025, 3, 31))  # noqa: DTZ001 - naive on purpose


def test_onset_covers_only_own_domestic_reduction_credits_not_forest_or_foreign_ones() -> None:
    """図 3 / 脚注 8: 「カーボン・クレジット発行者が他者にカーボン・クレジットを移転した場合、その移転分の
    排出削減量は自ら主張することが出来ない」, but 「森林の整備及び保全により炭素吸収された温室効果ガスの炭素
    吸収量として認証された国内認証排出削減量については、この上乗せ報告は対象外である。」

    ORG-A proposed three batches and transferred 10 t of each away in FY2024: only its domestic
    reduction credits (B-OWN) are added back; its domestic forest-absorption credits (B-FOREST) and
    its Kenyan VCS project's credits (B-KE, outside its reported emissions) are not."""
    batches = {
        **BATCHES,
        "B-FOREST": replace(
            BATCHES["B-OWN"], batch_id="B-FOREST", credit_type=CreditType.REMOVAL, basis=CreditBasis.NATURE
        ),
        "B-KE": replace(
            BATCHES["B-OWN"],
            batch_id="B-KE",
            program_id=ProgramId.VCS,
            host_country="KE",
            category=CreditCategory.GLOBAL,
        ),
    }
    at = datetime(2024, 9, 1, 9, 0, tzinfo=JST)
    transfers = [
        transfer("T-OWN", "B-OWN", 10, at),
        transfer("T-FOR", "B-FOREST", 10, at),
        transfer("T-KE", "B-KE", 10, at),
    ]
    report = compute_shk_report(ShkInput(ORG, 2024, Decimal(1000)), [], transfers, batches)
    assert report.onset_transfer_ids == ("T-OWN",)
    assert report.transferred_onset_tco2 == Decimal(10)
    assert report.adjusted_emissions_tco2 == Decimal(1010)
