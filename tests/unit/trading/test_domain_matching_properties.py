"""Property tests: the engine against a slow, obviously-correct reference book, plus invariants.

The reference keeps resting orders in one flat list and, for every incoming order, sorts the
crossing orders by (price, sequence) from scratch. It shares no code with the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.trading.domain.auction import find_clearing_price
from services.trading.domain.engine import Engine
from services.trading.domain.events import (
    AuctionCleared,
    Event,
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    Phase,
    TradeExecuted,
)
from services.trading.domain.instruments import Instrument
from services.trading.domain.orders import AmendOrder, CancelOrder, Command, PlaceOrder, Side, TimeInForce
from services.trading.domain.session import JST, ManualClock, SessionSchedule, SessionStep

INSTRUMENT = Instrument(id="I-P", name="property", currency="JPY")
T0 = datetime(2024, 4, 1, 10, 0, tzinfo=JST)
PARTICIPANTS = ("org-a", "org-b", "org-c", "org-d")


@dataclass
class RefOrder:
    order_id: str
    participant_id: str
    side: Side
    price: int
    remaining: int
    sequence: int


class ReferenceBook:
    def __init__(self) -> None:
        self.resting: list[RefOrder] = []
        self.trades: list[tuple[str, str, int, int]] = []  # buy id, sell id, price, quantity
        self.sequence = 0
        self.known: set[str] = set()

    def _crossing(self, side: Side, price: int) -> list[RefOrder]:
        if side is Side.BUY:
            asks = [o for o in self.resting if o.side is Side.SELL and o.price <= price]
            return sorted(asks, key=lambda o: (o.price, o.sequence))
        bids = [o for o in self.resting if o.side is Side.BUY and o.price >= price]
        return sorted(bids, key=lambda o: (-o.price, o.sequence))

    def _match(self, incoming: RefOrder) -> None:
        for resting in self._crossing(incoming.side, incoming.price):
            if incoming.remaining == 0:
                break
            self.resting.remove(resting)
            if resting.participant_id == incoming.participant_id:
                continue  # self-trade prevention: the resting order is cancelled
            fill = min(resting.remaining, incoming.remaining)
            resting.remaining -= fill
            incoming.remaining -= fill
            buy, sell = (incoming, resting) if incoming.side is Side.BUY else (resting, incoming)
            self.trades.append((buy.order_id, sell.order_id, resting.price, fill))
            if resting.remaining:
                self.resting.append(resting)

    def place(self, command: PlaceOrder) -> None:
        if command.order_id in self.known:
            return
        self.known.add(command.order_id)
        self.sequence += 1
        incoming = RefOrder(
            command.order_id,
            command.participant_id,
            command.side,
            command.price_ticks,
            command.quantity,
            self.sequence,
        )
        if command.time_in_force is TimeInForce.FOK:
            available = sum(
                o.remaining
                for o in self._crossing(incoming.side, incoming.price)
                if o.participant_id != incoming.participant_id
            )
            if available < incoming.remaining:
                return
        self._match(incoming)
        if incoming.remaining and command.time_in_force in (TimeInForce.GTC, TimeInForce.DAY):
            self.resting.append(incoming)

    def _find(self, order_id: str, participant_id: str) -> RefOrder | None:
        for order in self.resting:
            if order.order_id == order_id and order.participant_id == participant_id:
                return order
        return None

    def cancel(self, command: CancelOrder) -> None:
        order = self._find(command.order_id, command.participant_id)
        if order is not None:
            self.resting.remove(order)

    def amend(self, command: AmendOrder) -> None:
        order = self._find(command.order_id, command.participant_id)
        if order is None:
            return
        price = order.price if command.new_price_ticks is None else command.new_price_ticks
        quantity = order.remaining if command.new_quantity is None else command.new_quantity
        if (price, quantity) == (order.price, order.remaining):
            return
        if price == order.price and quantity < order.remaining:
            order.remaining = quantity
            return
        self.resting.remove(order)
        self.sequence += 1
        moved = RefOrder(order.order_id, order.participant_id, order.side, price, quantity, self.sequence)
        self._match(moved)
        if moved.remaining:
            self.resting.append(moved)

    def book(self, side: Side) -> list[tuple[str, int, int]]:
        orders = [o for o in self.resting if o.side is side]
        orders.sort(key=lambda o: (-o.price if side is Side.BUY else o.price, o.sequence))
        return [(o.order_id, o.price, o.remaining) for o in orders]


# --- command streams ------------------------------------------------------------------------------------

prices = st.integers(min_value=95, max_value=105)
quantities = st.integers(min_value=1, max_value=10)


@st.composite
def command_streams(draw: st.DrawFn) -> list[Command]:
    commands: list[Command] = []
    placed: list[tuple[str, str]] = []
    for n in range(draw(st.integers(min_value=1, max_value=60))):
        kind = draw(st.sampled_from(["place", "place", "place", "cancel", "amend"]))
        if kind == "place" or not placed:
            order_id = f"o{n}"
            participant = draw(st.sampled_from(PARTICIPANTS))
            placed.append((order_id, participant))
            commands.append(
                PlaceOrder(
                    order_id,
                    participant,
                    "acct-" + participant,
                    draw(st.sampled_from([Side.BUY, Side.SELL])),
                    draw(prices),
                    draw(quantities),
                    draw(st.sampled_from(list(TimeInForce))),
                )
            )
        elif kind == "cancel":
            order_id, participant = draw(st.sampled_from(placed))
            commands.append(CancelOrder(order_id, participant))
        else:
            order_id, participant = draw(st.sampled_from(placed))
            commands.append(
                AmendOrder(
                    order_id,
                    participant,
                    new_price_ticks=draw(st.none() | prices),
                    new_quantity=draw(st.none() | quantities),
                )
            )
    return commands


def run_engine(commands: list[Command]) -> tuple[Engine, list[Event]]:
    engine = Engine(INSTRUMENT, ManualClock(T0))
    events: list[Event] = []
    for command in commands:
        events += engine.handle(command)
    return engine, events


def engine_book(engine: Engine, side: Side) -> list[tuple[str, int, int]]:
    return [(o.order_id, o.price_ticks, o.remaining_quantity) for o in engine.resting_orders(side)]


@settings(max_examples=100, deadline=None)
@given(command_streams())
def test_engine_trades_and_book_equal_the_reference_price_time_book(commands: list[Command]) -> None:
    engine, events = run_engine(commands)
    reference = ReferenceBook()
    for command in commands:
        if isinstance(command, PlaceOrder):
            reference.place(command)
        elif isinstance(command, CancelOrder):
            reference.cancel(command)
        elif isinstance(command, AmendOrder):
            reference.amend(command)
    trades = [
        (e.buy_order_id, e.sell_order_id, e.price_ticks, e.quantity) for e in events if isinstance(e, TradeExecuted)
    ]
    assert trades == reference.trades
    assert engine_book(engine, Side.BUY) == reference.book(Side.BUY)
    assert engine_book(engine, Side.SELL) == reference.book(Side.SELL)


@settings(max_examples=100, deadline=None)
@given(command_streams())
def test_continuous_book_is_never_crossed_at_rest(commands: list[Command]) -> None:
    engine = Engine(INSTRUMENT, ManualClock(T0))
    for command in commands:
        engine.handle(command)
        bid, ask = engine.best_bid_ticks(), engine.best_ask_ticks()
        assert bid is None or ask is None or bid < ask
        # Depth is the live state, not dead queue entries.
        for side in (Side.BUY, Side.SELL):
            assert sum(q for _, q, _ in engine.depth(side, 1000)) == sum(
                o.remaining_quantity for o in engine.resting_orders(side)
            )


def assert_quantity_conserved(engine: Engine, events: list[Event]) -> None:
    submitted: dict[str, int] = {}
    filled: dict[str, int] = {}
    cancelled: dict[str, int] = {}
    for e in events:
        if isinstance(e, OrderAccepted):
            submitted[e.order_id] = e.quantity
        elif isinstance(e, OrderAmended):
            # An increase is newly submitted quantity, a decrease is cancelled quantity.
            if e.quantity_delta > 0:
                submitted[e.order_id] += e.quantity_delta
            else:
                cancelled[e.order_id] = cancelled.get(e.order_id, 0) - e.quantity_delta
        elif isinstance(e, OrderCancelled):
            cancelled[e.order_id] = cancelled.get(e.order_id, 0) + e.cancelled_quantity
        elif isinstance(e, TradeExecuted):
            filled[e.buy_order_id] = filled.get(e.buy_order_id, 0) + e.quantity
            filled[e.sell_order_id] = filled.get(e.sell_order_id, 0) + e.quantity
    for order_id, quantity in submitted.items():
        view = engine.order(order_id)
        resting = 0 if view is None else view.remaining_quantity
        assert filled.get(order_id, 0) + resting + cancelled.get(order_id, 0) == quantity, order_id
        if view is not None:
            assert view.filled_quantity == filled.get(order_id, 0)


@settings(max_examples=100, deadline=None)
@given(command_streams())
def test_quantity_is_conserved_per_order(commands: list[Command]) -> None:
    engine, events = run_engine(commands)
    assert_quantity_conserved(engine, events)


@settings(max_examples=50, deadline=None)
@given(command_streams())
def test_replay_rebuilds_the_same_book_and_events(commands: list[Command]) -> None:
    engine, _ = run_engine(commands)
    replayed = Engine.replay(INSTRUMENT, engine.journal)
    assert replayed.journal == engine.journal
    assert engine_book(replayed, Side.BUY) == engine_book(engine, Side.BUY)
    assert engine_book(replayed, Side.SELL) == engine_book(engine, Side.SELL)
    probe = PlaceOrder("probe", "org-z", "acct", Side.BUY, 105, 1000, TimeInForce.IOC)
    assert replayed.handle(probe) == engine.handle(probe)


# --- call auction ---------------------------------------------------------------------------------------

levels = st.dictionaries(prices, st.integers(min_value=1, max_value=20), max_size=8)


def brute_force_max_volume(bids: dict[int, int], asks: dict[int, int]) -> int:
    candidates = set(bids) | set(asks)
    return max(
        (
            min(sum(q for p, q in bids.items() if p >= price), sum(q for p, q in asks.items() if p <= price))
            for price in candidates
        ),
        default=0,
    )


@settings(max_examples=100, deadline=None)
@given(levels, levels, st.none() | prices)
def test_clearing_price_maximises_volume_against_brute_force(
    bids: dict[int, int], asks: dict[int, int], reference: int | None
) -> None:
    result = find_clearing_price(bids, asks, reference)
    best = brute_force_max_volume(bids, asks)
    assert result.volume == best
    if best == 0:
        assert result.price_ticks is None
        return
    assert result.price_ticks is not None
    demand = sum(q for p, q in bids.items() if p >= result.price_ticks)
    supply = sum(q for p, q in asks.items() if p <= result.price_ticks)
    assert min(demand, supply) == best
    assert demand - supply == result.buy_surplus
    # No other volume-maximising candidate has a smaller imbalance.
    for price in set(bids) | set(asks):
        d = sum(q for p, q in bids.items() if p >= price)
        s = sum(q for p, q in asks.items() if p <= price)
        if min(d, s) == best:
            assert abs(d - s) >= abs(result.buy_surplus)


orders_for_auction = st.lists(
    st.tuples(st.sampled_from([Side.BUY, Side.SELL]), prices, quantities, st.sampled_from(PARTICIPANTS)),
    max_size=30,
)


@settings(max_examples=100, deadline=None)
@given(orders_for_auction)
def test_auction_executes_the_maximum_volume_and_leaves_an_uncrossed_book(
    orders: list[tuple[Side, int, int, str]],
) -> None:
    schedule = SessionSchedule(
        steps=(
            SessionStep(time(9, 0), Phase.PRE_OPEN),
            SessionStep(time(11, 0), Phase.AUCTION, then=Phase.CLOSED),
        )
    )
    clock = ManualClock(T0)
    engine = Engine(INSTRUMENT, clock, schedule)
    events: list[Event] = engine.advance()  # the engine's time starts with its first command
    for n, (side, price, quantity, participant) in enumerate(orders):
        events += engine.handle(PlaceOrder(f"o{n}", participant, "acct", side, price, quantity))
    bids: dict[int, int] = {}
    asks: dict[int, int] = {}
    for side, price, quantity, _ in orders:
        book = bids if side is Side.BUY else asks
        book[price] = book.get(price, 0) + quantity
    clock.set(T0 + timedelta(hours=2))
    auction_events = engine.advance()
    events += auction_events
    cleared = next(e for e in auction_events if isinstance(e, AuctionCleared))
    trades = [e for e in auction_events if isinstance(e, TradeExecuted)]
    assert cleared.volume == brute_force_max_volume(bids, asks)
    assert sum(t.quantity for t in trades) == cleared.volume
    assert all(t.price_ticks == cleared.price_ticks for t in trades)
    bid, ask = engine.best_bid_ticks(), engine.best_ask_ticks()
    assert bid is None or ask is None or bid < ask
    # Price priority: no order left resting is better priced than an order that traded.
    if trades and bid is not None:
        buy_prices = {orders[int(t.buy_order_id[1:])][1] for t in trades}
        assert bid <= min(buy_prices)
    if trades and ask is not None:
        sell_prices = {orders[int(t.sell_order_id[1:])][1] for t in trades}
        assert ask >= max(sell_prices)
    assert_quantity_conserved(engine, events)
