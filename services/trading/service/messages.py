"""Published events -> outbox messages (carbon.trading.v1 events, aggregate = the instrument).

The one service module that knows the protobuf types; the gRPC server reuses its mappings of orders,
trades and instruments so the API and the events describe them the same way."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from carbon.issuance.v1 import types_pb2 as issuance_types_pb2
from carbon.registry.v1 import types_pb2 as registry_types_pb2
from carbon.trading.v1 import events_pb2, types_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from carbon_runtime.messaging.message import NewEvent
from services.trading.domain.events import (
    AuctionUncrossed,
    ForwardAccepted,
    ForwardCancelled,
    ForwardDelivered,
    ForwardFellShort,
    ForwardOffered,
    InstrumentCreated,
    OrderPlaced,
    OrderRefused,
    OrderWithdrawn,
    TenderClosed,
    TradeBooked,
    TradeSettled,
)
from services.trading.domain.forwards import ForwardRecord
from services.trading.domain.instruments import Instrument
from services.trading.domain.orders import Side
from services.trading.domain.records import ListedInstrument, OrderRecord, TradeRecord, money
from services.trading.service.common import delivery_criteria
from services.trading.service.ports import DeliveryCriteria

AGGREGATE = "instrument"
FORWARD_AGGREGATE = "forward_contract"

PROTO_SIDE = {Side.BUY: types_pb2.ORDER_SIDE_BUY, Side.SELL: types_pb2.ORDER_SIDE_SELL}
PROTO_STATUS = {
    "OPEN": types_pb2.ORDER_STATUS_OPEN,
    "PARTIALLY_FILLED": types_pb2.ORDER_STATUS_PARTIALLY_FILLED,
    "FILLED": types_pb2.ORDER_STATUS_FILLED,
    "CANCELLED": types_pb2.ORDER_STATUS_CANCELLED,
    "REJECTED": types_pb2.ORDER_STATUS_REJECTED,
}


def ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def criteria_to_proto(criteria: DeliveryCriteria) -> registry_types_pb2.DeliveryCriteria:
    return registry_types_pb2.DeliveryCriteria(
        program_ids=list(criteria.program_ids),
        credit_types=[issuance_types_pb2.CreditType.Value(f"CREDIT_TYPE_{t}") for t in criteria.credit_types],
        categories=[issuance_types_pb2.CreditCategory.Value(f"CREDIT_CATEGORY_{c}") for c in criteria.categories],
        vintage_from=criteria.vintage_from.isoformat() if criteria.vintage_from else "",
        vintage_to=criteria.vintage_to.isoformat() if criteria.vintage_to else "",
        corresponding_adjustment_required=criteria.corresponding_adjustment_required,
        batch_id=criteria.batch_id or "",
    )


def _mode(mode: str) -> types_pb2.TradingMode.ValueType:
    return types_pb2.TRADING_MODE_CALL_AUCTION if mode == "CALL_AUCTION" else types_pb2.TRADING_MODE_CONTINUOUS


def instrument_proto(listed: ListedInstrument) -> types_pb2.Instrument:
    i = listed.instrument
    return types_pb2.Instrument(
        instrument_id=i.id,
        name=i.name,
        currency=i.currency,
        tick_size_decimal=money(i.tick_size),
        criteria=criteria_to_proto(delivery_criteria(i)),
        mode=_mode(listed.mode),
        reference_price_decimal=money(i.reference_price) if i.reference_price is not None else "",
        created_at=ts(listed.created_at),
    )


def order_proto(o: OrderRecord) -> types_pb2.Order:
    return types_pb2.Order(
        order_id=o.order_id,
        instrument_id=o.instrument_id,
        organization_id=o.organization_id,
        account_id=o.account_id,
        side=PROTO_SIDE[o.side],
        price_decimal=money(o.price),
        quantity_t=o.quantity_t,
        filled_quantity_t=o.filled_quantity_t,
        status=PROTO_STATUS[o.status],
        lock_id=o.lock_id,
        created_at=ts(o.created_at),
    )


def trade_proto(tr: TradeRecord) -> types_pb2.Trade:
    msg = types_pb2.Trade(
        trade_id=tr.trade_id,
        instrument_id=tr.instrument_id,
        price_decimal=money(tr.price),
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


def _instrument_created(e: InstrumentCreated) -> events_pb2.InstrumentCreated:
    i: Instrument = e.instrument
    return events_pb2.InstrumentCreated(
        instrument_id=i.id,
        name=i.name,
        currency=i.currency,
        tick_size_decimal=money(i.tick_size),
        criteria=criteria_to_proto(delivery_criteria(i)),
        mode=_mode(e.mode),
        idempotency_key=e.idempotency_key,
        actor_user_id=e.actor_user_id,
        actor_organization_id=e.actor_organization_id,
    )


def forward_terms(f: ForwardRecord) -> events_pb2.ForwardTerms:
    return events_pb2.ForwardTerms(
        forward_id=f.forward_id,
        project_id=f.project_id,
        seller_organization_id=f.seller_organization_id,
        seller_account_id=f.seller_account_id,
        buyer_organization_id=f.buyer_organization_id,
        delivery_account_id=f.delivery_account_id or "",
        quantity_t=f.quantity_t,
        delivered_quantity_t=f.delivered_quantity_t,
        price_per_tonne_decimal=money(f.price_per_tonne),
        currency=f.currency,
        vintage_from=f.vintage_from or 0,
        vintage_to=f.vintage_to or 0,
        delivery_deadline=f.delivery_deadline.isoformat(),
        prepayment_share_decimal=money(f.prepayment_share),
        status=f.status.value,
        escrow_locked_decimal=money(f.escrow_locked),
        accepted_seq=f.accepted_seq or 0,
    )


def _forward_messages(event: object) -> Iterable[NewEvent]:
    if isinstance(event, ForwardOffered):
        offered = events_pb2.ForwardOffered(
            forward=forward_terms(event.forward),
            idempotency_key=event.idempotency_key,
            actor_user_id=event.actor_user_id,
            actor_organization_id=event.actor_organization_id,
        )
        yield NewEvent(FORWARD_AGGREGATE, event.forward.forward_id, offered)
    elif isinstance(event, ForwardAccepted):
        accepted = events_pb2.ForwardAccepted(
            forward=forward_terms(event.forward),
            prepayment_amount_decimal=money(event.forward.prepayment_amount),
            idempotency_key=event.idempotency_key,
            actor_user_id=event.actor_user_id,
            actor_organization_id=event.actor_organization_id,
        )
        yield NewEvent(FORWARD_AGGREGATE, event.forward.forward_id, accepted)
    elif isinstance(event, ForwardDelivered):
        d = event.delivery
        delivered = events_pb2.ForwardDelivered(
            forward=forward_terms(event.forward),
            delivery_id=d.delivery_id,
            batch_id=d.batch_id,
            quantity_t=d.quantity_t,
            amount_decimal=money(d.amount),
            settlement_id=d.settlement_id or "",
        )
        yield NewEvent(FORWARD_AGGREGATE, event.forward.forward_id, delivered)
    elif isinstance(event, ForwardFellShort):
        short = events_pb2.ForwardShortfall(
            forward=forward_terms(event.forward),
            undelivered_quantity_t=event.undelivered_quantity_t,
            returned_amount_decimal=money(event.returned_amount),
        )
        yield NewEvent(FORWARD_AGGREGATE, event.forward.forward_id, short)
    elif isinstance(event, ForwardCancelled):
        cancelled = events_pb2.ForwardCancelled(
            forward=forward_terms(event.forward),
            returned_amount_decimal=money(event.returned_amount),
            actor_user_id=event.actor_user_id,
            actor_organization_id=event.actor_organization_id,
        )
        yield NewEvent(FORWARD_AGGREGATE, event.forward.forward_id, cancelled)
    else:
        raise TypeError(f"no message mapping for {type(event).__name__}")


FORWARD_EVENTS = (ForwardOffered, ForwardAccepted, ForwardDelivered, ForwardFellShort, ForwardCancelled)


def to_messages(event: object) -> Iterable[NewEvent]:
    if isinstance(event, FORWARD_EVENTS):
        yield from _forward_messages(event)
    elif isinstance(event, InstrumentCreated):
        yield NewEvent(AGGREGATE, event.instrument.id, _instrument_created(event))
    elif isinstance(event, OrderPlaced):
        payload = events_pb2.OrderAccepted(
            order=order_proto(event.order),
            idempotency_key=event.idempotency_key,
            actor_user_id=event.actor_user_id,
            actor_organization_id=event.actor_organization_id,
        )
        yield NewEvent(AGGREGATE, event.order.instrument_id, payload)
    elif isinstance(event, OrderRefused):
        rejected = events_pb2.OrderRejected(
            order_id=event.order_id,
            instrument_id=event.instrument_id,
            organization_id=event.organization_id,
            side=PROTO_SIDE[event.side],
            price_decimal=money(event.price),
            quantity_t=event.quantity_t,
            error_code=event.error_code,
            reason=event.reason,
            message=event.message,
            idempotency_key=event.idempotency_key,
            actor_user_id=event.actor_user_id,
            actor_organization_id=event.actor_organization_id,
        )
        yield NewEvent(AGGREGATE, event.instrument_id, rejected)
    elif isinstance(event, TradeBooked):
        tr = event.trade
        executed = events_pb2.TradeExecuted(
            trade=trade_proto(tr),
            buyer_organization_id=tr.buyer_organization_id,
            seller_organization_id=tr.seller_organization_id,
            buyer_account_id=tr.buyer_account_id,
            seller_account_id=tr.seller_account_id,
            buy_order_status=PROTO_STATUS[event.buy_order_status],
            sell_order_status=PROTO_STATUS[event.sell_order_status],
        )
        yield NewEvent(AGGREGATE, tr.instrument_id, executed)
    elif isinstance(event, OrderWithdrawn):
        cancelled = events_pb2.OrderCancelled(
            order_id=event.order_id,
            instrument_id=event.instrument_id,
            filled_quantity_t=event.filled_quantity_t,
            cancelled_quantity_t=event.cancelled_quantity_t,
            released_cash_decimal=money(event.released_cash) if event.side is Side.BUY else "",
            actor_user_id=event.actor_user_id,
            actor_organization_id=event.actor_organization_id,
        )
        yield NewEvent(AGGREGATE, event.instrument_id, cancelled)
    elif isinstance(event, AuctionUncrossed):
        cleared = events_pb2.AuctionCleared(
            auction_id=event.auction_id,
            instrument_id=event.instrument_id,
            clearing_price_decimal=money(event.clearing_price) if event.clearing_price is not None else "",
            cleared_quantity_t=event.cleared_quantity_t,
            trade_ids=list(event.trade_ids),
        )
        yield NewEvent(AGGREGATE, event.instrument_id, cleared)
    elif isinstance(event, TenderClosed):
        closed = events_pb2.TenderClosed(
            tender_id=event.tender_id,
            instrument_id=event.instrument_id,
            offered_quantity_t=event.offered_quantity_t,
            awarded_quantity_t=event.awarded_quantity_t,
            reserve_price_decimal=money(event.reserve_price),
            awards=[
                events_pb2.TenderAward(
                    order_id=a.bid_id, organization_id=a.organization_id, price_decimal=money(a.price),
                    quantity_t=a.quantity_t, trade_id=a.trade_id,
                )
                for a in event.awards
            ],
        )  # fmt: skip
        yield NewEvent(AGGREGATE, event.instrument_id, closed)
    elif isinstance(event, TradeSettled):
        settled = events_pb2.TradeSettled(
            trade_id=event.trade_id,
            instrument_id=event.instrument_id,
            settlement_id=event.settlement_id,
            deliveries=[types_pb2.DeliveredBatch(batch_id=b, quantity_t=q) for b, q in event.deliveries],
            amount_decimal=money(event.amount),
            currency=event.currency,
        )
        yield NewEvent(AGGREGATE, event.instrument_id, settled)
    else:
        raise TypeError(f"no message mapping for {type(event).__name__}")
