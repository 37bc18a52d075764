from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from services.trading.domain.engine import Engine
from services.trading.domain.instruments import Instrument
from services.trading.domain.market_data import DailyBar, DepthLevel, TradeTape, quote
from services.trading.domain.orders import PlaceOrder, Side
from services.trading.domain.session import JST, ManualClock

INSTRUMENT = Instrument(id="I-1", name="J-Credit", currency="JPY", tick_size=Decimal("0.5"))
DAY1 = datetime(2024, 4, 1, 10, 0, tzinfo=JST)


def fixture() -> tuple[Engine, ManualClock, TradeTape]:
    clock = ManualClock(DAY1)
    return Engine(INSTRUMENT, clock), clock, TradeTape(INSTRUMENT)


def place(engine: Engine, tape: TradeTape, order_id: str, side: Side, price_ticks: int, quantity: int) -> None:
    tape.apply(engine.handle(PlaceOrder(order_id, f"org-{order_id}", "acct", side, price_ticks, quantity)))


def test_quote_shows_best_prices_and_depth_in_currency() -> None:
    engine, _, tape = fixture()
    place(engine, tape, "b1", Side.BUY, 2000, 5)  # 1000.0 JPY
    place(engine, tape, "b2", Side.BUY, 2000, 3)
    place(engine, tape, "b3", Side.BUY, 1998, 1)
    place(engine, tape, "s1", Side.SELL, 2003, 4)
    snapshot = quote(engine, max_levels=1)
    assert (snapshot.best_bid, snapshot.best_ask) == (Decimal("1000.0"), Decimal("1001.5"))
    assert snapshot.bids == (DepthLevel(Decimal("1000.0"), 8, 2),)
    assert snapshot.asks == (DepthLevel(Decimal("1001.5"), 4, 1),)


def test_empty_book_has_no_quote_and_no_last_price() -> None:
    engine, _, tape = fixture()
    snapshot = quote(engine)
    assert (snapshot.best_bid, snapshot.best_ask, snapshot.bids, snapshot.asks) == (None, None, (), ())
    assert tape.last_price() is None
    assert tape.vwap() is None
    assert tape.volume_t() == 0


def test_tape_records_last_price_volume_vwap_and_newest_trades_first() -> None:
    engine, _, tape = fixture()
    place(engine, tape, "s1", Side.SELL, 2000, 1)
    place(engine, tape, "s2", Side.SELL, 2001, 2)
    place(engine, tape, "b1", Side.BUY, 2001, 3)
    assert tape.last_price() == Decimal("1000.5")
    assert tape.volume_t() == 3
    # (1000.0 x 1 + 1000.5 x 2) / 3 = 1000.333..., quoted two decimals finer than the 0.5 tick.
    assert tape.vwap() == Decimal("1000.333")
    assert [t.sell_order_id for t in tape.trades()] == ["s2", "s1"]
    assert [t.sell_order_id for t in tape.trades(limit=1)] == ["s2"]


def test_daily_bars_split_trades_by_the_local_trading_day() -> None:
    engine, clock, tape = fixture()
    place(engine, tape, "s1", Side.SELL, 2000, 2)
    place(engine, tape, "b1", Side.BUY, 2000, 2)
    place(engine, tape, "s2", Side.SELL, 2010, 1)
    place(engine, tape, "b2", Side.BUY, 2010, 1)
    place(engine, tape, "s3", Side.SELL, 1990, 1)
    place(engine, tape, "b3", Side.BUY, 1990, 1)
    clock.set(DAY1 + timedelta(days=1))
    place(engine, tape, "s4", Side.SELL, 2020, 5)
    place(engine, tape, "b4", Side.BUY, 2020, 5)
    first, second = tape.daily_bars()
    assert first == DailyBar(
        trading_day=DAY1.date(),
        open=Decimal("1000.0"),
        high=Decimal("1005.0"),
        low=Decimal("995.0"),
        close=Decimal("995.0"),
        volume_t=4,
        vwap=Decimal("1000.000"),
        trade_count=3,
    )
    assert (second.open, second.close, second.volume_t) == (Decimal("1010.0"), Decimal("1010.0"), 5)
    assert tape.volume_t(DAY1.date()) == 4
    assert tape.vwap(second.trading_day) == Decimal("1010.000")
    assert tape.daily_bar(DAY1.date() - timedelta(days=1)) is None
