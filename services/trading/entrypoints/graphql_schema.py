"""The trading subgraph: instruments, orders, trades, cash balances and market data."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncGenerator
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from carbon_runtime.errors import invalid
from carbon_runtime.transport.graphql_contract import (
    CreditCategory,
    CreditType,
    OrderSide,
    OrderStatus,
    Tonnes,
    parse_decimal,
)
from carbon_runtime.transport.graphql_runtime import RequestContext
from services.trading.adapters import repository as repo
from services.trading.domain.events import Phase
from services.trading.domain.instruments import CreditCategory as DomainCategory
from services.trading.domain.instruments import CreditType as DomainCreditType
from services.trading.domain.instruments import InstrumentCriteria, PriceLimit, PriceLimitKind
from services.trading.domain.orders import Side, TimeInForce
from services.trading.domain.session import SessionSchedule, SessionStep
from services.trading.service import instruments as instrument_handlers
from services.trading.service import orders as order_handlers
from services.trading.service import otc as otc_handlers
from services.trading.service import queries
from services.trading.service import tenders as tender_handlers
from services.trading.service.context import TradingContext
from services.trading.service.market_feed import MAX_BOOK_DEPTH
from services.trading.service.market_feed import BookUpdate as BookSnapshot
from services.trading.service.watch_market import watch_book, watch_trades

Info = strawberry.Info[RequestContext, None]


def _ctx(info: Info) -> TradingContext:
    ctx: TradingContext = info.context.extras["trading"]
    return ctx


def _decimal(value: Decimal, field: str) -> Decimal:
    # Re-checked with the contract's parser: NaN and Infinity parse as Decimals but are not numbers.
    return parse_decimal(str(value), field)


# --- entities owned elsewhere (stubs) -------------------------------------------------------------


@strawberry.federation.type(keys=["id"])
class CreditBatch:
    id: strawberry.ID

    @strawberry.field(description="Tonnes of this batch delivered by settled exchange, tender and OTC trades.")
    def traded_quantity(self, info: Info) -> Tonnes:
        return Tonnes(queries.traded_quantity_of_batch(_ctx(info), str(self.id)))

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> CreditBatch:
        return CreditBatch(id=id)


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class Organization:
    id: strawberry.ID


# --- market data ----------------------------------------------------------------------------------


@strawberry.type(description="Resting quantity at one price.")
class PriceLevel:
    price: Decimal
    quantity: Tonnes
    order_count: int


@strawberry.type(description="Open, high, low, close, volume and VWAP of one trading day (JST).")
class DailyBar:
    trading_day: dt.date
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Tonnes
    vwap: Decimal
    trade_count: int


@strawberry.type(description="The price signal the exchange publishes for one instrument.")
class MarketData:
    phase: str
    last_price: Decimal | None
    best_bid: Decimal | None
    best_ask: Decimal | None
    bids: list[PriceLevel]
    asks: list[PriceLevel]
    volume: Tonnes
    volume_24h: Tonnes
    vwap: Decimal | None
    daily_bars: list[DailyBar]
    indicative_auction_price: Decimal | None


def _market_data(ctx: TradingContext, instrument_id: str, depth: int) -> MarketData:
    data = queries.market_data(ctx, instrument_id, depth)
    return MarketData(
        phase=data.phase,
        last_price=data.last_price,
        best_bid=data.quote.best_bid,
        best_ask=data.quote.best_ask,
        bids=[
            PriceLevel(price=lv.price, quantity=Tonnes(lv.quantity_t), order_count=lv.order_count)
            for lv in data.quote.bids
        ],
        asks=[
            PriceLevel(price=lv.price, quantity=Tonnes(lv.quantity_t), order_count=lv.order_count)
            for lv in data.quote.asks
        ],
        volume=Tonnes(data.volume_t),
        volume_24h=Tonnes(data.volume_24h_t),
        vwap=data.vwap,
        daily_bars=[
            DailyBar(
                trading_day=b.trading_day,
                open=b.open,
                high=b.high,
                low=b.low,
                close=b.close,
                volume=Tonnes(b.volume_t),
                vwap=b.vwap,
                trade_count=b.trade_count,
            )
            for b in data.daily_bars
        ],
        indicative_auction_price=data.indicative_auction_price,
    )


# --- owned entities -------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"])
class Instrument:
    id: strawberry.ID
    name: str
    currency: str
    tick_size: Decimal
    lot_size: Tonnes
    reference_price: Decimal | None
    mode: str = strawberry.field(description="CONTINUOUS or CALL_AUCTION (a session schedule is configured).")

    @strawberry.field
    def last_price(self, info: Info) -> Decimal | None:
        return queries.market_data(_ctx(info), str(self.id), 0).last_price

    @strawberry.field
    def best_bid(self, info: Info) -> Decimal | None:
        return queries.market_data(_ctx(info), str(self.id), 0).quote.best_bid

    @strawberry.field
    def best_ask(self, info: Info) -> Decimal | None:
        return queries.market_data(_ctx(info), str(self.id), 0).quote.best_ask

    @strawberry.field(description="Prices, depth, OHLC, VWAP and volume.")
    def market_data(self, info: Info, depth: int = 5) -> MarketData:
        return _market_data(_ctx(info), str(self.id), depth)

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Instrument:
        return instrument_from(instrument_handlers.get_instrument(_ctx(info), str(id)))


def instrument_from(record: repo.InstrumentRecord) -> Instrument:
    i = record.instrument
    return Instrument(
        id=strawberry.ID(i.id),
        name=i.name,
        currency=i.currency,
        tick_size=i.tick_size,
        lot_size=Tonnes(i.lot_size_t),
        reference_price=i.reference_price,
        mode=record.mode,
    )


@strawberry.federation.type(keys=["id"])
class Order:
    id: strawberry.ID
    instrument_id: strawberry.ID
    account_id: strawberry.ID
    side: OrderSide
    price: Decimal
    quantity: Tonnes
    filled_quantity: Tonnes
    status: OrderStatus
    created_at: dt.datetime

    @strawberry.field
    def instrument(self, info: Info) -> Instrument:
        return instrument_from(instrument_handlers.get_instrument(_ctx(info), str(self.instrument_id)))

    @strawberry.field
    def remaining_quantity(self) -> Tonnes:
        return Tonnes(self.quantity - self.filled_quantity if self.status in _LIVE else 0)

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Order | None:
        record = queries.get_order(_ctx(info), info.context.principal, str(id))
        return None if record is None else order_from(record)


_LIVE = (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)


def order_from(o: repo.OrderRecord) -> Order:
    return Order(
        id=strawberry.ID(o.order_id),
        instrument_id=strawberry.ID(o.instrument_id),
        account_id=strawberry.ID(o.account_id),
        side=OrderSide(o.side.value),
        price=o.price,
        quantity=Tonnes(o.quantity_t),
        filled_quantity=Tonnes(o.filled_quantity_t),
        status=OrderStatus(o.status),
        created_at=o.created_at,
    )


@strawberry.type
class DeliveredBatch:
    batch: CreditBatch
    quantity: Tonnes


@strawberry.federation.type(keys=["id"])
class Trade:
    id: strawberry.ID
    instrument_id: strawberry.ID
    price: Decimal
    quantity: Tonnes
    settled: bool
    executed_at: dt.datetime
    settled_at: dt.datetime | None
    source: str = strawberry.field(description="EXCHANGE (continuous or auction) or TENDER.")
    deliveries: list[DeliveredBatch] = strawberry.field(description="Batches delivered, once settled.")
    batch_id: strawberry.Private[str | None] = None

    @strawberry.field
    def instrument(self, info: Info) -> Instrument:
        return instrument_from(instrument_handlers.get_instrument(_ctx(info), str(self.instrument_id)))

    @strawberry.field(description="The batch delivered, once settled.")
    def batch(self) -> CreditBatch | None:
        return None if self.batch_id is None else CreditBatch(id=strawberry.ID(self.batch_id))

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Trade:
        return trade_from(queries.get_trade(_ctx(info), str(id)))


def trade_from(tr: repo.TradeRecord) -> Trade:
    return Trade(
        id=strawberry.ID(tr.trade_id),
        instrument_id=strawberry.ID(tr.instrument_id),
        price=tr.price,
        quantity=Tonnes(tr.quantity_t),
        settled=tr.settled,
        executed_at=tr.executed_at,
        settled_at=tr.settled_at,
        source=tr.source,
        deliveries=[
            DeliveredBatch(batch=CreditBatch(id=strawberry.ID(b)), quantity=Tonnes(q)) for b, q in tr.deliveries
        ],
        batch_id=tr.delivered_batch_id,
    )


@strawberry.type
class CashBalance:
    organization: Organization
    currency: str
    available: Decimal
    locked: Decimal


def cash_from(c: repo.CashRecord) -> CashBalance:
    return CashBalance(
        organization=Organization(id=strawberry.ID(c.organization_id)),
        currency=c.currency,
        available=c.available,
        locked=c.locked,
    )


# --- tenders and OTC ------------------------------------------------------------------------------


@strawberry.type
class TenderAward:
    bid_id: strawberry.ID
    organization_id: strawberry.ID
    price: Decimal
    quantity: Tonnes
    trade_id: strawberry.ID


@strawberry.type(description="A sealed-bid tender; bids stay sealed until it closes.")
class Tender:
    id: strawberry.ID
    instrument_id: strawberry.ID
    offered_quantity: Tonnes
    minimum_price: Decimal
    closes_at: dt.datetime
    status: str
    bid_count: int
    sold_quantity: Tonnes | None
    average_winning_price: Decimal | None
    awards: list[TenderAward] | None


def tender_from(v: tender_handlers.TenderView) -> Tender:
    return Tender(
        id=strawberry.ID(v.tender_id),
        instrument_id=strawberry.ID(v.instrument_id),
        offered_quantity=Tonnes(v.offered_quantity_t),
        minimum_price=v.minimum_price,
        closes_at=v.closes_at,
        status=v.status,
        bid_count=v.bid_count,
        sold_quantity=Tonnes(v.sold_quantity_t) if v.sold_quantity_t is not None else None,
        average_winning_price=v.average_winning_price,
        awards=None
        if v.awards is None
        else [
            TenderAward(
                bid_id=strawberry.ID(a.bid_id), organization_id=strawberry.ID(a.organization_id), price=a.price,
                quantity=Tonnes(a.quantity_t), trade_id=strawberry.ID(a.trade_id),
            )
            for a in v.awards
        ],
    )  # fmt: skip


@strawberry.type
class TenderBid:
    id: strawberry.ID
    tender_id: strawberry.ID
    price: Decimal
    quantity: Tonnes


@strawberry.type
class OtcTradeReport:
    id: strawberry.ID
    instrument_id: strawberry.ID
    price: Decimal
    quantity: Tonnes
    settled_in_registry: bool
    transfer_id: strawberry.ID | None
    traded_at: dt.datetime


@strawberry.type(description="Volumes by venue: exchange (continuous and auction), tender, and reported OTC.")
class MarketStatistics:
    instrument_id: strawberry.ID
    exchange_volume: Tonnes
    exchange_vwap: Decimal | None
    tender_volume: Tonnes
    otc_volume: Tonnes
    otc_vwap: Decimal | None
    otc_report_count: int


# --- inputs ---------------------------------------------------------------------------------------


@strawberry.input(
    description="What a credit must be to be delivered against an instrument; absent fields do not restrict."
)
class InstrumentCriteriaInput:
    program_ids: list[strawberry.ID] | None = None
    credit_types: list[CreditType] | None = None
    categories: list[CreditCategory] | None = None
    vintage_from: dt.date | None = None
    vintage_to: dt.date | None = None
    batch_id: strawberry.ID | None = None
    corresponding_adjustment_required: bool | None = False


@strawberry.input(description="One daily step: at a local time, switch phase (AUCTION uncrosses, then `then`).")
class SessionStepInput:
    at: str = strawberry.field(description='Local time "HH:MM".')
    phase: str = strawberry.field(description="PRE_OPEN, AUCTION, CONTINUOUS or CLOSED.")
    then: str | None = None


@strawberry.input
class SessionScheduleInput:
    steps: list[SessionStepInput]
    utc_offset_minutes: int = 540


@strawberry.input
class CreateInstrumentInput:
    name: str
    currency: str
    tick_size: Decimal
    criteria: InstrumentCriteriaInput
    lot_size: Tonnes | None = None
    reference_price: Decimal | None = None
    price_limit_percent: Decimal | None = strawberry.field(
        default=None, description="Daily band of ± this percent around the reference price."
    )
    schedule: SessionScheduleInput | None = None
    idempotency_key: str | None = None


@strawberry.input
class DepositFundsInput:
    organization_id: strawberry.ID
    currency: str
    amount: Decimal


@strawberry.input
class PlaceOrderInput:
    instrument_id: strawberry.ID
    side: OrderSide
    price: Decimal
    quantity: Tonnes
    account_id: strawberry.ID = strawberry.field(
        description="Sell: the holding account that delivers. Buy: the holding account that receives."
    )
    idempotency_key: str | None = None
    time_in_force: str | None = strawberry.field(default=None, description="GTC (default), DAY, IOC or FOK.")


@strawberry.input
class AmendOrderInput:
    order_id: strawberry.ID
    price: Decimal | None = None
    remaining_quantity: Tonnes | None = None


@strawberry.input
class CreateTenderInput:
    instrument_id: strawberry.ID
    seller_account_id: strawberry.ID
    offered_quantity: Tonnes
    minimum_price: Decimal
    closes_at: dt.datetime


@strawberry.input
class SubmitBidInput:
    tender_id: strawberry.ID
    account_id: strawberry.ID
    price: Decimal
    quantity: Tonnes


@strawberry.input
class ReportOtcTradeInput:
    instrument_id: strawberry.ID
    seller_account_id: strawberry.ID
    buyer_account_id: strawberry.ID
    price: Decimal
    quantity: Tonnes
    traded_at: dt.datetime | None = None
    batch_id: strawberry.ID | None = None
    settle_in_registry: bool = strawberry.field(
        default=False, description="Move the credits with a registry transfer (needs batchId); else record only."
    )


def _criteria(c: InstrumentCriteriaInput) -> InstrumentCriteria:
    return InstrumentCriteria(
        program_ids=frozenset(str(x) for x in c.program_ids) if c.program_ids else None,
        credit_types=frozenset(DomainCreditType(x.value) for x in c.credit_types) if c.credit_types else None,
        categories=frozenset(DomainCategory(x.value) for x in c.categories) if c.categories else None,
        vintage_from=c.vintage_from,
        vintage_to=c.vintage_to,
        corresponding_adjustment_required=bool(c.corresponding_adjustment_required),
        batch_id=str(c.batch_id) if c.batch_id else None,
    )


def _schedule(s: SessionScheduleInput) -> SessionSchedule:
    try:
        steps = tuple(
            SessionStep(dt.time.fromisoformat(step.at), Phase(step.phase), Phase(step.then) if step.then else None)
            for step in s.steps
        )
    except ValueError as exc:
        raise invalid("SCHEDULE_MALFORMED", f"schedule steps need HH:MM times and phase names: {exc}") from None
    return SessionSchedule(steps=steps, tz=dt.timezone(dt.timedelta(minutes=s.utc_offset_minutes)))


def _tif(value: str | None) -> TimeInForce:
    try:
        return TimeInForce(value or "GTC")
    except ValueError:
        raise invalid("TIME_IN_FORCE_UNKNOWN", "timeInForce must be GTC, DAY, IOC or FOK") from None


# --- root types -----------------------------------------------------------------------------------


@strawberry.type
class Query:
    @strawberry.field
    def instruments(self, info: Info) -> list[Instrument]:
        return [instrument_from(r) for r in queries.list_instruments(_ctx(info))]

    @strawberry.field
    def order(self, info: Info, id: strawberry.ID) -> Order | None:
        record = queries.get_order(_ctx(info), info.context.principal, str(id))
        return None if record is None else order_from(record)

    @strawberry.field
    def trades(self, info: Info, instrument_id: strawberry.ID, limit: int | None = 100) -> list[Trade]:
        return [
            trade_from(t) for t in queries.list_trades(_ctx(info), str(instrument_id), 100 if limit is None else limit)
        ]

    @strawberry.field
    def cash_balance(self, info: Info, organization_id: strawberry.ID, currency: str) -> CashBalance:
        ctx = _ctx(info)
        return cash_from(instrument_handlers.cash_balance(ctx, info.context.principal, str(organization_id), currency))

    @strawberry.field(description="Published prices and book depth of an instrument.")
    def market_data(self, info: Info, instrument_id: strawberry.ID, depth: int = 5) -> MarketData:
        return _market_data(_ctx(info), str(instrument_id), depth)

    @strawberry.field(description="Volumes by venue, OTC reports counted separately.")
    def market_statistics(self, info: Info, instrument_id: strawberry.ID) -> MarketStatistics:
        s = otc_handlers.market_statistics(_ctx(info), str(instrument_id))
        return MarketStatistics(
            instrument_id=instrument_id,
            exchange_volume=Tonnes(s.exchange_volume_t),
            exchange_vwap=s.exchange_vwap,
            tender_volume=Tonnes(s.tender_volume_t),
            otc_volume=Tonnes(s.otc_volume_t),
            otc_vwap=s.otc_vwap,
            otc_report_count=s.otc_report_count,
        )

    @strawberry.field
    def tender(self, info: Info, id: strawberry.ID) -> Tender | None:
        view = tender_handlers.get_tender(_ctx(info), str(id))
        return None if view is None else tender_from(view)

    @strawberry.field
    def tenders(self, info: Info, instrument_id: strawberry.ID) -> list[Tender]:
        return [tender_from(v) for v in tender_handlers.list_tenders(_ctx(info), str(instrument_id))]


@strawberry.type
class Mutation:
    @strawberry.mutation
    def create_instrument(self, info: Info, input: CreateInstrumentInput) -> Instrument:
        limit = None
        if input.price_limit_percent is not None:
            limit = PriceLimit(PriceLimitKind.PERCENT, _decimal(input.price_limit_percent, "priceLimitPercent"))
        spec = instrument_handlers.InstrumentSpec(
            name=input.name,
            currency=input.currency,
            tick_size=_decimal(input.tick_size, "tickSize"),
            criteria=_criteria(input.criteria),
            lot_size_t=int(input.lot_size) if input.lot_size is not None else 1,
            reference_price=_decimal(input.reference_price, "referencePrice")
            if input.reference_price is not None
            else None,
            price_limit=limit,
            schedule=_schedule(input.schedule) if input.schedule is not None else None,
        )
        record = instrument_handlers.create_instrument(_ctx(info), info.context.principal, spec, input.idempotency_key)
        return instrument_from(record)

    @strawberry.mutation
    def deposit_funds(self, info: Info, input: DepositFundsInput) -> CashBalance:
        record = instrument_handlers.deposit_funds(
            _ctx(info), info.context.principal, str(input.organization_id), input.currency,
            _decimal(input.amount, "amount"),
        )  # fmt: skip
        return cash_from(record)

    @strawberry.mutation
    def place_order(self, info: Info, input: PlaceOrderInput) -> Order:
        placed = order_handlers.place_order(
            _ctx(info),
            info.context.principal,
            instrument_id=str(input.instrument_id),
            side=Side(input.side.value),
            price=_decimal(input.price, "price"),
            quantity_t=int(input.quantity),
            account_id=str(input.account_id),
            idempotency_key=input.idempotency_key,
            time_in_force=_tif(input.time_in_force),
        )
        return order_from(placed.order)

    @strawberry.mutation
    def cancel_order(self, info: Info, order_id: strawberry.ID) -> Order:
        return order_from(order_handlers.cancel_order(_ctx(info), info.context.principal, str(order_id)))

    @strawberry.mutation
    def amend_order(self, info: Info, input: AmendOrderInput) -> Order:
        placed = order_handlers.amend_order(
            _ctx(info),
            info.context.principal,
            str(input.order_id),
            new_price=_decimal(input.price, "price") if input.price is not None else None,
            new_remaining_t=int(input.remaining_quantity) if input.remaining_quantity is not None else None,
        )
        return order_from(placed.order)

    @strawberry.mutation
    def create_tender(self, info: Info, input: CreateTenderInput) -> Tender:
        view = tender_handlers.create_tender(
            _ctx(info),
            info.context.principal,
            instrument_id=str(input.instrument_id),
            seller_account_id=str(input.seller_account_id),
            offered_quantity_t=int(input.offered_quantity),
            minimum_price=_decimal(input.minimum_price, "minimumPrice"),
            closes_at=input.closes_at,
        )
        return tender_from(view)

    @strawberry.mutation
    def submit_bid(self, info: Info, input: SubmitBidInput) -> TenderBid:
        bid = tender_handlers.submit_bid(
            _ctx(info),
            info.context.principal,
            tender_id=str(input.tender_id),
            account_id=str(input.account_id),
            price=_decimal(input.price, "price"),
            quantity_t=int(input.quantity),
        )
        return TenderBid(
            id=strawberry.ID(bid.bid_id), tender_id=input.tender_id, price=bid.price, quantity=Tonnes(bid.quantity_t)
        )

    @strawberry.mutation
    def close_tender(self, info: Info, tender_id: strawberry.ID) -> Tender:
        return tender_from(tender_handlers.close_tender(_ctx(info), info.context.principal, str(tender_id)))

    @strawberry.mutation
    def report_otc_trade(self, info: Info, input: ReportOtcTradeInput) -> OtcTradeReport:
        r = otc_handlers.report_otc_trade(
            _ctx(info),
            info.context.principal,
            instrument_id=str(input.instrument_id),
            seller_account_id=str(input.seller_account_id),
            buyer_account_id=str(input.buyer_account_id),
            price=_decimal(input.price, "price"),
            quantity_t=int(input.quantity),
            traded_at=input.traded_at,
            batch_id=str(input.batch_id) if input.batch_id else None,
            settle_in_registry=input.settle_in_registry,
        )
        return OtcTradeReport(
            id=strawberry.ID(r.report_id),
            instrument_id=strawberry.ID(r.instrument_id),
            price=r.price,
            quantity=Tonnes(r.quantity_t),
            settled_in_registry=r.settled_in_registry,
            transfer_id=strawberry.ID(r.transfer_id) if r.transfer_id else None,
            traded_at=r.traded_at,
        )


def schema_types() -> list[Any]:
    return [Instrument, Order, Trade, CreditBatch, Organization]


# --- live market data -----------------------------------------------------------------------------


@strawberry.type(description="An instrument's book right after a change: best prices, depth and last price.")
class BookUpdate:
    instrument_id: strawberry.ID
    sequence: int = strawberry.field(description="Grows with every change of the instrument; orders the updates.")
    phase: str
    best_bid: Decimal | None
    best_ask: Decimal | None
    bids: list[PriceLevel] = strawberry.field(description="Best first.")
    asks: list[PriceLevel] = strawberry.field(description="Best first.")
    last_price: Decimal | None
    at: dt.datetime


def book_update_from(u: BookSnapshot, depth: int) -> BookUpdate:
    return BookUpdate(
        instrument_id=strawberry.ID(u.instrument_id),
        sequence=u.sequence,
        phase=u.phase,
        best_bid=u.best_bid,
        best_ask=u.best_ask,
        bids=[PriceLevel(price=lv.price, quantity=Tonnes(lv.quantity_t), order_count=lv.order_count)
              for lv in u.bids[:depth]],
        asks=[PriceLevel(price=lv.price, quantity=Tonnes(lv.quantity_t), order_count=lv.order_count)
              for lv in u.asks[:depth]],
        last_price=u.last_price,
        at=u.at,
    )  # fmt: skip


@strawberry.type
class Subscription:
    """Public market data (anonymous access): pushed after the change has committed. A subscriber
    that falls too far behind is dropped with UNAVAILABLE / SUBSCRIBER_TOO_SLOW."""

    @strawberry.subscription(description="Each trade executed on the instrument (exchange and tender), as it executes.")
    async def trades(self, info: Info, instrument_id: strawberry.ID) -> AsyncGenerator[Trade, None]:
        ctx = _ctx(info)
        loop = asyncio.get_running_loop()
        # The instrument lock may be held by a matching command: never wait for it on the event loop.
        subscription = await asyncio.to_thread(watch_trades, ctx, str(instrument_id), loop)
        try:
            async for record in subscription:
                yield trade_from(record)
        finally:
            subscription.close()

    @strawberry.subscription(
        description=f"The book now, then after every change: best bid/ask, `depth` levels (1-{MAX_BOOK_DEPTH}) "
        "per side and last price."
    )
    async def order_book(
        self, info: Info, instrument_id: strawberry.ID, depth: int = 5
    ) -> AsyncGenerator[BookUpdate, None]:
        if not 1 <= depth <= MAX_BOOK_DEPTH:
            raise invalid("DEPTH_OUT_OF_RANGE", f"depth must be between 1 and {MAX_BOOK_DEPTH}", depth=depth)
        ctx = _ctx(info)
        loop = asyncio.get_running_loop()
        subscription, current = await asyncio.to_thread(watch_book, ctx, str(instrument_id), loop)
        try:
            yield book_update_from(current, depth)
            async for update in subscription:
                yield book_update_from(update, depth)
        finally:
            subscription.close()
