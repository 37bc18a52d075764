"""PlaceOrder: pre-trade locks, then the instrument's engine matches.

A sell order locks the seller's deliverable credits in the registry first (lock id = order id, the
instrument's delivery criteria); a buy order locks price x quantity of cash in the same transaction
that hands it to the engine. A refused order changes nothing: a registry lock taken for it is
released again, and only an OrderRejected event is recorded for audit.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from carbon_runtime.errors import DomainError, conflict, insufficient, not_found
from services.trading.domain import orders as engine
from services.trading.domain.actor import trader_organization
from services.trading.domain.commands import PlaceOrder
from services.trading.domain.events import OrderRefused
from services.trading.domain.orders import Side
from services.trading.domain.records import OrderRecord, TradeRecord
from services.trading.domain.session import Clock
from services.trading.service.bounds import require_money_in_range
from services.trading.service.common import check_account_owner, delivery_criteria
from services.trading.service.effects import NewOrder, PostCommit, apply_events
from services.trading.service.markets import Markets
from services.trading.service.ports import RegistryPort, UnitOfWork
from services.trading.service.rate_limit import RateLimiter
from services.trading.service.settlement import Wake, after_commit, release_unlocks

ORDER_NAMESPACE = uuid.UUID("1d6b8a0e-7a53-4f0a-8d76-2b1c7e3f9a44")


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    order: OrderRecord
    trades: list[TradeRecord]


def handle(
    cmd: PlaceOrder,
    uow: UnitOfWork,
    *,
    markets: Markets,
    registry: RegistryPort,
    clock: Clock,
    rate_limiter: RateLimiter,
    service_token: Callable[[], str],
    wake_settlement: Wake,
    lock_secret: bytes | None = None,
) -> PlacedOrder:
    actor = cmd.actor
    organization_id = trader_organization(actor)
    market = markets.get(cmd.instrument_id, uow)
    instrument = market.instrument
    price_ticks = instrument.price_to_ticks(require_money_in_range(cmd.price, "price", "PRICE_OUTSIDE_LIMITS"))
    instrument.validate_quantity(cmd.quantity_t)
    if cmd.idempotency_key:
        # The same key always names the same order (and registry lock), so a retry after a crash
        # between the registry lock and the local commit reuses the lock instead of taking another.
        order_id = str(uuid.uuid5(ORDER_NAMESPACE, f"{organization_id}/{cmd.idempotency_key}"))
        existing = uow.orders.get(order_id)
        if existing is not None:
            # Committed by an earlier attempt whose key was not stored (a crash in between), or by a
            # concurrent request with the same key: the same payload gets that order, another is CONFLICT.
            if _payload_of_record(existing) != _payload(cmd):
                raise _key_reused(cmd)
            return placed(uow, order_id, uow.trades.ids_of_order(order_id))
    else:
        order_id = str(uuid.uuid4())
    lock_id = registry_lock_id(order_id, lock_secret)
    check_account_owner(registry, actor, cmd.account_id, organization_id)
    rate_limiter.take(organization_id)
    if cmd.side is Side.SELL:
        try:
            registry.lock(
                account_id=cmd.account_id,
                quantity_t=cmd.quantity_t,
                lock_id=lock_id,
                criteria=delivery_criteria(instrument),
                # The payload is part of the registry's key: a concurrent request reusing the key with
                # another payload finds the lock id taken (CONFLICT) before any effect, instead of
                # sharing the winner's lock, whose release on its error path would free the winner's
                # credits. A retry of the same payload (after a crash) gets the same lock back.
                idempotency_key=f"lock-{order_id}-{_payload_digest(cmd)}",
                token=actor.token,
            )
        except DomainError as err:
            if cmd.idempotency_key and err.reason == "LOCK_ID_IN_USE":
                err = _key_reused(cmd)
            _record_rejection(uow, cmd, order_id, err)
            raise err from None
    now = clock.now()
    notional = cmd.price * cmd.quantity_t if cmd.side is Side.BUY else Decimal(0)
    record = OrderRecord(
        order_id=order_id,
        instrument_id=cmd.instrument_id,
        organization_id=organization_id,
        account_id=cmd.account_id,
        side=cmd.side,
        price=cmd.price,
        quantity_t=cmd.quantity_t,
        filled_quantity_t=0,
        status="OPEN",
        time_in_force=cmd.time_in_force,
        locked_cash=notional,
        lock_id=lock_id,
        created_at=now,
    )
    post = PostCommit()
    try:
        with markets.exclusive(uow, market):
            if cmd.idempotency_key and (raced := uow.orders.get(order_id)) is not None:
                # A concurrent request with the same key committed while this one waited: never
                # touch its lock (the error path below releases only a lock this request took).
                if _payload_of_record(raced) != _payload(cmd):
                    raise _KeyRacedError(_key_reused(cmd))
                return placed(uow, order_id, uow.trades.ids_of_order(order_id))
            if cmd.side is Side.BUY:
                cash = uow.cash.get(organization_id, instrument.currency, for_update=True)
                if cash.available < notional:
                    raise insufficient(
                        "CASH_NOT_AVAILABLE",
                        f"buying needs {notional} {instrument.currency} but {cash.available} is available",
                        needed=str(notional),
                        available=str(cash.available),
                    )
            step = engine.PlaceOrder(
                order_id, organization_id, cmd.account_id, cmd.side, price_ticks, cmd.quantity_t, cmd.time_in_force
            )
            events = markets.step(uow, market, step)
            apply_events(
                uow,
                market,
                events,
                post,
                new_order=NewOrder(record, actor.name, cmd.idempotency_key or "", actor.name, organization_id),
                actor_user_id=actor.name,
                actor_organization_id=organization_id,
            )
    except _KeyRacedError as raced_err:
        _record_rejection(uow, cmd, order_id, raced_err.error)
        raise raced_err.error from None
    except DomainError as err:
        if cmd.side is Side.SELL:
            uow.unlocks.add(lock_id, cmd.quantity_t, clock.now())
        _record_rejection(uow, cmd, order_id, err)
        if cmd.side is Side.SELL:
            release_unlocks(uow, registry=registry, clock=clock, service_token=service_token)
        raise
    after_commit(
        uow, post, registry=registry, clock=clock, service_token=service_token, wake_settlement=wake_settlement
    )
    return placed(uow, order_id, post.trade_ids)


class _KeyRacedError(Exception):
    """The key's order was committed by another request with another payload: CONFLICT, and the
    lock (which is that request's) stays untouched."""

    def __init__(self, error: DomainError) -> None:
        super().__init__(error.message)
        self.error = error


def registry_lock_id(order_id: str, secret: bytes | None) -> str:
    """The registry lock of an order. Order ids derive from public data (organization id and the
    client's key), so with a secret the lock id is a keyed hash of the order id: deterministic (a
    retry after a crash finds its lock) but not guessable, so nobody can squat or aim at it."""
    if secret is None:
        return order_id
    return "ord-" + hmac.new(secret, order_id.encode(), hashlib.sha256).hexdigest()[:40]


def _payload(cmd: PlaceOrder) -> tuple[str, str, str, str, int, str]:
    return (
        cmd.instrument_id,
        cmd.account_id,
        cmd.side.value,
        str(cmd.price.normalize()),
        cmd.quantity_t,
        cmd.time_in_force.value,
    )


def _payload_of_record(order: OrderRecord) -> tuple[str, str, str, str, int, str]:
    return (
        order.instrument_id,
        order.account_id,
        order.side.value,
        str(order.price.normalize()),
        order.quantity_t,
        order.time_in_force.value,
    )


def _payload_digest(cmd: PlaceOrder) -> str:
    return hashlib.sha256(repr(_payload(cmd)).encode()).hexdigest()[:16]


def _key_reused(cmd: PlaceOrder) -> DomainError:
    return conflict(
        "TRANSACTION_ID_REUSED",
        f"idempotency key {cmd.idempotency_key!r} was already used for a different request",
        key=cmd.idempotency_key,
    )


def placed(uow: UnitOfWork, order_id: str, trade_ids: list[str]) -> PlacedOrder:
    """The order and its trades as they are now (settled at once when the registry answered)."""
    order = uow.orders.get(order_id)
    if order is None:
        raise not_found("ORDER_NOT_FOUND", f"no order {order_id!r}")
    trades = [tr for tr in (uow.trades.get(tid) for tid in trade_ids) if tr is not None]
    return PlacedOrder(order, [tr for tr in trades if order_id in (tr.buy_order_id, tr.sell_order_id)])


def _record_rejection(uow: UnitOfWork, cmd: PlaceOrder, order_id: str, err: DomainError) -> None:
    """Committed on its own: the command fails, but the refusal stays on the record for audit."""
    uow.emit(
        OrderRefused(
            order_id=order_id,
            instrument_id=cmd.instrument_id,
            organization_id=cmd.actor.organization_id or "",
            side=cmd.side,
            price=cmd.price,
            quantity_t=cmd.quantity_t,
            error_code=err.code.value,
            reason=err.reason,
            message=err.message,
            idempotency_key=cmd.idempotency_key or "",
            actor_user_id=cmd.actor.name,
            actor_organization_id=cmd.actor.organization_id or "",
        )
    )
    uow.commit()
