"""SettleTrade: delivery versus payment, as a saga that can be retried any number of times.

1. What the command did so far is committed first (`uow.commit()`): the trade is PENDING in the
   database before the registry hears of it, so a crash or restart resumes from there.
2. The registry delivers the locked credits (Settle, lock = the sell order's lock, idempotency key
   derived from the trade id: a retried settlement delivers once, whatever happened before).
3. In ONE local transaction: the buyer's locked cash goes to the seller's available cash, the trade
   becomes SETTLED with the batches delivered, and TradeSettled is recorded.
If the registry is unavailable the trade stays PENDING and the worker retries it; a trade is never
lost (it is PENDING in the database) and never delivered twice (registry idempotency + the row lock
and state check in step 3).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal

from carbon_runtime.errors import DomainError, not_found
from services.trading.domain.events import TradeSettled
from services.trading.domain.records import TradeRecord
from services.trading.domain.session import Clock
from services.trading.service.effects import PostCommit
from services.trading.service.ports import RegistryPort, UnitOfWork

log = logging.getLogger(__name__)

#: Wakes the settlement worker (bootstrap wires it): a trade whose settlement was deferred is retried.
Wake = Callable[[], None]


def settlement_key(trade_id: str) -> str:
    return f"settle-{trade_id}"


def settle(
    uow: UnitOfWork, trade_id: str, *, registry: RegistryPort, clock: Clock, service_token: Callable[[], str]
) -> TradeRecord:
    trade = uow.trades.get(trade_id)
    if trade is None:
        raise not_found("TRADE_NOT_FOUND", f"no trade {trade_id!r}")
    if trade.settled:
        return trade
    uow.commit()  # durable before the remote call: a restart settles this trade, and only once
    try:
        receipt = registry.settle(
            lock_id=trade.sell_lock_id,
            quantity_t=trade.quantity_t,
            to_account_id=trade.buyer_account_id,
            trade_id=trade_id,
            idempotency_key=settlement_key(trade_id),
            token=service_token(),
        )
    except DomainError as err:
        uow.trades.record_attempt(trade_id, err.code.value, f"{err.reason}: {err.message}", clock.now())
        uow.commit()
        raise
    deliveries = tuple((d.batch_id, d.quantity_t) for d in receipt.deliveries)
    now = clock.now()
    current = uow.trades.get(trade_id, for_update=True)
    assert current is not None
    if current.settled:
        return current  # settled concurrently (worker and request); the registry delivered once
    uow.cash.adjust(
        trade.buyer_organization_id, trade.currency, available_delta=Decimal(0), locked_delta=-trade.amount,
        kind="SETTLE_DEBIT", reference_id=trade_id, at=now,
    )  # fmt: skip
    uow.cash.adjust(
        trade.seller_organization_id, trade.currency, available_delta=trade.amount, locked_delta=Decimal(0),
        kind="SETTLE_CREDIT", reference_id=trade_id, at=now,
    )  # fmt: skip
    uow.trades.mark_settled(trade_id, receipt.settlement_id, deliveries, now)
    uow.trades.record_attempt(trade_id, "SETTLED", receipt.settlement_id, now)
    uow.emit(
        TradeSettled(
            trade_id=trade_id,
            instrument_id=trade.instrument_id,
            settlement_id=receipt.settlement_id,
            deliveries=deliveries,
            amount=trade.amount,
            currency=trade.currency,
        )
    )
    uow.commit()
    settled = uow.trades.get(trade_id)
    assert settled is not None
    return settled


def release_unlocks(uow: UnitOfWork, *, registry: RegistryPort, clock: Clock, service_token: Callable[[], str]) -> int:
    """Release registry locks the exchange owes; each one is marked done once the registry confirmed."""
    uow.commit()  # the unlocks owed are durable before the registry is called
    done = 0
    for unlock in uow.unlocks.pending():
        error: str | None = None
        try:
            registry.unlock(
                lock_id=unlock.lock_id,
                quantity_t=unlock.quantity_t,
                idempotency_key=f"unlock-{unlock.unlock_id}",
                token=service_token(),
            )
            done += 1
        except DomainError as err:
            error = f"{err.code.value} {err.reason}: {err.message}"
        uow.unlocks.finish(unlock.unlock_id, error, clock.now())
        uow.commit()
    return done


def after_commit(
    uow: UnitOfWork,
    post: PostCommit,
    *,
    registry: RegistryPort,
    clock: Clock,
    service_token: Callable[[], str],
    wake_settlement: Wake,
) -> None:
    """Try the remote effects a committed command owes now; whatever fails stays pending for the
    settlement worker (and never fails the command, which has committed)."""
    if post.unlock:
        release_unlocks(uow, registry=registry, clock=clock, service_token=service_token)
    for trade_id in post.trade_ids:
        try:
            settle(uow, trade_id, registry=registry, clock=clock, service_token=service_token)
        except DomainError as err:
            log.info("settlement deferred", extra={"trade_id": trade_id, "code": err.code.value})
    if post.trade_ids:
        wake_settlement()
