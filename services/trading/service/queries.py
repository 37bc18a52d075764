"""Reads: orders, trades, instruments, tenders, cash and the published market data (the public price
signal). No bus and no command's transaction: the read model answers from the database, the
instruments' engines answer the live book. Queries never write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext

from carbon_runtime.errors import forbidden, not_found
from services.trading.domain.actor import Actor, require_authenticated
from services.trading.domain.forwards import ForwardRecord
from services.trading.domain.listing import InstrumentRecord
from services.trading.domain.market_data import DailyBar, Quote, quote
from services.trading.domain.records import CashRecord, ListedInstrument, OrderRecord, TradeRecord
from services.trading.domain.session import Clock
from services.trading.service.bounds import MAX_MONEY
from services.trading.service.markets import Markets
from services.trading.service.ports import ReadModel
from services.trading.service.report_otc_trade import MAX_OTC_QUANTITY_T, MAX_PRICE_SIGNIFICANT_DIGITS
from services.trading.service.tender_views import TenderView, tender_view


def list_instruments(read_model: ReadModel) -> list[ListedInstrument]:
    return [r.listing() for r in read_model.list_instruments()]


def get_instrument(read_model: ReadModel, instrument_id: str) -> ListedInstrument:
    return _record(read_model, instrument_id).listing()


def get_order(read_model: ReadModel, actor: Actor, order_id: str) -> OrderRecord | None:
    """An order is visible to its organization's members, AUDITOR and EXCHANGE_ADMIN; for anyone
    else it does not exist (no leak of who trades what)."""
    order = read_model.get_order(order_id)
    if order is None:
        return None
    if actor.member_of(order.organization_id) or actor.has_role("AUDITOR", "EXCHANGE_ADMIN", "SERVICE"):
        return order
    return None


def list_trades(read_model: ReadModel, instrument_id: str, limit: int = 100) -> list[TradeRecord]:
    return read_model.list_trades(instrument_id, max(0, min(limit, 1000)))


def traded_quantity_of_batch(read_model: ReadModel, batch_id: str) -> int:
    return read_model.settled_quantity_of_batch(batch_id)


def get_trade(read_model: ReadModel, trade_id: str) -> TradeRecord:
    trade = read_model.get_trade(trade_id)
    if trade is None:
        raise not_found("TRADE_NOT_FOUND", f"no trade {trade_id!r}")
    return trade


def cash_balance(read_model: ReadModel, actor: Actor, organization_id: str, currency: str) -> CashRecord:
    """Members of the organization, AUDITOR, REGISTRY_ADMIN (and the exchange's EXCHANGE_ADMIN)."""
    require_authenticated(actor)
    if not (actor.member_of(organization_id) or actor.has_role("AUDITOR", "REGISTRY_ADMIN", "EXCHANGE_ADMIN")):
        raise forbidden("NOT_AUTHORIZED", "only members of the organization may read its cash balance")
    return read_model.cash(organization_id, currency)


def get_tender(read_model: ReadModel, tender_id: str) -> TenderView | None:
    record = read_model.get_tender(tender_id)
    return None if record is None else tender_view(record)


def list_tenders(read_model: ReadModel, instrument_id: str) -> list[TenderView]:
    return [tender_view(r) for r in read_model.list_tenders(instrument_id)]


@dataclass(frozen=True, slots=True)
class MarketData:
    instrument: ListedInstrument
    phase: str
    quote: Quote
    last_price: Decimal | None
    volume_t: int
    volume_24h_t: int
    vwap: Decimal | None
    daily_bars: list[DailyBar]
    indicative_auction_price: Decimal | None


def market_data(
    markets: Markets, read_model: ReadModel, clock: Clock, instrument_id: str, depth: int = 5
) -> MarketData:
    market = markets.get(instrument_id)
    # Read before taking the instrument's lock: a command takes the database first and this lock
    # second, so a query must never wait for the database while holding the lock.
    listed = _record(read_model, instrument_id).listing()
    with market.lock:
        engine = market.engine
        q = quote(engine, max(0, min(depth, 50)))
        tape = market.tape
        since = clock.now() - timedelta(hours=24)
        volume_24h = sum(tr.quantity for tr in tape.trades(limit=10_000) if tr.at >= since)
        indicative = None
        if market.schedule is not None:
            clearing = engine.clearing_price()
            if clearing.price_ticks is not None:
                indicative = market.instrument.ticks_to_price(clearing.price_ticks)
        data = MarketData(
            instrument=listed,
            phase=engine.phase.value,
            quote=q,
            last_price=tape.last_price(),
            volume_t=tape.volume_t(),
            volume_24h_t=volume_24h,
            vwap=tape.vwap(),
            daily_bars=tape.daily_bars(),
            indicative_auction_price=indicative,
        )
    return data


@dataclass(frozen=True, slots=True)
class MarketStatistics:
    exchange_volume_t: int
    exchange_vwap: Decimal | None
    tender_volume_t: int
    otc_volume_t: int
    otc_vwap: Decimal | None
    otc_report_count: int


def market_statistics(markets: Markets, read_model: ReadModel, instrument_id: str) -> MarketStatistics:
    """Volumes by venue; OTC prices are kept apart so they never dilute the exchange's price."""
    market = markets.get(instrument_id)
    with market.lock:
        exchange_volume = market.tape.volume_t()
        exchange_vwap = market.tape.vwap()
    # Reports stored before prices were bounded may hold anything (1E+30 once made this query fail
    # for good): only prices inside today's bounds enter the statistics.
    rows = [(price, q) for price, q in read_model.otc_prices(instrument_id) if _publishable(price, q)]
    tender_volume = read_model.tender_volume_t(instrument_id)
    otc_volume = sum(q for _, q in rows)
    quantum = market.instrument.tick_size.scaleb(-2)
    otc_vwap: Decimal | None = None
    with localcontext() as ctx:
        ctx.prec = 60  # bounded inputs: exact here, and quantize cannot overflow the context
        notional = sum((price * q for price, q in rows), Decimal(0))
        if otc_volume:
            try:
                otc_vwap = (notional / otc_volume).quantize(quantum, rounding=ROUND_HALF_EVEN)
            except InvalidOperation:
                otc_vwap = None
    return MarketStatistics(exchange_volume, exchange_vwap, tender_volume, otc_volume, otc_vwap, len(rows))


def _publishable(price: Decimal, quantity_t: int) -> bool:
    return (
        price.is_finite()
        and Decimal(0) < price <= MAX_MONEY
        and len(price.normalize().as_tuple().digits) <= MAX_PRICE_SIGNIFICANT_DIGITS
        and 0 < quantity_t <= MAX_OTC_QUANTITY_T
    )


def _record(read_model: ReadModel, instrument_id: str) -> InstrumentRecord:
    record = read_model.get_instrument(instrument_id)
    if record is None:
        raise not_found("INSTRUMENT_NOT_FOUND", f"no instrument {instrument_id!r}")
    return record


# --- forward contracts ---------------------------------------------------------------------------

#: Roles that see every forward contract (supervision); anyone else sees the contracts it is party to.
FORWARD_STAFF = ("AUDITOR", "REGISTRY_ADMIN", "EXCHANGE_ADMIN", "SERVICE")


def _may_see_forward(actor: Actor, forward: ForwardRecord) -> bool:
    return any(actor.member_of(org) for org in forward.parties()) or actor.has_role(*FORWARD_STAFF)


def get_forward(read_model: ReadModel, actor: Actor, forward_id: str) -> ForwardRecord | None:
    """A contract's terms are private to its parties: for anyone else it does not exist."""
    forward = read_model.get_forward(forward_id)
    return forward if forward is not None and _may_see_forward(actor, forward) else None


def forwards_of_organization(read_model: ReadModel, actor: Actor, organization_id: str) -> list[ForwardRecord]:
    """The organization's contracts (as seller or buyer), for its members and staff; empty for others."""
    if not (actor.member_of(organization_id) or actor.has_role(*FORWARD_STAFF)):
        return []
    return read_model.forwards_of_organization(organization_id)


def forwards_of_project(read_model: ReadModel, actor: Actor, project_id: str) -> list[ForwardRecord]:
    """The project's contracts the caller may see, in fill order."""
    return [f for f in read_model.forwards_of_project(project_id) if _may_see_forward(actor, f)]


@dataclass(frozen=True, slots=True)
class ForwardStatistics:
    """Forward volumes and prices, published apart from the spot market: a forward price is a price
    for tonnes not issued yet, so it never enters an instrument's last price, VWAP or index."""

    currency: str
    project_id: str | None
    contract_count: int
    contracted_volume_t: int
    delivered_volume_t: int
    vwap: Decimal | None


def forward_statistics(read_model: ReadModel, currency: str, project_id: str | None = None) -> ForwardStatistics:
    rows = read_model.forward_volumes(currency, project_id)
    contracted = sum(q for _, q, _ in rows)
    notional = sum((p * q for p, q, _ in rows), Decimal(0))
    vwap = (notional / contracted).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN) if contracted else None
    return ForwardStatistics(
        currency=currency,
        project_id=project_id,
        contract_count=len(rows),
        contracted_volume_t=contracted,
        delivered_volume_t=sum(d for _, _, d in rows),
        vwap=vwap,
    )
