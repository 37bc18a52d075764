"""SettleTrade: delivery versus payment, as a saga that can be retried any number of times.

1. The registry delivers the locked credits (Settle, lock = the sell order's lock, idempotency key
   derived from the trade id: a retried settlement delivers once, whatever happened before).
2. In ONE local transaction: the buyer's locked cash goes to the seller's available cash, the trade
   becomes SETTLED with the batches delivered, and TradeSettled is recorded.
If the registry is unavailable the trade stays PENDING and the worker retries it; a trade is never
lost (it is PENDING in the database) and never delivered twice (registry idempotency + the row lock
and state check in step 2).
"""

from __future__ import annotations

import logging
import threading
from decimal import Decimal

from carbon.trading.v1 import events_pb2, types_pb2

from carbon_runtime.errors import DomainError, not_found
from services.trading.adapters import repository as repo
from services.trading.service.context import TradingContext

log = logging.getLogger(__name__)


def settlement_key(trade_id: str) -> str:
    return f"settle-{trade_id}"


def settle_trade(ctx: TradingContext, trade_id: str) -> repo.TradeRecord:
    with ctx.db.connect() as conn:
        trade = repo.get_trade(conn, trade_id)
    if trade is None:
        raise not_found("TRADE_NOT_FOUND", f"no trade {trade_id!r}")
    if trade.settled:
        return trade
    try:
        receipt = ctx.registry.settle(
            lock_id=trade.sell_lock_id,
            quantity_t=trade.quantity_t,
            to_account_id=trade.buyer_account_id,
            trade_id=trade_id,
            idempotency_key=settlement_key(trade_id),
            token=ctx.service_token(),
        )
    except DomainError as err:
        with ctx.uow() as uow:
            repo.record_attempt(uow.conn, trade_id, err.code.value, f"{err.reason}: {err.message}", ctx.now())
        raise
    deliveries = [(d.batch_id, d.quantity_t) for d in receipt.deliveries]
    now = ctx.now()
    with ctx.uow() as uow:
        current = repo.get_trade(uow.conn, trade_id, for_update=True)
        assert current is not None
        if current.settled:
            return current  # settled concurrently (worker and request); the registry delivered once
        repo.adjust_cash(
            uow.conn, trade.buyer_organization_id, trade.currency,
            available_delta=Decimal(0), locked_delta=-trade.amount,
            kind="SETTLE_DEBIT", reference_id=trade_id, at=now,
        )  # fmt: skip
        repo.adjust_cash(
            uow.conn, trade.seller_organization_id, trade.currency,
            available_delta=trade.amount, locked_delta=Decimal(0),
            kind="SETTLE_CREDIT", reference_id=trade_id, at=now,
        )  # fmt: skip
        repo.mark_trade_settled(uow.conn, trade_id, receipt.settlement_id, deliveries, now)
        repo.record_attempt(uow.conn, trade_id, "SETTLED", receipt.settlement_id, now)
        uow.add_event(
            "instrument",
            trade.instrument_id,
            events_pb2.TradeSettled(
                trade_id=trade_id,
                instrument_id=trade.instrument_id,
                settlement_id=receipt.settlement_id,
                deliveries=[types_pb2.DeliveredBatch(batch_id=b, quantity_t=q) for b, q in deliveries],
                amount_decimal=repo.money(trade.amount),
                currency=trade.currency,
            ),
        )
    with ctx.db.connect() as conn:
        settled = repo.get_trade(conn, trade_id)
    assert settled is not None
    return settled


def run_pending_unlocks(ctx: TradingContext) -> int:
    """Release registry locks the exchange owes (cancellations, refused orders, unsold tenders)."""
    with ctx.db.connect() as conn:
        pending = repo.pending_unlocks(conn)
    done = 0
    for unlock in pending:
        error: str | None = None
        try:
            ctx.registry.unlock(
                lock_id=unlock.lock_id,
                quantity_t=unlock.quantity_t,
                idempotency_key=f"unlock-{unlock.unlock_id}",
                token=ctx.service_token(),
            )
            done += 1
        except DomainError as err:
            error = f"{err.code.value} {err.reason}: {err.message}"
        with ctx.uow() as uow:
            repo.finish_unlock(uow.conn, unlock.unlock_id, error, ctx.now())
    return done


def settle_pending(ctx: TradingContext, limit: int = 100) -> int:
    """One pass of the worker: settle what is pending; returns how many trades settled."""
    run_pending_unlocks(ctx)
    with ctx.db.connect() as conn:
        trade_ids = repo.pending_trade_ids(conn, limit)
    settled = 0
    for trade_id in trade_ids:
        try:
            settle_trade(ctx, trade_id)
            settled += 1
        except DomainError as err:
            log.info("settlement still pending", extra={"trade_id": trade_id, "code": err.code.value})
    return settled


class SettlementWorker:
    """Background retries of pending settlements and unlocks (a carbon_runtime Worker)."""

    def __init__(self, ctx: TradingContext, interval_ms: int = 1000) -> None:
        self.ctx = ctx
        self.interval_s = interval_ms / 1000
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="trading-settlement", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                settle_pending(self.ctx)
            except Exception:
                log.exception("settlement pass failed")
            self._wake.wait(self.interval_s)
            self._wake.clear()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
