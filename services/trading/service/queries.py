"""Reads: orders, trades, instruments and the published market data (public price signal)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from carbon_runtime.errors import not_found
from carbon_runtime.transport.auth import Principal
from services.trading.adapters import repository as repo
from services.trading.domain.market_data import DailyBar, Quote, quote
from services.trading.service.context import TradingContext


def list_instruments(ctx: TradingContext) -> list[repo.InstrumentRecord]:
    with ctx.db.connect() as conn:
        return repo.list_instruments(conn)


def get_order(ctx: TradingContext, p: Principal, order_id: str) -> repo.OrderRecord | None:
    """An order is visible to its organization's members, AUDITOR and EXCHANGE_ADMIN; for anyone
    else it does not exist (no leak of who trades what)."""
    with ctx.db.connect() as conn:
        order = repo.get_order(conn, order_id)
    if order is None:
        return None
    if p.member_of(order.organization_id) or p.has_role("AUDITOR", "EXCHANGE_ADMIN", "SERVICE"):
        return order
    return None


def list_trades(ctx: TradingContext, instrument_id: str, limit: int = 100) -> list[repo.TradeRecord]:
    limit = max(0, min(limit, 1000))
    with ctx.db.connect() as conn:
        return repo.list_trades(conn, instrument_id, limit)


def traded_quantity_of_batch(ctx: TradingContext, batch_id: str) -> int:
    with ctx.db.connect() as conn:
        return repo.settled_quantity_of_batch(conn, batch_id)


def get_trade(ctx: TradingContext, trade_id: str) -> repo.TradeRecord:
    with ctx.db.connect() as conn:
        trade = repo.get_trade(conn, trade_id)
    if trade is None:
        raise not_found("TRADE_NOT_FOUND", f"no trade {trade_id!r}")
    return trade


@dataclass(frozen=True, slots=True)
class MarketData:
    instrument: repo.InstrumentRecord
    phase: str
    quote: Quote
    last_price: Decimal | None
    volume_t: int
    volume_24h_t: int
    vwap: Decimal | None
    daily_bars: list[DailyBar]
    indicative_auction_price: Decimal | None


def market_data(ctx: TradingContext, instrument_id: str, depth: int = 5) -> MarketData:
    market = ctx.market(instrument_id)
    with market.lock:
        engine = market.engine
        q = quote(engine, max(0, min(depth, 50)))
        tape = market.tape
        since = ctx.now() - timedelta(hours=24)
        volume_24h = sum(tr.quantity for tr in tape.trades(limit=10_000) if tr.at >= since)
        indicative = None
        if market.schedule is not None:
            clearing = engine.clearing_price()
            if clearing.price_ticks is not None:
                indicative = market.instrument.ticks_to_price(clearing.price_ticks)
        data = MarketData(
            instrument=_record(ctx, instrument_id),
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


def _record(ctx: TradingContext, instrument_id: str) -> repo.InstrumentRecord:
    with ctx.db.connect() as conn:
        record = repo.get_instrument(conn, instrument_id)
    if record is None:
        raise not_found("INSTRUMENT_NOT_FOUND", f"no instrument {instrument_id!r}")
    return record
