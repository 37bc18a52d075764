"""Transfers: who may move which units, what is recorded, and that a refused transfer changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from services.registry.domain.blocks import UnitStatus
from services.registry.domain.fiscal import japanese_fiscal_year
from tests.integration.registry.support import Registry


def test_transfer_moves_lowest_serials_to_the_target_account(registry: Registry, world: dict[str, str]) -> None:
    who = Registry.holder(world["proponent"])
    response = registry.transfer(who, world["proponent_account"], world["buyer_account"], world["batch"], 300)
    assert [(b.start_unit, b.end_unit, b.quantity_t) for b in response.blocks] == [(1, 300, 300)]
    assert response.blocks[0].serial_start.endswith("-000000000001-000000000001")
    assert registry.balance(world["proponent_account"]) == 700
    assert registry.balance(world["buyer_account"]) == 300
    registry.assert_invariants()


def test_transfer_rejects_quantity_above_balance(registry: Registry, world: dict[str, str]) -> None:
    who = Registry.holder(world["proponent"])
    with pytest.raises(DomainError) as error:
        registry.transfer(who, world["proponent_account"], world["buyer_account"], world["batch"], 1001)
    assert error.value.code is ErrorCode.INSUFFICIENT_BALANCE


def test_refused_transfer_changes_nothing(registry: Registry, world: dict[str, str]) -> None:
    before = registry.snapshot()
    who = Registry.holder(world["proponent"])
    with pytest.raises(DomainError):
        registry.transfer(who, world["proponent_account"], world["buyer_account"], world["batch"], 5000, key="k1")
    with pytest.raises(DomainError):
        registry.transfer(
            Registry.holder(world["buyer"]), world["proponent_account"], world["buyer_account"], world["batch"], 1
        )
    assert registry.snapshot() == before


def test_transfer_is_forbidden_to_members_of_other_organizations(registry: Registry, world: dict[str, str]) -> None:
    with pytest.raises(DomainError) as error:
        registry.transfer(
            Registry.holder(world["buyer"]), world["proponent_account"], world["buyer_account"], world["batch"], 1
        )
    assert error.value.code is ErrorCode.FORBIDDEN


def test_transfer_needs_the_account_holder_role(registry: Registry, world: dict[str, str]) -> None:
    trader_only = Registry.holder(world["proponent"], "TRADER")
    with pytest.raises(DomainError) as error:
        registry.transfer(trader_only, world["proponent_account"], world["buyer_account"], world["batch"], 1)
    assert error.value.code is ErrorCode.FORBIDDEN


def test_transfer_of_unknown_batch_or_account_is_not_found(registry: Registry, world: dict[str, str]) -> None:
    who = Registry.holder(world["proponent"])
    for source, target, batch in [
        (world["proponent_account"], world["buyer_account"], "NOPE"),
        (world["proponent_account"], "NOPE", world["batch"]),
        ("NOPE", world["buyer_account"], world["batch"]),
    ]:
        with pytest.raises(DomainError) as error:
            registry.transfer(who, source, target, batch, 1)
        assert error.value.code is ErrorCode.NOT_FOUND


def test_transfer_rejects_non_positive_quantity(registry: Registry, world: dict[str, str]) -> None:
    who = Registry.holder(world["proponent"])
    with pytest.raises(DomainError) as error:
        registry.transfer(who, world["proponent_account"], world["buyer_account"], world["batch"], 0)
    assert error.value.code is ErrorCode.INVALID_ARGUMENT


def test_transfer_is_idempotent_per_key(registry: Registry, world: dict[str, str]) -> None:
    who = Registry.holder(world["proponent"])
    first = registry.transfer(who, world["proponent_account"], world["buyer_account"], world["batch"], 100, key="t-1")
    after_first = registry.snapshot()
    again = registry.transfer(who, world["proponent_account"], world["buyer_account"], world["batch"], 100, key="t-1")
    assert again == first
    assert registry.snapshot() == after_first
    assert registry.balance(world["buyer_account"]) == 100


def test_transfer_key_reused_with_other_arguments_is_conflict(registry: Registry, world: dict[str, str]) -> None:
    who = Registry.holder(world["proponent"])
    registry.transfer(who, world["proponent_account"], world["buyer_account"], world["batch"], 100, key="t-1")
    with pytest.raises(DomainError) as error:
        registry.transfer(who, world["proponent_account"], world["buyer_account"], world["batch"], 101, key="t-1")
    assert error.value.code is ErrorCode.CONFLICT
    assert registry.balance(world["buyer_account"]) == 100


def test_issuer_transfer_records_onset_in_the_japanese_fiscal_year(registry: Registry, world: dict[str, str]) -> None:
    who = Registry.holder(world["proponent"])
    response = registry.transfer(who, world["proponent_account"], world["buyer_account"], world["batch"], 10)
    assert response.accounting.issuer_onset
    assert response.accounting.onset_fiscal_year == japanese_fiscal_year(datetime.now(UTC))
    assert not response.accounting.itmo_first_transfer  # not an authorized batch
    back = registry.transfer(
        Registry.holder(world["buyer"]), world["buyer_account"], world["proponent_account"], world["batch"], 5
    )
    assert not back.accounting.issuer_onset
    assert back.accounting.onset_fiscal_year == 0


def test_itmo_first_transfer_is_recognised_once_per_unit(registry: Registry) -> None:
    # The batch is hosted by Japan; the buyer is in Singapore, so units leave the host Party.
    proponent, buyer = registry.org("Proponent"), registry.org("Buyer", "SG")
    source, target = registry.account(proponent), registry.account(buyer)
    batch = registry.mint(proponent, source, 100, authorized=True)
    seller, buyer_user = Registry.holder(proponent), Registry.holder(buyer)
    first = registry.transfer(seller, source, target, batch, 40)
    assert first.accounting.itmo_first_transfer
    registry.transfer(buyer_user, target, source, batch, 40)
    # Units 1..40 came back: leaving again is not a first transfer; units 41..60 are.
    again = registry.transfer(seller, source, target, batch, 40)
    assert not again.accounting.itmo_first_transfer
    more = registry.transfer(seller, source, target, batch, 20)
    assert more.accounting.itmo_first_transfer
    registry.assert_invariants()


def test_locked_units_cannot_be_transferred(registry: Registry, world: dict[str, str]) -> None:
    who = Registry.holder(world["proponent"])
    registry.lock(who, world["proponent_account"], 950, "order-1")
    with pytest.raises(DomainError) as error:
        registry.transfer(who, world["proponent_account"], world["buyer_account"], world["batch"], 100)
    assert error.value.code is ErrorCode.INSUFFICIENT_BALANCE
    assert {b.status for b in registry.blocks(world["batch"])} == {UnitStatus.LOCKED, UnitStatus.HELD}


def test_first_transfer_is_when_units_leave_the_host_party_as_the_article6_report_reads_it(
    registry: Registry,
) -> None:
    """Issue 13 item 10: "first transfer" means one thing in the registry and the Article 6 report
    (表 4 「国際的に移転される緩和成果」; decision 2/CMA.3: the first international transfer). A transfer to
    another organization in Japan, the host, is not the first transfer; the later one to Singapore is."""
    proponent, domestic, foreign = registry.org("Proponent"), registry.org("Trader K.K."), registry.org("Air", "SG")
    source, middle, abroad = registry.account(proponent), registry.account(domestic), registry.account(foreign)
    batch = registry.mint(proponent, source, 100, authorized=True)
    inside = registry.transfer(Registry.holder(proponent), source, middle, batch, 30)
    assert not inside.accounting.itmo_first_transfer
    leaving = registry.transfer(Registry.holder(domestic), middle, abroad, batch, 30)
    assert leaving.accounting.itmo_first_transfer
    registry.assert_invariants()
