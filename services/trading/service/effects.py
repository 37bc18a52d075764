"""Turns the matching engine's events into durable effects in the command's unit of work: order and
trade rows, cash locks and releases, registry unlocks owed, and the published events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from carbon_runtime.errors import DomainError, ErrorCode, insufficient
from services.trading.domain.events import (
    AmendRejected,
    AuctionCleared,
    AuctionUncrossed,
    CancelRejected,
    Event,
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    OrderPlaced,
    OrderRejected,
    OrderWithdrawn,
    RejectReason,
    TradeBooked,
    TradeExecuted,
)
from services.trading.domain.orders import Side
from services.trading.domain.records import OrderRecord, TradeRecord
from services.trading.service.markets import Market
from services.trading.service.ports import UnitOfWork

TRADE_NAMESPACE = uuid.UUID("6f0c1f55-0f43-4c55-9a57-3d1f0f7c2b10")


@dataclass
class PostCommit:
    """Remote effects owed after a local commit: tried at once, retried by the worker if they fail."""

    trade_ids: list[str] = field(default_factory=list)
    unlock: bool = False


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


@dataclass(frozen=True, slots=True)
class NewOrder:
    """The order being placed, inserted when the engine accepts it."""

    record: OrderRecord
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
            uow.orders.add(rec, new_order.created_by)
            if rec.side is Side.BUY:
                _lock_cash(uow, rec.organization_id, currency, rec.locked_cash, rec.order_id, event.at)
            uow.emit(
                OrderPlaced(
                    order=rec,
                    idempotency_key=new_order.idempotency_key,
                    actor_user_id=new_order.actor_user_id,
                    actor_organization_id=new_order.actor_organization_id,
                )
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
        uow.emit(
            AuctionUncrossed(
                auction_id=str(uuid.uuid5(TRADE_NAMESPACE, f"{instrument.id}/auction/{cleared.at.isoformat()}")),
                instrument_id=instrument.id,
                clearing_price=instrument.ticks_to_price(cleared.price_ticks)
                if cleared.price_ticks is not None
                else None,
                cleared_quantity_t=cleared.volume,
                trade_ids=tuple(ids),
            )
        )
    post.trade_ids.extend(trade_ids)
    return trade_ids


def _lock_cash(uow: UnitOfWork, organization_id: str, currency: str, amount: Decimal, ref: str, at: datetime) -> None:
    cash = uow.cash.get(organization_id, currency, for_update=True)
    if cash.available < amount:
        raise insufficient(
            "CASH_NOT_AVAILABLE",
            f"{amount} {currency} is needed but only {cash.available} {currency} is available",
            needed=str(amount),
            available=str(cash.available),
        )
    uow.cash.adjust(
        organization_id,
        currency,
        available_delta=-amount,
        locked_delta=amount,
        kind="LOCK",
        reference_id=ref,
        at=at,
    )


def _apply_trade(uow: UnitOfWork, market: Market, event: TradeExecuted) -> str:
    instrument = market.instrument
    trade_id = trade_id_for(instrument.id, event.trade_seq)
    price = instrument.ticks_to_price(event.price_ticks)
    amount = price * event.quantity
    buy = uow.orders.get(event.buy_order_id, for_update=True)
    sell = uow.orders.get(event.sell_order_id, for_update=True)
    if buy is None or sell is None:
        raise AssertionError(f"trade {trade_id} names an order that is not stored")
    # The buyer locked its limit price per tonne; what a better execution price leaves unused is
    # released now, the rest stays locked until settlement pays the seller.
    reserved = buy.price * event.quantity
    unused = reserved - amount
    if unused:
        uow.cash.adjust(
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
    uow.orders.update(
        buy.order_id, event.at, filled_quantity_t=buy_filled, status=buy_status, locked_cash=buy.locked_cash - reserved
    )
    uow.orders.update(sell.order_id, event.at, filled_quantity_t=sell_filled, status=sell_status)
    record = TradeRecord(
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
    uow.trades.add(record)
    market.unpublished_trades.append(record)
    uow.emit(TradeBooked(trade=record, buy_order_status=buy_status, sell_order_status=sell_status))
    return trade_id


def _apply_cancel(
    uow: UnitOfWork, market: Market, event: OrderCancelled, post: PostCommit, actor_user_id: str, actor_org: str
) -> None:
    order = uow.orders.get(event.order_id, for_update=True)
    if order is None:
        raise AssertionError(f"cancelled order {event.order_id} is not stored")
    released = Decimal(0)
    if order.side is Side.BUY:
        released = order.price * event.cancelled_quantity
        if released:
            uow.cash.adjust(
                order.organization_id,
                market.instrument.currency,
                available_delta=released,
                locked_delta=-released,
                kind="RELEASE",
                reference_id=order.order_id,
                at=event.at,
            )
    elif event.cancelled_quantity:
        uow.unlocks.add(order.lock_id, event.cancelled_quantity, event.at)
        post.unlock = True
    status = status_after(order.quantity_t, order.filled_quantity_t, cancelled=True)
    uow.orders.update(order.order_id, event.at, status=status, locked_cash=order.locked_cash - released)
    by_participant = event.reason.value == "BY_PARTICIPANT"
    uow.emit(
        OrderWithdrawn(
            order_id=order.order_id,
            instrument_id=market.instrument.id,
            side=order.side,
            filled_quantity_t=order.filled_quantity_t,
            cancelled_quantity_t=event.cancelled_quantity,
            released_cash=released,
            actor_user_id=actor_user_id if by_participant else "",
            actor_organization_id=actor_org if by_participant else "",
        )
    )


def _apply_amend(uow: UnitOfWork, market: Market, event: OrderAmended, post: PostCommit) -> None:
    order = uow.orders.get(event.order_id, for_update=True)
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
            uow.cash.adjust(
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
        uow.unlocks.add(order.lock_id, -event.quantity_delta, event.at)
        post.unlock = True
    elif event.quantity_delta > 0:
        raise insufficient(
            "SELL_INCREASE_NOT_LOCKED", "a sell order's quantity cannot grow: place a new order for more credits"
        )
    uow.orders.update(
        order.order_id, event.at, price=new_price, quantity_t=new_quantity, locked_cash=locked_cash,
        status=status_after(new_quantity, order.filled_quantity_t),
    )  # fmt: skip
