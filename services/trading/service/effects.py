"""Turns the matching engine's events into durable effects in the caller's transaction: order and
trade rows, cash locks and releases, registry unlocks owed, and the published trading events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from carbon.trading.v1 import events_pb2, types_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from carbon_runtime.errors import DomainError, ErrorCode, insufficient
from carbon_runtime.persistence.uow import UnitOfWork
from services.trading.adapters import repository as repo
from services.trading.domain.events import (
    AmendRejected,
    AuctionCleared,
    CancelRejected,
    Event,
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    OrderRejected,
    RejectReason,
    TradeExecuted,
)
from services.trading.domain.orders import Side
from services.trading.service.context import Market, PostCommit

TRADE_NAMESPACE = uuid.UUID("6f0c1f55-0f43-4c55-9a57-3d1f0f7c2b10")

_REJECT_CODES: dict[RejectReason, ErrorCode] = {
    RejectReason.DUPLICATE_ORDER_ID: ErrorCode.CONFLICT,
    RejectReason.PRICE_NOT_POSITIVE: ErrorCode.INVALID_ARGUMENT,
    RejectReason.PRICE_OUTSIDE_LIMITS: ErrorCode.INVALID_ARGUMENT,
    RejectReason.QUANTITY_NOT_POSITIVE: ErrorCode.INVALID_ARGUMENT,
    RejectReason.QUANTITY_NOT_LOT_MULTIPLE: ErrorCode.INVALID_ARGUMENT,
    RejectReason.MARKET_CLOSED: ErrorCode.FAILED_PRECONDITION,
    RejectReason.TIME_IN_FORCE_NOT_ALLOWED_IN_PHASE: ErrorCode.FAILED_PRECONDITION,
    RejectReason.ORDER_NOT_FOUND: ErrorCode.FAILED_PRECONDITION,
    RejectReason.NOT_ORDER_OWNER: ErrorCode.FORBIDDEN,
    RejectReason.AMEND_NO_CHANGE: ErrorCode.INVALID_ARGUMENT,
}


def rejection_error(reason: RejectReason) -> DomainError:
    messages = {
        RejectReason.MARKET_CLOSED: "the market is closed for this instrument",
        RejectReason.ORDER_NOT_FOUND: "the order is not resting on the book (filled, cancelled or unknown)",
        RejectReason.AMEND_NO_CHANGE: "the amendment changes nothing",
    }
    return DomainError(
        _REJECT_CODES[reason], reason.value, messages.get(reason, reason.value.lower().replace("_", " "))
    )


def trade_id_for(instrument_id: str, trade_seq: int) -> str:
    # Deterministic: the same journal always names its trades the same way.
    return str(uuid.uuid5(TRADE_NAMESPACE, f"{instrument_id}/{trade_seq}"))


def ts(value: object) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)  # type: ignore[arg-type]
    return stamp


PROTO_SIDE = {Side.BUY: types_pb2.ORDER_SIDE_BUY, Side.SELL: types_pb2.ORDER_SIDE_SELL}
PROTO_STATUS = {
    "OPEN": types_pb2.ORDER_STATUS_OPEN,
    "PARTIALLY_FILLED": types_pb2.ORDER_STATUS_PARTIALLY_FILLED,
    "FILLED": types_pb2.ORDER_STATUS_FILLED,
    "CANCELLED": types_pb2.ORDER_STATUS_CANCELLED,
    "REJECTED": types_pb2.ORDER_STATUS_REJECTED,
}


def order_proto(o: repo.OrderRecord) -> types_pb2.Order:
    return types_pb2.Order(
        order_id=o.order_id,
        instrument_id=o.instrument_id,
        organization_id=o.organization_id,
        account_id=o.account_id,
        side=PROTO_SIDE[o.side],
        price_decimal=repo.money(o.price),
        quantity_t=o.quantity_t,
        filled_quantity_t=o.filled_quantity_t,
        status=PROTO_STATUS[o.status],
        lock_id=o.lock_id,
        created_at=ts(o.created_at),
    )


def trade_proto(tr: repo.TradeRecord) -> types_pb2.Trade:
    msg = types_pb2.Trade(
        trade_id=tr.trade_id,
        instrument_id=tr.instrument_id,
        price_decimal=repo.money(tr.price),
        quantity_t=tr.quantity_t,
        buy_order_id=tr.buy_order_id,
        sell_order_id=tr.sell_order_id,
        aggressor_side=PROTO_SIDE[tr.aggressor_side] if tr.aggressor_side else types_pb2.ORDER_SIDE_UNSPECIFIED,
        settled=tr.settled,
        deliveries=[types_pb2.DeliveredBatch(batch_id=b, quantity_t=q) for b, q in tr.deliveries],
        executed_at=ts(tr.executed_at),
    )
    if tr.settled_at is not None:
        msg.settled_at.CopyFrom(ts(tr.settled_at))
    return msg


@dataclass(frozen=True, slots=True)
class NewOrder:
    """The order being placed, inserted when the engine accepts it."""

    record: repo.OrderRecord
    created_by: str
    idempotency_key: str
    actor_user_id: str
    actor_organization_id: str


def status_after(quantity_t: int, filled_t: int, cancelled: bool = False) -> str:
    if filled_t >= quantity_t:
        return "FILLED"
    if cancelled:
        return "CANCELLED"
    return "PARTIALLY_FILLED" if filled_t else "OPEN"


def apply_events(
    uow: UnitOfWork,
    market: Market,
    events: list[Event],
    post: PostCommit,
    *,
    new_order: NewOrder | None = None,
    actor_user_id: str = "",
    actor_organization_id: str = "",
) -> list[str]:
    """Apply every engine event; returns the ids of the trades executed. Raises DomainError on an
    engine refusal (the caller's transaction rolls back and the engine is rebuilt)."""
    conn = uow.conn
    instrument = market.instrument
    currency = instrument.currency
    trade_ids: list[str] = []
    auctions: list[tuple[AuctionCleared, list[str]]] = []
    for event in events:
        if isinstance(event, OrderRejected | CancelRejected | AmendRejected):
            raise rejection_error(event.reason)
        if isinstance(event, OrderAccepted):
            if new_order is None or event.order_id != new_order.record.order_id:
                continue
            rec = new_order.record
            repo.insert_order(conn, rec, new_order.created_by)
            if rec.side is Side.BUY:
                _lock_cash(uow, rec.organization_id, currency, rec.locked_cash, rec.order_id, event.at)
            uow.add_event(
                "instrument",
                instrument.id,
                events_pb2.OrderAccepted(
                    order=order_proto(rec),
                    idempotency_key=new_order.idempotency_key,
                    actor_user_id=new_order.actor_user_id,
                    actor_organization_id=new_order.actor_organization_id,
                ),
            )
        elif isinstance(event, TradeExecuted):
            trade_id = _apply_trade(uow, market, event)
            trade_ids.append(trade_id)
            if event.aggressor_side is None and auctions:
                auctions[-1][1].append(trade_id)
        elif isinstance(event, OrderCancelled):
            _apply_cancel(uow, market, event, post, actor_user_id, actor_organization_id)
        elif isinstance(event, OrderAmended):
            _apply_amend(uow, market, event, post)
        elif isinstance(event, AuctionCleared):
            auctions.append((event, []))
    for cleared, ids in auctions:
        uow.add_event(
            "instrument",
            instrument.id,
            events_pb2.AuctionCleared(
                auction_id=str(uuid.uuid5(TRADE_NAMESPACE, f"{instrument.id}/auction/{cleared.at.isoformat()}")),
                instrument_id=instrument.id,
                clearing_price_decimal=repo.money(instrument.ticks_to_price(cleared.price_ticks))
                if cleared.price_ticks is not None
                else "",
                cleared_quantity_t=cleared.volume,
                trade_ids=ids,
            ),
        )
    post.trade_ids.extend(trade_ids)
    return trade_ids


def _lock_cash(uow: UnitOfWork, organization_id: str, currency: str, amount: Decimal, ref: str, at: object) -> None:
    cash = repo.get_cash(uow.conn, organization_id, currency, for_update=True)
    if cash.available < amount:
        raise insufficient(
            "CASH_NOT_AVAILABLE",
            f"{amount} {currency} is needed but only {cash.available} {currency} is available",
            needed=str(amount),
            available=str(cash.available),
        )
    repo.adjust_cash(
        uow.conn,
        organization_id,
        currency,
        available_delta=-amount,
        locked_delta=amount,
        kind="LOCK",
        reference_id=ref,
        at=at,  # type: ignore[arg-type]
    )


def _apply_trade(uow: UnitOfWork, market: Market, event: TradeExecuted) -> str:
    conn = uow.conn
    instrument = market.instrument
    trade_id = trade_id_for(instrument.id, event.trade_seq)
    price = instrument.ticks_to_price(event.price_ticks)
    amount = price * event.quantity
    buy = repo.get_order(conn, event.buy_order_id, for_update=True)
    sell = repo.get_order(conn, event.sell_order_id, for_update=True)
    if buy is None or sell is None:
        raise AssertionError(f"trade {trade_id} names an order that is not stored")
    # The buyer locked its limit price per tonne; what a better execution price leaves unused is
    # released now, the rest stays locked until settlement pays the seller.
    reserved = buy.price * event.quantity
    unused = reserved - amount
    if unused:
        repo.adjust_cash(
            conn,
            buy.organization_id,
            instrument.currency,
            available_delta=unused,
            locked_delta=-unused,
            kind="RELEASE",
            reference_id=trade_id,
            at=event.at,
        )
    buy_filled = buy.filled_quantity_t + event.quantity
    sell_filled = sell.filled_quantity_t + event.quantity
    buy_status = status_after(buy.quantity_t, buy_filled)
    sell_status = status_after(sell.quantity_t, sell_filled)
    repo.update_order(
        conn, buy.order_id, event.at, filled_quantity_t=buy_filled, status=buy_status,
        locked_cash=buy.locked_cash - reserved,
    )  # fmt: skip
    repo.update_order(conn, sell.order_id, event.at, filled_quantity_t=sell_filled, status=sell_status)
    record = repo.TradeRecord(
        trade_id=trade_id,
        instrument_id=instrument.id,
        source="EXCHANGE",
        engine_seq=event.trade_seq,
        price=price,
        price_ticks=event.price_ticks,
        quantity_t=event.quantity,
        amount=amount,
        currency=instrument.currency,
        buy_order_id=buy.order_id,
        sell_order_id=sell.order_id,
        sell_lock_id=sell.lock_id,
        buyer_organization_id=buy.organization_id,
        seller_organization_id=sell.organization_id,
        buyer_account_id=buy.account_id,
        seller_account_id=sell.account_id,
        aggressor_side=event.aggressor_side,
        settlement_state="PENDING",
        settlement_id=None,
        delivered_batch_id=None,
        deliveries=(),
        executed_at=event.at,
        settled_at=None,
    )
    repo.insert_trade(conn, record)
    market.unpublished_trades.append(record)
    uow.add_event(
        "instrument",
        instrument.id,
        events_pb2.TradeExecuted(
            trade=trade_proto(record),
            buyer_organization_id=buy.organization_id,
            seller_organization_id=sell.organization_id,
            buyer_account_id=buy.account_id,
            seller_account_id=sell.account_id,
            buy_order_status=PROTO_STATUS[buy_status],
            sell_order_status=PROTO_STATUS[sell_status],
        ),
    )
    return trade_id


def _apply_cancel(
    uow: UnitOfWork, market: Market, event: OrderCancelled, post: PostCommit, actor_user_id: str, actor_org: str
) -> None:
    conn = uow.conn
    order = repo.get_order(conn, event.order_id, for_update=True)
    if order is None:
        raise AssertionError(f"cancelled order {event.order_id} is not stored")
    released = Decimal(0)
    if order.side is Side.BUY:
        released = order.price * event.cancelled_quantity
        if released:
            repo.adjust_cash(
                conn,
                order.organization_id,
                market.instrument.currency,
                available_delta=released,
                locked_delta=-released,
                kind="RELEASE",
                reference_id=order.order_id,
                at=event.at,
            )
    elif event.cancelled_quantity:
        repo.add_unlock(conn, order.lock_id, event.cancelled_quantity, event.at)
        post.unlock = True
    status = status_after(order.quantity_t, order.filled_quantity_t, cancelled=True)
    repo.update_order(conn, order.order_id, event.at, status=status, locked_cash=order.locked_cash - released)
    uow.add_event(
        "instrument",
        market.instrument.id,
        events_pb2.OrderCancelled(
            order_id=order.order_id,
            instrument_id=market.instrument.id,
            filled_quantity_t=order.filled_quantity_t,
            cancelled_quantity_t=event.cancelled_quantity,
            released_cash_decimal=repo.money(released) if order.side is Side.BUY else "",
            actor_user_id=actor_user_id if event.reason.value == "BY_PARTICIPANT" else "",
            actor_organization_id=actor_org if event.reason.value == "BY_PARTICIPANT" else "",
        ),
    )


def _apply_amend(uow: UnitOfWork, market: Market, event: OrderAmended, post: PostCommit) -> None:
    conn = uow.conn
    order = repo.get_order(conn, event.order_id, for_update=True)
    if order is None:
        raise AssertionError(f"amended order {event.order_id} is not stored")
    new_price = market.instrument.ticks_to_price(event.price_ticks)
    new_quantity = order.filled_quantity_t + event.remaining_quantity
    locked_cash = order.locked_cash
    if order.side is Side.BUY:
        needed = new_price * event.remaining_quantity
        delta = needed - order.locked_cash
        if delta > 0:
            _lock_cash(uow, order.organization_id, market.instrument.currency, delta, order.order_id, event.at)
        elif delta < 0:
            repo.adjust_cash(
                conn,
                order.organization_id,
                market.instrument.currency,
                available_delta=-delta,
                locked_delta=delta,
                kind="RELEASE",
                reference_id=order.order_id,
                at=event.at,
            )
        locked_cash = needed
    elif event.quantity_delta < 0:
        repo.add_unlock(conn, order.lock_id, -event.quantity_delta, event.at)
        post.unlock = True
    elif event.quantity_delta > 0:
        raise insufficient(
            "SELL_INCREASE_NOT_LOCKED", "a sell order's quantity cannot grow: place a new order for more credits"
        )
    repo.update_order(
        conn, order.order_id, event.at, price=new_price, quantity_t=new_quantity, locked_cash=locked_cash,
        status=status_after(new_quantity, order.filled_quantity_t),
    )  # fmt: skip
