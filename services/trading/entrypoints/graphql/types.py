"""The trading subgraph's object types: instruments, orders, trades, cash balances, tenders and market
data. Each has a `from_*` constructor from the handler's or the read model's result. Field resolvers
that read the database or wait for an instrument's lock run off the event loop (@blocking)."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from carbon_runtime.transport.blocking import blocking
from carbon_runtime.transport.graphql_contract import OrderSide, OrderStatus, Tonnes
from services.trading.domain.forwards import DeliveryState, ForwardRecord
from services.trading.domain.market_data import DepthLevel
from services.trading.domain.records import CashRecord, ListedInstrument, OrderRecord, TradeRecord
from services.trading.entrypoints.graphql.mappers import Info, app_of, caller
from services.trading.service import queries
from services.trading.service.market_feed import BookUpdate as BookSnapshot
from services.trading.service.report_otc_trade import OtcReport
from services.trading.service.tender_views import BidView, TenderView

# --- entities owned elsewhere (stubs) -------------------------------------------------------------


@strawberry.federation.type(keys=["id"])
class CreditBatch:
    id: strawberry.ID

    @strawberry.field(description="Tonnes of this batch delivered by settled exchange, tender and OTC trades.")
    @blocking
    def traded_quantity(self, info: Info) -> Tonnes:
        return Tonnes(queries.traded_quantity_of_batch(app_of(info).read_model, str(self.id)))

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> CreditBatch:
        return CreditBatch(id=id)


@strawberry.federation.type(keys=["id"])
class Organization:
    id: strawberry.ID

    @strawberry.field(description="Forward contracts the organization sells or buys (its members and staff).")
    @blocking
    def forward_contracts(self, info: Info) -> list[ForwardContract]:
        records = queries.forwards_of_organization(app_of(info).read_model, caller(info), str(self.id))
        return [ForwardContract.from_record(r) for r in records]

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Organization:
        return Organization(id=id)


@strawberry.federation.type(keys=["id"])
class Project:
    id: strawberry.ID

    @strawberry.field(description="Forward contracts on the project the caller is party to, in fill order.")
    @blocking
    def forward_contracts(self, info: Info) -> list[ForwardContract]:
        records = queries.forwards_of_project(app_of(info).read_model, caller(info), str(self.id))
        return [ForwardContract.from_record(r) for r in records]

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Project:
        return Project(id=id)


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class Account:
    id: strawberry.ID


# --- market data ----------------------------------------------------------------------------------


@strawberry.type(description="Resting quantity at one price.")
class PriceLevel:
    price: Decimal
    quantity: Tonnes
    order_count: int

    @staticmethod
    def from_level(lv: DepthLevel) -> PriceLevel:
        return PriceLevel(price=lv.price, quantity=Tonnes(lv.quantity_t), order_count=lv.order_count)


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

    @staticmethod
    def from_data(data: queries.MarketData) -> MarketData:
        return MarketData(
            phase=data.phase,
            last_price=data.last_price,
            best_bid=data.quote.best_bid,
            best_ask=data.quote.best_ask,
            bids=[PriceLevel.from_level(lv) for lv in data.quote.bids],
            asks=[PriceLevel.from_level(lv) for lv in data.quote.asks],
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


def market_data_of(info: Info, instrument_id: str, depth: int) -> queries.MarketData:
    app = app_of(info)
    return queries.market_data(app.markets, app.read_model, app.clock, instrument_id, depth)


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
    @blocking
    def last_price(self, info: Info) -> Decimal | None:
        return market_data_of(info, str(self.id), 0).last_price

    @strawberry.field
    @blocking
    def best_bid(self, info: Info) -> Decimal | None:
        return market_data_of(info, str(self.id), 0).quote.best_bid

    @strawberry.field
    @blocking
    def best_ask(self, info: Info) -> Decimal | None:
        return market_data_of(info, str(self.id), 0).quote.best_ask

    @strawberry.field(description="Prices, depth, OHLC, VWAP and volume.")
    @blocking
    def market_data(self, info: Info, depth: int = 5) -> MarketData:
        return MarketData.from_data(market_data_of(info, str(self.id), depth))

    @classmethod
    @blocking
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Instrument:
        return Instrument.from_listing(queries.get_instrument(app_of(info).read_model, str(id)))

    @staticmethod
    def from_listing(listed: ListedInstrument) -> Instrument:
        i = listed.instrument
        return Instrument(
            id=strawberry.ID(i.id),
            name=i.name,
            currency=i.currency,
            tick_size=i.tick_size,
            lot_size=Tonnes(i.lot_size_t),
            reference_price=i.reference_price,
            mode=listed.mode,
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
    @blocking
    def instrument(self, info: Info) -> Instrument:
        return Instrument.from_listing(queries.get_instrument(app_of(info).read_model, str(self.instrument_id)))

    @strawberry.field
    def remaining_quantity(self) -> Tonnes:
        return Tonnes(self.quantity - self.filled_quantity if self.status in _LIVE else 0)

    @classmethod
    @blocking
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Order | None:
        record = queries.get_order(app_of(info).read_model, caller(info), str(id))
        return None if record is None else Order.from_record(record)

    @staticmethod
    def from_record(o: OrderRecord) -> Order:
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


_LIVE = (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)


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
    @blocking
    def instrument(self, info: Info) -> Instrument:
        return Instrument.from_listing(queries.get_instrument(app_of(info).read_model, str(self.instrument_id)))

    @strawberry.field(description="The batch delivered, once settled.")
    def batch(self) -> CreditBatch | None:
        return None if self.batch_id is None else CreditBatch(id=strawberry.ID(self.batch_id))

    @classmethod
    @blocking
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Trade:
        return Trade.from_record(queries.get_trade(app_of(info).read_model, str(id)))

    @staticmethod
    def from_record(tr: TradeRecord) -> Trade:
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

    @staticmethod
    def from_record(c: CashRecord) -> CashBalance:
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

    @staticmethod
    def from_view(v: TenderView) -> Tender:
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

    @staticmethod
    def from_view(bid: BidView) -> TenderBid:
        return TenderBid(
            id=strawberry.ID(bid.bid_id),
            tender_id=strawberry.ID(bid.tender_id),
            price=bid.price,
            quantity=Tonnes(bid.quantity_t),
        )


@strawberry.type
class OtcTradeReport:
    id: strawberry.ID
    instrument_id: strawberry.ID
    price: Decimal
    quantity: Tonnes
    settled_in_registry: bool
    transfer_id: strawberry.ID | None
    traded_at: dt.datetime

    @staticmethod
    def from_report(r: OtcReport) -> OtcTradeReport:
        return OtcTradeReport(
            id=strawberry.ID(r.report_id),
            instrument_id=strawberry.ID(r.instrument_id),
            price=r.price,
            quantity=Tonnes(r.quantity_t),
            settled_in_registry=r.settled_in_registry,
            transfer_id=strawberry.ID(r.transfer_id) if r.transfer_id else None,
            traded_at=r.traded_at,
        )


@strawberry.type(description="Volumes by venue: exchange (continuous and auction), tender, and reported OTC.")
class MarketStatistics:
    instrument_id: strawberry.ID
    exchange_volume: Tonnes
    exchange_vwap: Decimal | None
    tender_volume: Tonnes
    otc_volume: Tonnes
    otc_vwap: Decimal | None
    otc_report_count: int

    @staticmethod
    def from_statistics(instrument_id: strawberry.ID, s: queries.MarketStatistics) -> MarketStatistics:
        return MarketStatistics(
            instrument_id=instrument_id,
            exchange_volume=Tonnes(s.exchange_volume_t),
            exchange_vwap=s.exchange_vwap,
            tender_volume=Tonnes(s.tender_volume_t),
            otc_volume=Tonnes(s.otc_volume_t),
            otc_vwap=s.otc_vwap,
            otc_report_count=s.otc_report_count,
        )


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

    @staticmethod
    def from_snapshot(u: BookSnapshot, depth: int) -> BookUpdate:
        return BookUpdate(
            instrument_id=strawberry.ID(u.instrument_id),
            sequence=u.sequence,
            phase=u.phase,
            best_bid=u.best_bid,
            best_ask=u.best_ask,
            bids=[PriceLevel.from_level(lv) for lv in u.bids[:depth]],
            asks=[PriceLevel.from_level(lv) for lv in u.asks[:depth]],
            last_price=u.last_price,
            at=u.at,
        )


# --- forward and offtake contracts ----------------------------------------------------------------


@strawberry.enum
class ForwardStatus(enum.Enum):
    OFFERED = "OFFERED"
    ACTIVE = "ACTIVE"
    DELIVERED = "DELIVERED"
    SHORTFALL = "SHORTFALL"
    CANCELLED = "CANCELLED"


@strawberry.type(description="Tonnes of one issued batch delivered to the buyer, versus payment of their escrow.")
class ForwardDelivery:
    id: strawberry.ID
    batch: CreditBatch
    quantity: Tonnes
    amount: Decimal
    delivered_at: dt.datetime


@strawberry.type(description="Tonnes bought before they are issued, delivered versus payment on issuance.")
class ForwardContract:
    id: strawberry.ID
    seller: Organization
    buyer: Organization
    project: Project
    quantity: Tonnes
    delivered_quantity: Tonnes
    price_per_tonne: Decimal
    currency: str
    vintage_from: int | None
    vintage_to: int | None
    delivery_account: Account | None
    delivery_deadline: dt.date
    prepayment_share: Decimal
    status: ForwardStatus
    deliveries: list[ForwardDelivery]
    escrow_locked: Decimal = strawberry.field(description="The buyer's cash still locked in escrow for the contract.")

    @staticmethod
    def from_record(f: ForwardRecord) -> ForwardContract:
        return ForwardContract(
            id=strawberry.ID(f.forward_id),
            seller=Organization(id=strawberry.ID(f.seller_organization_id)),
            buyer=Organization(id=strawberry.ID(f.buyer_organization_id)),
            project=Project(id=strawberry.ID(f.project_id)),
            quantity=Tonnes(f.quantity_t),
            delivered_quantity=Tonnes(f.delivered_quantity_t),
            price_per_tonne=f.price_per_tonne,
            currency=f.currency,
            vintage_from=f.vintage_from,
            vintage_to=f.vintage_to,
            delivery_account=Account(id=strawberry.ID(f.delivery_account_id)) if f.delivery_account_id else None,
            delivery_deadline=f.delivery_deadline,
            prepayment_share=f.prepayment_share,
            status=ForwardStatus(f.status.value),
            deliveries=[
                ForwardDelivery(
                    id=strawberry.ID(d.delivery_id),
                    batch=CreditBatch(id=strawberry.ID(d.batch_id)),
                    quantity=Tonnes(d.quantity_t),
                    amount=d.amount,
                    delivered_at=d.delivered_at,
                )
                for d in f.deliveries
                if d.state is DeliveryState.SETTLED and d.delivered_at is not None
            ],
            escrow_locked=f.escrow_locked,
        )


@strawberry.type(
    description="Forward volumes and prices, flagged as forward: never part of the spot price, VWAP or index."
)
class ForwardStatistics:
    forward: bool = strawberry.field(description="Always true: these are forward (not yet issued) tonnes.")
    currency: str
    project_id: strawberry.ID | None
    contract_count: int
    contracted_volume: Tonnes
    delivered_volume: Tonnes
    vwap: Decimal | None

    @staticmethod
    def from_statistics(s: queries.ForwardStatistics) -> ForwardStatistics:
        return ForwardStatistics(
            forward=True,
            currency=s.currency,
            project_id=strawberry.ID(s.project_id) if s.project_id else None,
            contract_count=s.contract_count,
            contracted_volume=Tonnes(s.contracted_volume_t),
            delivered_volume=Tonnes(s.delivered_volume_t),
            vwap=s.vwap,
        )
