"""PlaceOrder, CancelOrder, AmendOrder: pre-trade locks, then the instrument's engine matches.

A sell order locks the seller's deliverable credits in the registry first (lock id = order id, the
instrument's delivery criteria); a buy order locks price x quantity of cash in the same transaction
that hands it to the engine. A refused order changes nothing: a registry lock taken for it is
released again, and only an OrderRejected event is recorded for audit.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal

from carbon.trading.v1 import events_pb2
from sqlalchemy import select

from carbon_runtime.errors import DomainError, forbidden, insufficient, invalid, not_found, precondition
from carbon_runtime.persistence import idempotency
from carbon_runtime.transport.auth import Principal, require_role
from services.trading.adapters import repository as repo
from services.trading.adapters import tables
from services.trading.domain.orders import AmendOrder, CancelOrder, PlaceOrder, Side, TimeInForce
from services.trading.service.bounds import require_money_in_range
from services.trading.service.context import PostCommit, TradingContext, actor_of
from services.trading.service.effects import PROTO_SIDE, NewOrder, apply_events
from services.trading.service.ports import DeliveryCriteria

ORDER_NAMESPACE = uuid.UUID("1d6b8a0e-7a53-4f0a-8d76-2b1c7e3f9a44")


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    order: repo.OrderRecord
    trades: list[repo.TradeRecord]


def delivery_criteria(ctx: TradingContext, instrument_id: str) -> DeliveryCriteria:
    c = ctx.market(instrument_id).instrument.criteria
    return DeliveryCriteria(
        program_ids=tuple(sorted(c.program_ids)) if c.program_ids else (),
        credit_types=tuple(sorted(x.value for x in c.credit_types)) if c.credit_types else (),
        categories=tuple(sorted(x.value for x in c.categories)) if c.categories else (),
        vintage_from=c.vintage_from,
        vintage_to=c.vintage_to,
        corresponding_adjustment_required=c.corresponding_adjustment_required,
        batch_id=c.batch_id,
    )


def trader_organization(p: Principal) -> str:
    require_role(p, "TRADER")
    if p.organization_id is None:
        raise forbidden("NO_ORGANIZATION", "a trader must belong to an organization")
    return p.organization_id


def check_account_owner(ctx: TradingContext, p: Principal, account_id: str, organization_id: str) -> None:
    account = ctx.registry.get_account(account_id, p.token)
    if account.organization_id != organization_id:
        raise forbidden("ACCOUNT_NOT_OWNED", "the account belongs to another organization", account_id=account_id)
    if account.kind != "HOLDING":
        raise invalid("ACCOUNT_NOT_HOLDING", "orders deliver from and to HOLDING accounts only", account_id=account_id)


def place_order(
    ctx: TradingContext,
    p: Principal,
    *,
    instrument_id: str,
    side: Side,
    price: Decimal,
    quantity_t: int,
    account_id: str,
    idempotency_key: str | None = None,
    time_in_force: TimeInForce = TimeInForce.GTC,
) -> PlacedOrder:
    organization_id = trader_organization(p)
    market = ctx.market(instrument_id)
    instrument = market.instrument
    price_ticks = instrument.price_to_ticks(require_money_in_range(price, "price", "PRICE_OUTSIDE_LIMITS"))
    instrument.validate_quantity(quantity_t)
    args = [instrument_id, side.value, repo.money(price), quantity_t, account_id, time_in_force.value]
    req_hash = idempotency.request_hash("PlaceOrder", args)
    if idempotency_key:
        with ctx.db.connect() as conn:
            stored = idempotency.lookup(
                conn, tables.idempotency_keys, organization_id, idempotency_key, "PlaceOrder", req_hash
            )
        if stored is not None:
            return _replay(ctx, stored)
        # The same key always names the same order (and registry lock), so a retry after a crash
        # between the registry lock and the local commit reuses the lock instead of taking another.
        order_id = str(uuid.uuid5(ORDER_NAMESPACE, f"{organization_id}/{idempotency_key}"))
    else:
        order_id = str(uuid.uuid4())
    check_account_owner(ctx, p, account_id, organization_id)
    ctx.rate_limiter.take(organization_id)
    try:
        if side is Side.SELL:
            ctx.registry.lock(
                account_id=account_id,
                quantity_t=quantity_t,
                lock_id=order_id,
                criteria=delivery_criteria(ctx, instrument_id),
                idempotency_key=f"lock-{order_id}",
                token=p.token,
            )
    except DomainError as err:
        _record_rejection(ctx, p, order_id, instrument_id, side, price, quantity_t, idempotency_key, err)
        raise
    now = ctx.now()
    notional = price * quantity_t if side is Side.BUY else Decimal(0)
    record = repo.OrderRecord(
        order_id=order_id,
        instrument_id=instrument_id,
        organization_id=organization_id,
        account_id=account_id,
        side=side,
        price=price,
        quantity_t=quantity_t,
        filled_quantity_t=0,
        status="OPEN",
        time_in_force=time_in_force,
        locked_cash=notional,
        lock_id=order_id,
        created_at=now,
    )
    post = PostCommit()
    replayed: bytes | None = None
    try:
        with ctx.exclusive(market), ctx.uow() as uow:
            if idempotency_key:
                replayed = idempotency.lookup(
                    uow.conn, tables.idempotency_keys, organization_id, idempotency_key, "PlaceOrder", req_hash
                )
            if replayed is None:
                if side is Side.BUY:
                    cash = repo.get_cash(uow.conn, organization_id, instrument.currency, for_update=True)
                    if cash.available < notional:
                        raise insufficient(
                            "CASH_NOT_AVAILABLE",
                            f"buying needs {notional} {instrument.currency} but {cash.available} is available",
                            needed=str(notional),
                            available=str(cash.available),
                        )
                command = PlaceOrder(
                    order_id, organization_id, account_id, side, price_ticks, quantity_t, time_in_force
                )
                events = ctx.handle(uow, market, command)
                apply_events(
                    uow,
                    market,
                    events,
                    post,
                    new_order=NewOrder(record, actor_of(p), idempotency_key or "", actor_of(p), organization_id),
                    actor_user_id=actor_of(p),
                    actor_organization_id=organization_id,
                )
                if idempotency_key:
                    idempotency.store(
                        uow.conn, tables.idempotency_keys, organization_id, idempotency_key, "PlaceOrder", req_hash,
                        json.dumps({"order_id": order_id}).encode(),
                    )  # fmt: skip
    except DomainError as err:
        if side is Side.SELL:
            _release_lock(ctx, order_id, quantity_t)
        _record_rejection(ctx, p, order_id, instrument_id, side, price, quantity_t, idempotency_key, err)
        raise
    if replayed is not None:
        return _replay(ctx, replayed)
    ctx.after_commit(post)
    return _result(ctx, order_id, post.trade_ids)


def _replay(ctx: TradingContext, stored: bytes) -> PlacedOrder:
    order_id = str(json.loads(stored)["order_id"])
    with ctx.db.connect() as conn:
        t = tables.trades
        ids = [
            str(r[0])
            for r in conn.execute(
                select(t.c.trade_id)
                .where((t.c.buy_order_id == order_id) | (t.c.sell_order_id == order_id))
                .order_by(t.c.seq)
            )
        ]
    return _result(ctx, order_id, ids)


def _result(ctx: TradingContext, order_id: str, trade_ids: list[str]) -> PlacedOrder:
    with ctx.db.connect() as conn:
        order = repo.get_order(conn, order_id)
        trades = [tr for tr in (repo.get_trade(conn, tid) for tid in trade_ids) if tr is not None]
    if order is None:
        raise not_found("ORDER_NOT_FOUND", f"no order {order_id!r}")
    return PlacedOrder(order, [tr for tr in trades if order_id in (tr.buy_order_id, tr.sell_order_id)])


def _release_lock(ctx: TradingContext, lock_id: str, quantity_t: int) -> None:
    from services.trading.service.settlement import run_pending_unlocks

    with ctx.uow() as uow:
        repo.add_unlock(uow.conn, lock_id, quantity_t, ctx.now())
    run_pending_unlocks(ctx)


def _record_rejection(
    ctx: TradingContext,
    p: Principal,
    order_id: str,
    instrument_id: str,
    side: Side,
    price: Decimal,
    quantity_t: int,
    idempotency_key: str | None,
    err: DomainError,
) -> None:
    with ctx.uow() as uow:
        uow.add_event(
            "instrument",
            instrument_id,
            events_pb2.OrderRejected(
                order_id=order_id,
                instrument_id=instrument_id,
                organization_id=p.organization_id or "",
                side=PROTO_SIDE[side],
                price_decimal=repo.money(price),
                quantity_t=quantity_t,
                error_code=err.code.value,
                reason=err.reason,
                message=err.message,
                idempotency_key=idempotency_key or "",
                actor_user_id=actor_of(p),
                actor_organization_id=p.organization_id or "",
            ),
        )


def _own_open_order(ctx: TradingContext, p: Principal, order_id: str) -> tuple[str, repo.OrderRecord]:
    organization_id = trader_organization(p)
    with ctx.db.connect() as conn:
        order = repo.get_order(conn, order_id)
    if order is None:
        raise not_found("ORDER_NOT_FOUND", f"no order {order_id!r}")
    if order.organization_id != organization_id:
        raise forbidden("NOT_ORDER_OWNER", "the order belongs to another organization")
    if order.status not in ("OPEN", "PARTIALLY_FILLED"):
        raise precondition("ORDER_NOT_OPEN", f"the order is {order.status}", status=order.status)
    return organization_id, order


def cancel_order(ctx: TradingContext, p: Principal, order_id: str) -> repo.OrderRecord:
    organization_id, order = _own_open_order(ctx, p, order_id)
    market = ctx.market(order.instrument_id)
    post = PostCommit()
    with ctx.exclusive(market), ctx.uow() as uow:
        events = ctx.handle(uow, market, CancelOrder(order_id, organization_id))
        apply_events(uow, market, events, post, actor_user_id=actor_of(p), actor_organization_id=organization_id)
    ctx.after_commit(post)
    return _result(ctx, order_id, []).order


def amend_order(
    ctx: TradingContext,
    p: Principal,
    order_id: str,
    *,
    new_price: Decimal | None = None,
    new_remaining_t: int | None = None,
) -> PlacedOrder:
    """Change the price and/or the open quantity. A sell cannot grow (its credits are locked for the
    original quantity); a buy that grows or reprices locks or releases the cash difference."""
    organization_id, order = _own_open_order(ctx, p, order_id)
    market = ctx.market(order.instrument_id)
    new_price_ticks = (
        market.instrument.price_to_ticks(require_money_in_range(new_price, "price", "PRICE_OUTSIDE_LIMITS"))
        if new_price is not None
        else None
    )
    if new_remaining_t is not None:
        market.instrument.validate_quantity(new_remaining_t)
        if order.side is Side.SELL and new_remaining_t > order.remaining_t:
            raise invalid(
                "SELL_QUANTITY_CANNOT_GROW", "a sell order's quantity cannot grow: place a new order for more credits"
            )
    post = PostCommit()
    with ctx.exclusive(market), ctx.uow() as uow:
        if order.side is Side.BUY:
            current = repo.get_order(uow.conn, order_id, for_update=True)
            assert current is not None
            remaining = current.remaining_t if new_remaining_t is None else new_remaining_t
            needed = (new_price if new_price is not None else current.price) * remaining - current.locked_cash
            cash = repo.get_cash(uow.conn, organization_id, market.instrument.currency, for_update=True)
            if needed > cash.available:
                raise insufficient("CASH_NOT_AVAILABLE", f"the amendment needs {needed} more cash than is available")
        command = AmendOrder(order_id, organization_id, new_price_ticks, new_remaining_t)
        events = ctx.handle(uow, market, command)
        apply_events(uow, market, events, post, actor_user_id=actor_of(p), actor_organization_id=organization_id)
    ctx.after_commit(post)
    return _result(ctx, order_id, post.trade_ids)
