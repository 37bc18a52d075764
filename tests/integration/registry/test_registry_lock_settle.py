"""Locks for the exchange: by delivery criteria across batches, released by unlock, delivered by settle."""

from __future__ import annotations

import pytest
from carbon.issuance.v1 import types_pb2 as issuance_types
from carbon.registry.v1 import registry_pb2

from carbon_runtime.errors import DomainError, ErrorCode
from services.registry.domain.blocks import UnitStatus
from tests.integration.registry.support import ADMIN, ISSUANCE, Registry, batch_totals, call


@pytest.fixture
def seller(registry: Registry) -> dict[str, str]:
    org, buyer = registry.org("Seller"), registry.org("Buyer")
    account, buyer_account = registry.account(org), registry.account(buyer)
    newer = registry.mint(org, account, 100, vintage="2024")
    older = registry.mint(org, account, 50, vintage="2021")
    removal = registry.mint(
        org, account, 40, vintage="2020", credit_type=issuance_types.CREDIT_TYPE_REMOVAL, program="JBLUE", buffer=10
    )
    return {"org": org, "account": account, "buyer": buyer, "buyer_account": buyer_account,
            "newer": newer, "older": older, "removal": removal}  # fmt: skip


def test_lock_takes_matching_units_oldest_vintage_first_across_batches(
    registry: Registry, seller: dict[str, str]
) -> None:
    who = Registry.holder(seller["org"])
    response = registry.lock(who, seller["account"], 70, "order-1", credit_types=[issuance_types.CREDIT_TYPE_REDUCTION])
    assert [(b.batch_id, b.quantity_t) for b in response.blocks] == [(seller["older"], 50), (seller["newer"], 20)]
    assert registry.balance(seller["account"]) == 180 - 70
    assert registry.locked(seller["account"]) == 70
    registry.assert_invariants()


def test_lock_rejects_more_than_the_matching_units(registry: Registry, seller: dict[str, str]) -> None:
    before = registry.snapshot()
    with pytest.raises(DomainError) as error:
        registry.lock(Registry.holder(seller["org"]), seller["account"], 31, "o", batch_id=seller["removal"])
    assert error.value.code is ErrorCode.INSUFFICIENT_BALANCE
    assert registry.snapshot() == before


def test_lock_needs_a_trader_of_the_owning_organization(registry: Registry, seller: dict[str, str]) -> None:
    for who in (Registry.holder(seller["buyer"]), Registry.holder(seller["org"], "ACCOUNT_HOLDER")):
        with pytest.raises(DomainError) as error:
            registry.lock(who, seller["account"], 1, "o")
        assert error.value.code is ErrorCode.FORBIDDEN


def test_lock_id_cannot_be_reused(registry: Registry, seller: dict[str, str]) -> None:
    who = Registry.holder(seller["org"])
    registry.lock(who, seller["account"], 1, "o")
    with pytest.raises(DomainError) as error:
        registry.lock(who, seller["account"], 1, "o")
    assert error.value.code is ErrorCode.CONFLICT


def test_settle_delivers_locked_units_to_the_buyer_atomically(registry: Registry, seller: dict[str, str]) -> None:
    who = Registry.holder(seller["org"])
    registry.lock(who, seller["account"], 70, "order-1", credit_types=[issuance_types.CREDIT_TYPE_REDUCTION])
    response = registry.settle("order-1", 60, seller["buyer_account"], key="trade-1")
    assert [(d.batch_id, d.quantity_t, d.issuer_onset) for d in response.deliveries] == [
        (seller["older"], 50, True),
        (seller["newer"], 10, True),
    ]
    assert response.remaining_locked_t == 10
    assert registry.balance(seller["buyer_account"]) == 60
    assert registry.locked(seller["account"]) == 10
    again = registry.settle("order-1", 60, seller["buyer_account"], key="trade-1")
    assert again == response
    assert registry.balance(seller["buyer_account"]) == 60
    registry.assert_invariants()


def test_settle_rejects_more_than_is_locked(registry: Registry, seller: dict[str, str]) -> None:
    registry.lock(Registry.holder(seller["org"]), seller["account"], 5, "o")
    with pytest.raises(DomainError) as error:
        registry.settle("o", 6, seller["buyer_account"])
    assert error.value.code is ErrorCode.INSUFFICIENT_BALANCE
    assert registry.locked(seller["account"]) == 5


def test_settle_and_unlock_need_service_or_exchange_admin(registry: Registry, seller: dict[str, str]) -> None:

    registry.lock(Registry.holder(seller["org"]), seller["account"], 5, "o")
    trader = Registry.holder(seller["org"])
    with pytest.raises(DomainError) as error:
        call(
            registry.deps,
            trader,
            registry_pb2.SettleRequest(lock_id="o", quantity_t=1, to_account_id=seller["buyer_account"], trade_id="t"),
        )
    assert error.value.code is ErrorCode.FORBIDDEN
    with pytest.raises(DomainError) as error:
        call(registry.deps, trader, registry_pb2.UnlockRequest(lock_id="o"))
    assert error.value.code is ErrorCode.FORBIDDEN


def test_unlock_returns_locked_units_to_held(registry: Registry, seller: dict[str, str]) -> None:
    registry.lock(Registry.holder(seller["org"]), seller["account"], 70, "o")
    partial = registry.unlock("o", 20)
    assert partial.remaining_locked_t == 50
    rest = registry.unlock("o")
    assert rest.remaining_locked_t == 0
    assert registry.locked(seller["account"]) == 0
    assert registry.balance(seller["account"]) == 180
    assert all(b.status is not UnitStatus.LOCKED for batch in registry.batch_ids() for b in registry.blocks(batch))
    registry.assert_invariants()


def test_unlock_of_unknown_lock_is_not_found(registry: Registry) -> None:
    with pytest.raises(DomainError) as error:
        registry.unlock("nope")
    assert error.value.code is ErrorCode.NOT_FOUND


def test_buffer_cancellation_draws_on_the_programs_pool(registry: Registry, seller: dict[str, str]) -> None:
    request = registry_pb2.CancelFromBufferRequest(
        idempotency_key="rev-1", buffer_account_id="BUFFER-JBLUE", program_id="JBLUE", quantity_t=4, reversal_id="R1"
    )
    response = call(registry.deps, ISSUANCE, request)
    assert sum(b.quantity_t for b in response.blocks) == 4
    assert registry.balance("BUFFER-JBLUE") == 6
    with pytest.raises(DomainError) as error:
        call(
            registry.deps,
            ISSUANCE,
            registry_pb2.CancelFromBufferRequest(
                buffer_account_id="BUFFER-JBLUE", program_id="JBLUE", quantity_t=7, reversal_id="R2"
            ),
        )
    assert error.value.code is ErrorCode.INSUFFICIENT_BALANCE
    totals = batch_totals(registry.deps, ADMIN, registry_pb2.GetBatchTotalsRequest(batch_ids=[seller["removal"]]))
    assert totals.batches[0].minted_quantity_t == 40 and totals.batches[0].buffer_quantity_t == 10
    registry.assert_invariants()
