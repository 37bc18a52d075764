"""Continuous matching: price-time priority, IOC/FOK, self-trade prevention, cancel and amend."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from services.trading.domain.engine import Engine
from services.trading.domain.events import (
    AmendRejected,
    CancelReason,
    CancelRejected,
    Event,
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    OrderRejected,
    RejectReason,
    TradeExecuted,
)
from services.trading.domain.instruments import Instrument, PriceLimit, PriceLimitKind
from services.trading.domain.orders import AmendOrder, CancelOrder, PlaceOrder, Side, TimeInForce
from services.trading.domain.session import JST, ManualClock

BUY, SELL = Side.BUY, Side.SELL
T0 = datetime(2024, 4, 1, 10, 0, tzinfo=JST)


def new_engine(instrument: Instrument | None = None) -> Engine:
    return Engine(instrument or Instrument(id="I-1", name="J-Credit", currency="JPY"), ManualClock(T0))


def place(
    engine: Engine,
    order_id: str,
    side: Side,
    price_ticks: int,
    quantity: int,
    participant: str | None = None,
    tif: TimeInForce = TimeInForce.GTC,
) -> list[Event]:
    participant_id = participant or f"org-{order_id}"
    return engine.handle(
        PlaceOrder(order_id, participant_id, f"acct-{participant_id}", side, price_ticks, quantity, tif)
    )


def trades(events: list[Event]) -> list[tuple[str, str, int, int]]:
    """(buy order, sell order, price, quantity) of each trade, in order."""
    return [
        (e.buy_order_id, e.sell_order_id, e.price_ticks, e.quantity) for e in events if isinstance(e, TradeExecuted)
    ]


def cancels(events: list[Event]) -> list[tuple[str, int, CancelReason]]:
    return [(e.order_id, e.cancelled_quantity, e.reason) for e in events if isinstance(e, OrderCancelled)]


def test_non_crossing_orders_rest_and_set_best_bid_and_ask() -> None:
    engine = new_engine()
    assert isinstance(place(engine, "b1", BUY, 99, 5)[0], OrderAccepted)
    place(engine, "s1", SELL, 101, 5)
    assert (engine.best_bid_ticks(), engine.best_ask_ticks()) == (99, 101)
    assert engine.depth(BUY) == [(99, 5, 1)]


def test_trade_executes_at_the_resting_orders_price() -> None:
    engine = new_engine()
    place(engine, "s1", SELL, 100, 5)
    assert trades(place(engine, "b1", BUY, 105, 5)) == [("b1", "s1", 100, 5)]
    place(engine, "b2", BUY, 98, 5)
    assert trades(place(engine, "s2", SELL, 90, 5)) == [("b2", "s2", 98, 5)]


def test_better_price_matches_first_then_earlier_order_at_the_same_price() -> None:
    engine = new_engine()
    place(engine, "s-late-100", SELL, 100, 2)
    place(engine, "s-101", SELL, 101, 2)
    place(engine, "s-99", SELL, 99, 2)
    place(engine, "s-later-100", SELL, 100, 2)
    events = place(engine, "b", BUY, 101, 7)
    assert trades(events) == [
        ("b", "s-99", 99, 2),
        ("b", "s-late-100", 100, 2),
        ("b", "s-later-100", 100, 2),
        ("b", "s-101", 101, 1),
    ]
    assert engine.order("s-101") is not None
    assert engine.depth(SELL) == [(101, 1, 1)]


def test_incoming_remainder_rests_after_sweeping_the_book() -> None:
    engine = new_engine()
    place(engine, "s1", SELL, 100, 3)
    place(engine, "b1", BUY, 102, 10)
    resting = engine.order("b1")
    assert resting is not None
    assert (resting.remaining_quantity, resting.filled_quantity) == (7, 3)
    assert (engine.best_bid_ticks(), engine.best_ask_ticks()) == (102, None)


def test_trade_reports_both_participants_accounts_and_the_aggressor() -> None:
    engine = new_engine()
    place(engine, "s1", SELL, 100, 3, participant="seller")
    trade = next(e for e in place(engine, "b1", BUY, 100, 3, participant="buyer") if isinstance(e, TradeExecuted))
    assert (trade.buyer_participant_id, trade.seller_participant_id) == ("buyer", "seller")
    assert (trade.buy_account_id, trade.sell_account_id) == ("acct-buyer", "acct-seller")
    assert trade.aggressor_side is BUY
    assert trade.at == T0
    assert engine.last_price_ticks == 100


def test_ioc_fills_what_it_can_and_cancels_the_rest() -> None:
    engine = new_engine()
    place(engine, "s1", SELL, 100, 3)
    events = place(engine, "b1", BUY, 100, 5, tif=TimeInForce.IOC)
    assert trades(events) == [("b1", "s1", 100, 3)]
    assert cancels(events) == [("b1", 2, CancelReason.IOC_REMAINDER)]
    assert engine.order("b1") is None
    assert engine.best_bid_ticks() is None


def test_fok_that_cannot_fill_completely_trades_nothing() -> None:
    engine = new_engine()
    place(engine, "s1", SELL, 100, 3)
    place(engine, "s2", SELL, 102, 3)
    events = place(engine, "b1", BUY, 101, 4, tif=TimeInForce.FOK)
    assert trades(events) == []
    assert cancels(events) == [("b1", 4, CancelReason.FOK_NOT_FILLABLE)]
    assert engine.depth(SELL) == [(100, 3, 1), (102, 3, 1)]


def test_fok_that_can_fill_completely_trades_across_levels() -> None:
    engine = new_engine()
    place(engine, "s1", SELL, 100, 3)
    place(engine, "s2", SELL, 101, 3)
    events = place(engine, "b1", BUY, 101, 4, tif=TimeInForce.FOK)
    assert trades(events) == [("b1", "s1", 100, 3), ("b1", "s2", 101, 1)]
    assert cancels(events) == []


def test_fok_does_not_count_own_resting_orders_as_liquidity() -> None:
    engine = new_engine()
    place(engine, "mine", SELL, 100, 5, participant="org-a")
    place(engine, "theirs", SELL, 100, 2, participant="org-b")
    events = place(engine, "b1", BUY, 100, 4, participant="org-a", tif=TimeInForce.FOK)
    assert trades(events) == []
    assert engine.order("mine") is not None  # a killed FOK changes nothing


def test_self_trade_prevention_cancels_the_resting_order_and_keeps_matching() -> None:
    engine = new_engine()
    place(engine, "own-ask", SELL, 100, 5, participant="org-a")
    place(engine, "other-ask", SELL, 100, 5, participant="org-b")
    events = place(engine, "own-bid", BUY, 100, 3, participant="org-a")
    assert cancels(events) == [("own-ask", 5, CancelReason.SELF_TRADE_PREVENTED)]
    assert trades(events) == [("own-bid", "other-ask", 100, 3)]
    assert engine.order("own-ask") is None


def test_self_trade_prevention_lets_the_incoming_order_rest_when_only_own_orders_cross() -> None:
    engine = new_engine()
    place(engine, "own-ask", SELL, 100, 5, participant="org-a")
    events = place(engine, "own-bid", BUY, 101, 3, participant="org-a")
    assert trades(events) == []
    assert (engine.best_bid_ticks(), engine.best_ask_ticks()) == (101, None)


def test_cancel_removes_the_order_and_reports_the_open_quantity() -> None:
    engine = new_engine()
    place(engine, "s1", SELL, 100, 5)
    place(engine, "b1", BUY, 100, 2)
    events = engine.handle(CancelOrder("s1", "org-s1"))
    assert cancels(events) == [("s1", 3, CancelReason.BY_PARTICIPANT)]
    assert engine.best_ask_ticks() is None
    # The cancelled order never trades again, though it stays in its queue until skipped.
    assert trades(place(engine, "b2", BUY, 100, 1)) == []


def test_cancel_of_unknown_or_foreign_order_is_rejected_without_change() -> None:
    engine = new_engine()
    place(engine, "s1", SELL, 100, 5, participant="org-a")
    unknown = engine.handle(CancelOrder("nope", "org-a"))
    foreign = engine.handle(CancelOrder("s1", "org-b"))
    assert unknown == [CancelRejected("nope", RejectReason.ORDER_NOT_FOUND, T0)]
    assert foreign == [CancelRejected("s1", RejectReason.NOT_ORDER_OWNER, T0)]
    assert engine.order("s1") is not None


def test_cancelled_order_in_the_middle_of_a_queue_is_skipped() -> None:
    engine = new_engine()
    for order_id in ("s1", "s2", "s3"):
        place(engine, order_id, SELL, 100, 1)
    engine.handle(CancelOrder("s2", "org-s2"))
    assert trades(place(engine, "b", BUY, 100, 2)) == [("b", "s1", 100, 1), ("b", "s3", 100, 1)]


def test_amend_quantity_decrease_keeps_time_priority() -> None:
    engine = new_engine()
    place(engine, "s1", SELL, 100, 5)
    place(engine, "s2", SELL, 100, 5)
    events = engine.handle(AmendOrder("s1", "org-s1", new_quantity=2))
    amended = events[0]
    assert isinstance(amended, OrderAmended)
    assert (amended.priority_kept, amended.quantity_delta, amended.remaining_quantity) == (True, -3, 2)
    assert trades(place(engine, "b", BUY, 100, 3)) == [("b", "s1", 100, 2), ("b", "s2", 100, 1)]


def test_amend_quantity_increase_loses_time_priority() -> None:
    engine = new_engine()
    place(engine, "s1", SELL, 100, 5)
    place(engine, "s2", SELL, 100, 5)
    events = engine.handle(AmendOrder("s1", "org-s1", new_quantity=6))
    assert isinstance(events[0], OrderAmended)
    assert events[0].priority_kept is False
    assert trades(place(engine, "b", BUY, 100, 6)) == [("b", "s2", 100, 5), ("b", "s1", 100, 1)]


def test_amend_price_change_loses_priority_even_when_moving_back() -> None:
    engine = new_engine()
    place(engine, "s1", SELL, 100, 1)
    place(engine, "s2", SELL, 100, 1)
    engine.handle(AmendOrder("s1", "org-s1", new_price_ticks=101))
    engine.handle(AmendOrder("s1", "org-s1", new_price_ticks=100))
    assert trades(place(engine, "b", BUY, 100, 1)) == [("b", "s2", 100, 1)]


def test_amend_to_a_crossing_price_trades_immediately_as_aggressor() -> None:
    engine = new_engine()
    place(engine, "b1", BUY, 99, 2)
    place(engine, "s1", SELL, 101, 5)
    events = engine.handle(AmendOrder("s1", "org-s1", new_price_ticks=98))
    assert trades(events) == [("b1", "s1", 99, 2)]
    resting = engine.order("s1")
    assert resting is not None
    assert (resting.price_ticks, resting.remaining_quantity, resting.filled_quantity) == (98, 3, 2)


def test_amend_rejects_no_change_bad_values_and_unknown_orders() -> None:
    engine = new_engine()
    place(engine, "s1", SELL, 100, 5)
    no_change = engine.handle(AmendOrder("s1", "org-s1", new_price_ticks=100, new_quantity=5))
    zero = engine.handle(AmendOrder("s1", "org-s1", new_quantity=0))
    unknown = engine.handle(AmendOrder("zz", "org-s1", new_quantity=1))
    foreign = engine.handle(AmendOrder("s1", "org-x", new_quantity=1))
    assert [e.reason for e in no_change + zero + unknown + foreign if isinstance(e, AmendRejected)] == [
        RejectReason.AMEND_NO_CHANGE,
        RejectReason.QUANTITY_NOT_POSITIVE,
        RejectReason.ORDER_NOT_FOUND,
        RejectReason.NOT_ORDER_OWNER,
    ]


def test_orders_outside_the_daily_price_limits_are_rejected() -> None:
    limited = Instrument(
        id="I-2",
        name="limited",
        currency="JPY",
        reference_price=Decimal(1000),
        price_limit=PriceLimit(PriceLimitKind.PERCENT, Decimal(10)),
    )
    engine = new_engine(limited)
    assert isinstance(place(engine, "ok", BUY, 900, 1)[0], OrderAccepted)
    rejected = place(engine, "low", BUY, 899, 1) + place(engine, "high", SELL, 1101, 1)
    assert [(e.order_id, e.reason) for e in rejected if isinstance(e, OrderRejected)] == [
        ("low", RejectReason.PRICE_OUTSIDE_LIMITS),
        ("high", RejectReason.PRICE_OUTSIDE_LIMITS),
    ]


def test_invalid_orders_are_rejected_with_a_reason_and_change_nothing() -> None:
    engine = new_engine(Instrument(id="I-3", name="lots", currency="JPY", lot_size_t=10))
    place(engine, "b1", BUY, 100, 10)
    events = (
        place(engine, "b1", BUY, 100, 10)
        + place(engine, "q0", BUY, 100, 0)
        + place(engine, "q5", BUY, 100, 5)
        + place(engine, "p0", BUY, 0, 10)
    )
    assert [(e.order_id, e.reason) for e in events if isinstance(e, OrderRejected)] == [
        ("b1", RejectReason.DUPLICATE_ORDER_ID),
        ("q0", RejectReason.QUANTITY_NOT_POSITIVE),
        ("q5", RejectReason.QUANTITY_NOT_LOT_MULTIPLE),
        ("p0", RejectReason.PRICE_NOT_POSITIVE),
    ]
    assert engine.depth(BUY) == [(100, 10, 1)]


def test_resting_orders_are_listed_in_priority_order() -> None:
    engine = new_engine()
    place(engine, "b-99", BUY, 99, 1)
    place(engine, "b-100-first", BUY, 100, 1)
    place(engine, "b-100-second", BUY, 100, 1)
    assert [o.order_id for o in engine.resting_orders(BUY)] == ["b-100-first", "b-100-second", "b-99"]


def test_events_are_equal_only_to_events_of_the_same_type() -> None:
    # Events are tuples underneath; equality must still tell the event types apart.
    cancel = CancelRejected("x", RejectReason.ORDER_NOT_FOUND, T0)
    amend: object = AmendRejected("x", RejectReason.ORDER_NOT_FOUND, T0)
    assert cancel == CancelRejected("x", RejectReason.ORDER_NOT_FOUND, T0)
    assert cancel != amend
    assert not cancel == amend  # noqa: SIM201
    assert cancel != ("x", RejectReason.ORDER_NOT_FOUND, T0)
    assert len({cancel, amend, CancelRejected("x", RejectReason.ORDER_NOT_FOUND, T0)}) == 2


def test_an_order_id_stays_taken_after_the_order_filled_or_was_cancelled() -> None:
    engine = new_engine()
    place(engine, "s1", SELL, 100, 2)
    assert trades(place(engine, "b1", BUY, 100, 2)) == [("b1", "s1", 100, 2)]
    place(engine, "s2", SELL, 101, 1)
    engine.handle(CancelOrder("s2", "org-s2"))
    place(engine, "i1", BUY, 90, 1, tif=TimeInForce.IOC)
    for order_id in ("s1", "b1", "s2", "i1"):
        rejected = place(engine, order_id, SELL, 100, 1)
        assert rejected == [OrderRejected(order_id, RejectReason.DUPLICATE_ORDER_ID, T0)]
        assert engine.order(order_id) is None
        assert engine.handle(CancelOrder(order_id, f"org-{order_id}")) == [
            CancelRejected(order_id, RejectReason.ORDER_NOT_FOUND, T0)
        ]
    assert engine.depth(BUY) == [] and engine.depth(SELL) == []


def test_emptied_levels_leave_the_book_however_they_empty() -> None:
    engine = new_engine()
    place(engine, "s1", SELL, 100, 1)
    place(engine, "s2", SELL, 101, 1)
    place(engine, "s3", SELL, 102, 1, participant="org-b")
    place(engine, "s4", SELL, 103, 1)
    engine.handle(CancelOrder("s2", "org-s2"))  # by cancel
    assert [p for p, _, _ in engine.depth(SELL)] == [100, 102, 103]
    events = place(engine, "b", BUY, 102, 2, participant="org-b")  # by fill (100), then STP (102)
    assert trades(events) == [("b", "s1", 100, 1)]
    assert cancels(events) == [("s3", 1, CancelReason.SELF_TRADE_PREVENTED)]
    assert engine.best_ask_ticks() == 103 and engine.best_bid_ticks() == 102
    events = place(engine, "b2", BUY, 103, 3)  # by fill, the remainder rests as the best bid
    assert trades(events) == [("b2", "s4", 103, 1)]
    assert engine.depth(SELL) == [] and engine.depth(BUY) == [(103, 2, 1), (102, 1, 1)]
    # A price whose level emptied can come back, even on the other side: s5 first fills b2's rest.
    place(engine, "s5", SELL, 103, 3)
    place(engine, "s6", SELL, 103, 2)
    place(engine, "s7", SELL, 103, 1)
    assert engine.depth(BUY) == [(102, 1, 1)] and engine.depth(SELL) == [(103, 4, 3)]
    resting = [(o.order_id, o.remaining_quantity) for o in engine.resting_orders(SELL)]
    assert resting == [("s5", 1), ("s6", 2), ("s7", 1)]


def test_fok_counts_liquidity_across_levels_but_not_own_or_cancelled_orders() -> None:
    engine = new_engine()
    place(engine, "s1", SELL, 100, 2)
    place(engine, "own", SELL, 100, 5, participant="org-x")
    place(engine, "gone", SELL, 101, 5)
    engine.handle(CancelOrder("gone", "org-gone"))
    place(engine, "s2", SELL, 102, 2)
    place(engine, "far", SELL, 104, 9)
    too_big = place(engine, "f1", BUY, 103, 5, participant="org-x", tif=TimeInForce.FOK)
    assert trades(too_big) == [] and cancels(too_big) == [("f1", 5, CancelReason.FOK_NOT_FILLABLE)]
    assert engine.depth(SELL) == [(100, 7, 2), (102, 2, 1), (104, 9, 1)]
    fits = place(engine, "f2", BUY, 103, 4, participant="org-x", tif=TimeInForce.FOK)
    assert trades(fits) == [("f2", "s1", 100, 2), ("f2", "s2", 102, 2)]
    assert cancels(fits) == [("own", 5, CancelReason.SELF_TRADE_PREVENTED)]
