"""The idempotency race in PlaceOrder (issue 14, item 7): a retry with the same key and another
payload is CONFLICT before any effect, and nothing on its error path touches the winning request's
registry lock; registry lock ids are not guessable from public data. Trading handlers over fakes."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.messaging.bus import MessageBus
from services.trading.domain import commands
from services.trading.domain.orders import Side
from services.trading.service.handlers import HANDLERS
from services.trading.service.messages import to_messages
from services.trading.service.place_order import ORDER_NAMESPACE
from services.trading.service.rate_limit import RateLimiter
from tests.support.fake_registry import FakeRegistry
from tests.unit.trading.support import SELLER, Exchange

SECRET = b"k" * 32


class CrashAfterLock(FakeRegistry):
    """The registry answers the lock, then the trading process dies before its commit."""

    crash_next_lock = False

    def lock(self, **kw: Any) -> None:
        super().lock(**kw)
        if self.crash_next_lock:
            self.crash_next_lock = False
            raise RuntimeError("process killed after the registry lock")


def _exchange() -> Exchange:
    ex = Exchange(registry=CrashAfterLock())
    ex.bus = MessageBus(
        lambda: ex.uow,
        HANDLERS,
        to_messages,
        dependencies={
            "markets": ex.markets,
            "registry": ex.registry,
            "clock": ex.clock,
            "service_token": lambda: "service-token",
            "rate_limiter": RateLimiter(rate_per_s=1000.0, burst=1000),
            "wake_settlement": lambda: None,
            "lock_secret": SECRET,
        },
    )
    return ex


def _sell(instrument: str, account: str, price: str) -> commands.PlaceOrder:
    return commands.PlaceOrder(SELLER, instrument, Side.SELL, Decimal(price), 10, account, idempotency_key="retry-1")


def test_a_racing_retry_with_another_payload_is_conflict_and_leaves_the_winners_lock() -> None:
    ex = _exchange()
    registry = ex.registry
    assert isinstance(registry, CrashAfterLock)
    instrument = ex.instrument()
    account = registry.open("org-seller", 50)
    # Request A took its registry lock and is still in flight (here: died before its commit).
    registry.crash_next_lock = True
    with pytest.raises(RuntimeError):
        ex.handle(_sell(instrument, account, "1000"))
    ((winner_lock, (_, locked)),) = registry.locks.items()
    assert locked == 10 and registry.balance(account) == 40

    # B: the same key, another payload (a price that makes the engine refuse it).
    with pytest.raises(DomainError) as refused:
        ex.handle(_sell(instrument, account, "999999999999"))
    assert (refused.value.code, refused.value.reason) == (ErrorCode.CONFLICT, "TRANSACTION_ID_REUSED")
    assert registry.locks[winner_lock] == (account, 10), "the winner's lock is untouched"
    assert registry.unlock_calls == [] and registry.balance(account) == 40
    assert ex.uow.orders.get(str(uuid.uuid5(ORDER_NAMESPACE, "org-seller/retry-1"))) is None

    # A's retry (same payload) reuses its lock and places the order.
    placed = ex.handle(_sell(instrument, account, "1000"))
    assert placed.order.lock_id == winner_lock and len(registry.locks) == 1


def test_a_retry_with_another_payload_after_the_winner_committed_is_conflict() -> None:
    ex = _exchange()
    instrument = ex.instrument()
    account = ex.registry.open("org-seller", 50)
    first = ex.handle(_sell(instrument, account, "1000"))
    # The race: the winner's order is committed but this request did not see its stored key.
    ex.uow.idempotency.clear()
    with pytest.raises(DomainError) as refused:
        ex.handle(_sell(instrument, account, "1001"))
    assert refused.value.code is ErrorCode.CONFLICT
    order = ex.uow.orders.get(first.order.order_id)
    assert order is not None and order.status == "OPEN" and order.price == Decimal("1000")
    assert ex.registry.locks[first.order.lock_id] == (account, 10)
    assert ex.registry.unlock_calls == []


def test_registry_lock_ids_are_not_derivable_from_the_key_and_organization() -> None:
    ex = _exchange()
    instrument = ex.instrument()
    account = ex.registry.open("org-seller", 50)
    placed = ex.handle(_sell(instrument, account, "1000"))
    public = str(uuid.uuid5(ORDER_NAMESPACE, "org-seller/retry-1"))
    assert placed.order.order_id == public
    assert placed.order.lock_id != public and public not in placed.order.lock_id
