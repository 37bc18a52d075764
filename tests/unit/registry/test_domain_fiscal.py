from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from carbon_runtime.errors import DomainError
from services.registry.domain.blocks import UnitBlock
from services.registry.domain.fiscal import (
    TransferRecord,
    fiscal_year_bounds,
    issuer_onset_quantity,
    itmo_first_transfers,
    japanese_fiscal_year,
)
from services.registry.domain.ledger import mint, transfer
from services.registry.domain.models import (
    Account,
    AuthorizationPurpose,
    Batch,
    CreditBasis,
    CreditCategory,
    CreditType,
)


def make_batch(authorized: bool) -> Batch:
    return Batch(
        id="B7",
        issuance_id="ISS-7",
        program_id="prog-jcm",
        program_code="JCM",
        host_country="MN",
        project_id="P9",
        vintage_start=date(2022, 1, 1),
        vintage_end=date(2022, 12, 31),
        issued_quantity=100,
        buffer_quantity=0,
        serial_start_unit=1,
        serial_end_unit=100,
        credit_type=CreditType.REDUCTION,
        basis=CreditBasis.TECHNOLOGY,
        category=CreditCategory.NDC_CONTRIBUTING,
        proponent_organization_id="org-p",
        corresponding_adjustment=authorized,
        authorization_purpose=AuthorizationPurpose.NDC if authorized else None,
        authorization_id="MN-2022-01" if authorized else None,
    )


PROPONENT_MAIN = Account("acc-p1", "org-p")
PROPONENT_SECOND = Account("acc-p2", "org-p")
BUYER = Account("acc-b", "org-b")


@pytest.mark.parametrize(
    ("day", "fiscal_year"),
    [
        (date(2024, 3, 31), 2023),
        (date(2024, 4, 1), 2024),
        (date(2024, 1, 15), 2023),
        (date(2024, 12, 31), 2024),
    ],
)
def test_japanese_fiscal_year_runs_april_to_march_named_by_start_year(day: date, fiscal_year: int) -> None:
    assert japanese_fiscal_year(day) == fiscal_year


def test_fiscal_year_of_an_instant_is_taken_in_japan_time() -> None:
    # 20:00 UTC on 31 March is 05:00 on 1 April in Tokyo: the new fiscal year.
    assert japanese_fiscal_year(datetime(2024, 3, 31, 20, 0, tzinfo=UTC)) == 2024
    assert japanese_fiscal_year(datetime(2024, 3, 31, 14, 59, tzinfo=UTC)) == 2023
    assert japanese_fiscal_year(datetime(2024, 3, 31, 23, 0, tzinfo=timezone(timedelta(hours=9)))) == 2023


def test_fiscal_year_refuses_naive_instant() -> None:
    with pytest.raises(DomainError):
        japanese_fiscal_year(datetime(2024, 4, 1))  # noqa: DTZ001


def test_fiscal_year_bounds_are_april_first_to_march_last() -> None:
    assert fiscal_year_bounds(2023) == (date(2023, 4, 1), date(2024, 3, 31))


def test_first_transfer_of_authorized_units_out_of_the_host_party_is_itmo_first_transfer() -> None:
    """Decision 2/CMA.3: the first transfer of an NDC-authorized unit is its first international transfer;
    the batch is hosted by Mongolia and the units go to an organization in Japan."""
    batch = make_batch(authorized=True)
    moved = transfer(mint(batch, PROPONENT_MAIN).blocks, PROPONENT_MAIN, BUYER, 30).affected
    assert itmo_first_transfers(batch, "MN", "JP", moved) == ((1, 30),)


def test_unauthorized_batch_never_has_itmo_first_transfers() -> None:
    batch = make_batch(authorized=False)
    moved = (UnitBlock("B7", 1, 30, "acc-b"),)
    assert itmo_first_transfers(batch, "MN", "JP", moved) == ()


def test_transfer_inside_the_host_party_is_not_a_first_transfer() -> None:
    """Between the proponent's accounts, or to another organization in the host country: the units have
    not left the host Party (corrected: leaving the proponent used to count as the first transfer)."""
    batch = make_batch(authorized=True)
    moved = (UnitBlock("B7", 1, 30, "acc-p2"),)
    assert itmo_first_transfers(batch, "MN", "MN", moved) == ()


def test_units_already_first_transferred_do_not_count_again() -> None:
    batch = make_batch(authorized=True)
    moved = (UnitBlock("B7", 1, 50, "acc-b"),)
    assert itmo_first_transfers(batch, "MN", "JP", moved, [(10, 20), (40, 60)]) == (
        (1, 9),
        (21, 39),
    )


def test_transfer_by_a_later_holder_is_not_a_first_transfer() -> None:
    batch = make_batch(authorized=True)
    moved = (UnitBlock("B7", 1, 30, "acc-p1"),)
    assert itmo_first_transfers(batch, "JP", "MN", moved) == ()


def test_issuer_onset_counts_own_issued_credits_transferred_away_in_that_fiscal_year() -> None:
    def record(source: str, destination: str, quantity: int, at: datetime, proponent: str = "org-p") -> TransferRecord:
        return TransferRecord("B7", proponent, source, destination, quantity, at)

    records = [
        record("org-p", "org-b", 30, datetime(2023, 4, 1, tzinfo=UTC)),
        record("org-p", "org-c", 20, datetime(2024, 3, 31, 14, 0, tzinfo=UTC)),
        # 1 April in Tokyo: next fiscal year.
        record("org-p", "org-b", 5, datetime(2024, 3, 31, 16, 0, tzinfo=UTC)),
        # between its own accounts: still its reduction.
        record("org-p", "org-p", 7, datetime(2023, 6, 1, tzinfo=UTC)),
        # credits it did not issue: bought credits, no onset.
        record("org-p", "org-b", 11, datetime(2023, 6, 1, tzinfo=UTC), proponent="org-x"),
        # another organization selling the proponent's credits on.
        record("org-b", "org-c", 13, datetime(2023, 6, 1, tzinfo=UTC)),
    ]
    assert issuer_onset_quantity(records, "org-p", 2023) == 50
    assert issuer_onset_quantity(records, "org-p", 2024) == 5
    assert issuer_onset_quantity(records, "org-b", 2023) == 0
