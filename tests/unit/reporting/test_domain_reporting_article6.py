"""Article 6.2 report in the agreed electronic format (DOMAIN.md §4: ITMOs, authorization, CA)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.vocabulary import CancellationPurpose, CreditBasis, CreditCategory, CreditType, RetirementPurpose
from services.reporting.domain.article6 import (
    AefAction,
    Article6Report,
    AuthorizationFacts,
    AuthorizedPurpose,
    FirstTransferDefinition,
    build_article6_report,
)
from services.reporting.domain.facts import (
    BatchFacts,
    CancellationFacts,
    NdcUseFacts,
    ProgramId,
    RetirementFacts,
    TransferFacts,
)

JST = timezone(timedelta(hours=9))
PARTIES = {"ORG-VN": "VN", "ORG-JP": "JP", "ORG-JP2": "JP", "ORG-SG": "SG"}

JCM = BatchFacts(
    batch_id="B-JCM",
    project_id="P-1",
    project_name="Rice husk power",
    program_id=ProgramId.JCM,
    host_country="VN",
    methodology_code="VN_AM007",
    credit_type=CreditType.REDUCTION,
    basis=CreditBasis.TECHNOLOGY,
    category=CreditCategory.NDC_CONTRIBUTING,
    vintage_start=date(2022, 1, 1),
    vintage_end=date(2022, 12, 31),
    first_crediting_period_start=date(2021, 1, 1),
    corresponding_adjustment=True,
    issued_quantity_t=1000,
    serial_start="JCM-VN-0001",
    serial_end="JCM-VN-1000",
    issued_on=date(2023, 3, 1),
    sector="Energy",
)
NO_CA = replace(JCM, batch_id="B-NOCA", corresponding_adjustment=False)
UNAUTHORIZED = replace(JCM, batch_id="B-UNAUTH")
BATCHES = {b.batch_id: b for b in (JCM, NO_CA, UNAUTHORIZED)}

NDC_AUTH = AuthorizationFacts(
    authorization_id="AUTH-1",
    batch_id="B-JCM",
    cooperative_approach_id="JCM-JP-VN",
    host_party="VN",
    authorized_on=date(2023, 2, 1),
    purposes=AuthorizedPurpose.NDC,
    authorized_entities=("ORG-JP",),
)


def at(month: int, day: int) -> datetime:
    return datetime(2023, month, day, 12, 0, tzinfo=JST)


TRANSFERS = [
    TransferFacts("T1", "ORG-VN", "ORG-JP", "B-JCM", 600, at(6, 1), serial_ranges=("JCM-VN-0001-JCM-VN-0600",)),
    TransferFacts("T2", "ORG-JP", "ORG-JP2", "B-JCM", 100, at(7, 1)),
    TransferFacts("T3", "ORG-JP", "ORG-SG", "B-JCM", 200, at(8, 1), serial_ranges=("JCM-VN-0401-JCM-VN-0600",)),
    TransferFacts("T4", "ORG-VN", "ORG-JP", "B-UNAUTH", 50, at(6, 1)),
    TransferFacts("T5", "ORG-VN", "ORG-JP", "B-NOCA", 50, at(6, 1)),
]
RETIREMENTS = [
    RetirementFacts(
        "R1", "ORG-JP", "A", "B-JCM", 300, ("JCM-VN-0001-JCM-VN-0300",),
        RetirementPurpose.SHK_ADJUSTMENT, "ORG-JP", 2023, at(9, 1), counts_toward_japan_ndc=True,
    ),
    RetirementFacts(
        "R2", "ORG-SG", "A", "B-JCM", 200, (), RetirementPurpose.VOLUNTARY_OFFSET, "ORG-SG", 2023, at(10, 1)
    ),
]  # fmt: skip


def report(party: str) -> Article6Report:
    no_ca_auth = replace(NDC_AUTH, authorization_id="AUTH-2", batch_id="B-NOCA")
    return build_article6_report(party, 2023, BATCHES, [NDC_AUTH, no_ca_auth], PARTIES, TRANSFERS, RETIREMENTS)


def test_acquiring_party_reports_first_transfer_onward_transfer_and_ndc_use() -> None:
    records = report("JP").records
    assert [(r.action, r.source_id) for r in records] == [
        (AefAction.FIRST_TRANSFER, "T1"),
        (AefAction.TRANSFER, "T3"),
        (AefAction.ACQUISITION, "T3"),
        (AefAction.USE, "R1"),
    ]
    first = records[0]
    assert (first.itmo_first_id, first.itmo_last_id) == ("JCM-VN-0001", "JCM-VN-0600")
    assert (first.first_transferring_party, first.transferring_party, first.acquiring_party) == (
        "VN",
        "VN",
        "JP",
    )
    assert (first.vintage, first.sector, first.activity_type) == (2022, "Energy", "Emission reductions")
    assert (first.metric, first.conversion_factor, first.quantity_tco2e) == ("tCO2e", "1", 600)
    assert first.purposes_for_authorization == "NDC"
    assert first.cooperative_approach_id == "JCM-JP-VN"
    assert (records[3].using_party, records[3].purpose_of_use) == ("JP", "NDC")


def test_host_party_reports_authorization_and_first_transfer_only() -> None:
    result = report("VN")
    assert [(r.action, r.source_id) for r in result.records] == [
        (AefAction.AUTHORIZATION, "AUTH-1"),
        (AefAction.FIRST_TRANSFER, "T1"),
    ]
    assert result.records[0].quantity_tco2e == 1000
    assert result.totals_by_action_tco2e[AefAction.FIRST_TRANSFER] == 600


def test_units_without_authorization_or_corresponding_adjustment_are_not_itmos() -> None:
    sources = {r.batch_id for party in ("VN", "JP", "SG") for r in report(party).records}
    assert sources == {"B-JCM"}


def test_other_retirement_of_itmos_is_a_voluntary_cancellation() -> None:
    records = report("SG").records
    assert [(r.action, r.source_id) for r in records] == [
        (AefAction.TRANSFER, "T3"),
        (AefAction.ACQUISITION, "T3"),
        (AefAction.VOLUNTARY_CANCELLATION, "R2"),
    ]


def test_oimp_first_transfer_defined_at_use_is_reported_with_the_corsia_cancellation() -> None:
    oimp = replace(
        NDC_AUTH,
        purposes=AuthorizedPurpose.OIMP,
        oimp="CORSIA",
        first_transfer_definition=FirstTransferDefinition.USE_OR_CANCELLATION,
    )
    cancellation = CancellationFacts(
        "C1",
        "ORG-JP",
        "B-JCM",
        100,
        ("JCM-VN-0901-JCM-VN-1000",),
        CancellationPurpose.CORSIA,
        "Airline",
        at(11, 1),
    )
    host = build_article6_report("VN", 2023, BATCHES, [oimp], PARTIES, cancellations=[cancellation])
    user = build_article6_report("JP", 2023, BATCHES, [oimp], PARTIES, cancellations=[cancellation])
    # The host reports the first transfer on the cancellation date; the canceller's Party the use.
    assert [(r.action, r.action_date, r.transferring_party) for r in host.records] == [
        (AefAction.AUTHORIZATION, date(2023, 2, 1), ""),
        (AefAction.FIRST_TRANSFER, date(2023, 11, 1), "VN"),
    ]
    assert [(r.action, r.using_party, r.purpose_of_use, r.oimp_authorized) for r in user.records] == [
        (AefAction.USE, "JP", "CORSIA", "CORSIA"),
    ]


def test_oimp_first_transfer_at_issuance_is_dated_on_issuance() -> None:
    oimp = replace(
        NDC_AUTH,
        purposes=AuthorizedPurpose.OIMP,
        oimp="CORSIA",
        first_transfer_definition=FirstTransferDefinition.ISSUANCE,
    )
    result = build_article6_report("VN", 2023, BATCHES, [oimp], PARTIES)
    assert [(r.action, r.action_date) for r in result.records] == [
        (AefAction.AUTHORIZATION, date(2023, 2, 1)),
        (AefAction.FIRST_TRANSFER, date(2023, 3, 1)),
    ]


def test_ndc_use_by_a_party_is_reported_as_use_towards_ndc() -> None:
    use = NdcUseFacts("U1", "JP", "B-JCM", 50, (), at(12, 1))
    result = build_article6_report("JP", 2023, BATCHES, [NDC_AUTH], PARTIES, ndc_uses=[use])
    assert [(r.action, r.itmo_first_id, r.itmo_last_id) for r in result.records] == [
        (AefAction.USE, "JCM-VN-0001", "JCM-VN-1000")
    ]


def test_actions_outside_the_year_are_not_reported() -> None:
    assert build_article6_report("VN", 2024, BATCHES, [NDC_AUTH], PARTIES, TRANSFERS).records == ()


def test_oimp_authorization_must_name_the_oimp_and_first_transfer() -> None:
    with pytest.raises(DomainError) as raised:
        replace(NDC_AUTH, purposes=AuthorizedPurpose.NDC_AND_OIMP)
    assert raised.value.code is ErrorCode.INVALID_ARGUMENT


def test_transfer_from_an_organization_of_unknown_party_is_refused() -> None:
    stray = TransferFacts("TX", "ORG-??", "ORG-JP", "B-JCM", 1, at(6, 1))
    with pytest.raises(DomainError) as raised:
        build_article6_report("JP", 2023, BATCHES, [NDC_AUTH], PARTIES, [stray])
    assert raised.value.code is ErrorCode.FAILED_PRECONDITION


def _one_retirement(party: str, retirement: RetirementFacts) -> list[tuple[AefAction, str, str]]:
    result = build_article6_report(party, 2023, BATCHES, [NDC_AUTH], PARTIES, retirements=[retirement])
    return [(r.action, r.using_party, r.purpose_of_use) for r in result.records]


def test_retirement_the_registry_counts_toward_japan_ndc_is_japans_use_whoever_retires_for_whatever_purpose() -> None:
    voluntary_abroad = replace(RETIREMENTS[1], counts_toward_japan_ndc=True)
    # Japan reports the use toward its NDC; the retiring organization's Party reports nothing.
    assert _one_retirement("JP", voluntary_abroad) == [(AefAction.USE, "JP", "NDC")]
    assert _one_retirement("SG", voluntary_abroad) == []


def test_shk_retirement_the_registry_does_not_count_toward_japan_ndc_is_a_voluntary_cancellation() -> None:
    not_counted = replace(RETIREMENTS[0], counts_toward_japan_ndc=False)
    assert _one_retirement("JP", not_counted) == [(AefAction.VOLUNTARY_CANCELLATION, "JP", "")]


def test_retirement_counted_toward_japan_ndc_needs_no_party_for_the_retiring_organization() -> None:
    stray = replace(RETIREMENTS[1], organization_id="ORG-??", counts_toward_japan_ndc=True)
    assert _one_retirement("JP", stray) == [(AefAction.USE, "JP", "NDC")]


def test_counted_retirement_of_units_without_corresponding_adjustment_is_not_an_itmo() -> None:
    no_ca = replace(RETIREMENTS[0], batch_id="B-NOCA", counts_toward_japan_ndc=True)
    no_ca_auth = replace(NDC_AUTH, authorization_id="AUTH-2", batch_id="B-NOCA")
    result = build_article6_report("JP", 2023, BATCHES, [no_ca_auth], PARTIES, retirements=[no_ca])
    assert result.records == ()


def test_action_dates_are_days_in_japan_time_as_fiscal_years_are() -> None:
    """Issue 13 item 9: 「Article 6 dates use JST where fiscal years do」. SHK fiscal years are Japanese
    (§6.1.1 (a), 温対法 算定報告公表制度): a transfer at 2023-12-31T20:00Z happened on 1 January 2024 in Tokyo,
    so it is dated 2024-01-01 and belongs to the 2024 report, not to 2023's."""
    late = datetime(2023, 12, 31, 20, 0, tzinfo=UTC)
    transfers = [
        TransferFacts("T-NY", "ORG-VN", "ORG-JP", "B-JCM", 10, late, serial_ranges=("JCM-VN-0001-JCM-VN-0010",))
    ]
    in_2023 = build_article6_report("JP", 2023, BATCHES, [NDC_AUTH], PARTIES, transfers)
    in_2024 = build_article6_report("JP", 2024, BATCHES, [NDC_AUTH], PARTIES, transfers)
    assert [r.source_id for r in in_2023.records if r.source_id == "T-NY"] == []
    first = [r for r in in_2024.records if r.source_id == "T-NY"]
    assert [(r.action, r.action_date) for r in first] == [(AefAction.FIRST_TRANSFER, date(2024, 1, 1))]
