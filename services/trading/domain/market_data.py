"""Public market data for one instrument, built from the engine's events and its book.

Publishing prices per credit type is the point of the exchange (DOMAIN.md §9), so everything here
is in the instrument's currency as `Decimal`; the tape itself keeps integer ticks and tonnes so that
sums (volume, notional for VWAP) are exact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal

from services.trading.domain.engine import Engine
from services.trading.domain.events import Event, TradeExecuted
from services.trading.domain.instruments import Instrument
from services.trading.domain.orders import Side
from services.trading.domain.session import JST


@dataclass(frozen=True, slots=True)
class DepthLevel:
    price: Decimal
    quantity_t: int
    order_count: int


@dataclass(frozen=True, slots=True)
class Quote:
    best_bid: Decimal | None
    best_ask: Decimal | None
    bids: tuple[DepthLevel, ...]  # best first
    asks: tuple[DepthLevel, ...]


@dataclass(frozen=True, slots=True)
class DailyBar:
    trading_day: date
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume_t: int
    vwap: Decimal
    trade_count: int


@dataclass(slots=True)
class _DayAccumulator:
    open_ticks: int
    high_ticks: int
    low_ticks: int
    close_ticks: int
    volume_t: int = 0
    notional_ticks: int = 0  # sum of price_ticks x tonnes: exact, divided only when published
    trade_count: int = 0


def quote(engine: Engine, max_levels: int = 5) -> Quote:
    """Best bid/ask and the top `max_levels` levels of depth, in currency."""
    to_price = engine.instrument.ticks_to_price
    bid_ticks = engine.best_bid_ticks()
    ask_ticks = engine.best_ask_ticks()
    return Quote(
        best_bid=None if bid_ticks is None else to_price(bid_ticks),
        best_ask=None if ask_ticks is None else to_price(ask_ticks),
        bids=tuple(DepthLevel(to_price(p), q, n) for p, q, n in engine.depth(Side.BUY, max_levels)),
        asks=tuple(DepthLevel(to_price(p), q, n) for p, q, n in engine.depth(Side.SELL, max_levels)),
    )


class TradeTape:
    """Trades, last price, daily OHLC, VWAP and volume of one instrument. Trading days are
    calendar days in `tz` (JST by default, the J-Credit market's)."""

    def __init__(self, instrument: Instrument, tz: tzinfo = JST) -> None:
        self.instrument = instrument
        self._tz = tz
        self._trades: list[TradeExecuted] = []
        self._days: dict[date, _DayAccumulator] = {}
        self._volume_t = 0
        self._notional_ticks = 0
        # A VWAP is quoted with two more decimal places than the tick size (¥1 -> 0.01): finer than
        # any order price, and a fixed precision so published figures do not depend on the context.
        self._vwap_quantum = instrument.tick_size.scaleb(-2)

    def apply(self, events: Iterable[Event]) -> None:
        for event in events:
            if isinstance(event, TradeExecuted):
                self._record(event)

    def _record(self, trade: TradeExecuted) -> None:
        self._trades.append(trade)
        price = trade.price_ticks
        day = trade.at.astimezone(self._tz).date()
        bar = self._days.get(day)
        if bar is None:
            bar = self._days[day] = _DayAccumulator(price, price, price, price)
        bar.high_ticks = max(bar.high_ticks, price)
        bar.low_ticks = min(bar.low_ticks, price)
        bar.close_ticks = price
        bar.volume_t += trade.quantity
        bar.notional_ticks += price * trade.quantity
        bar.trade_count += 1
        self._volume_t += trade.quantity
        self._notional_ticks += price * trade.quantity

    def last_price(self) -> Decimal | None:
        if not self._trades:
            return None
        return self.instrument.ticks_to_price(self._trades[-1].price_ticks)

    def trades(self, limit: int = 100) -> list[TradeExecuted]:
        """Most recent first, like the contract's `trades(instrumentId, limit)`."""
        if limit <= 0:
            return []
        return self._trades[::-1][:limit]

    def volume_t(self, trading_day: date | None = None) -> int:
        if trading_day is None:
            return self._volume_t
        bar = self._days.get(trading_day)
        return 0 if bar is None else bar.volume_t

    def vwap(self, trading_day: date | None = None) -> Decimal | None:
        if trading_day is None:
            return self._vwap(self._notional_ticks, self._volume_t)
        bar = self._days.get(trading_day)
        return None if bar is None else self._vwap(bar.notional_ticks, bar.volume_t)

    def _vwap(self, notional_ticks: int, volume_t: int) -> Decimal | None:
        if volume_t == 0:
            return None
        exact = Decimal(notional_ticks) * self.instrument.tick_size / Decimal(volume_t)
        return exact.quantize(self._vwap_quantum, rounding=ROUND_HALF_EVEN)

    def daily_bar(self, trading_day: date) -> DailyBar | None:
        bar = self._days.get(trading_day)
        if bar is None:
            return None
        to_price = self.instrument.ticks_to_price
        vwap = self._vwap(bar.notional_ticks, bar.volume_t)
        assert vwap is not None  # a bar exists only once a trade (volume >= 1) was recorded
        return DailyBar(
            trading_day=trading_day,
            open=to_price(bar.open_ticks),
            high=to_price(bar.high_ticks),
            low=to_price(bar.low_ticks),
            close=to_price(bar.close_ticks),
            volume_t=bar.volume_t,
            vwap=vwap,
            trade_count=bar.trade_count,
        )

    def daily_bars(self) -> list[DailyBar]:
        bars = [self.daily_bar(day) for day in sorted(self._days)]
        return [bar for bar in bars if bar is not None]
