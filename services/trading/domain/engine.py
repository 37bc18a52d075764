"""The deterministic in-memory matching engine of one instrument.

Rules (and why):
- Continuous trading: price-time priority; a trade executes at the resting order's price, so the
  order that waited sets the price (contract README, "Trading defaults").
- Self-trade prevention, policy "cancel resting": when an incoming order would trade with a resting
  order of the same participant, the resting order is cancelled (OrderCancelled reason
  SELF_TRADE_PREVENTED) and matching continues behind it. The newest instruction wins, and no wash
  trade ever prints a price. The call auction does not apply STP (like JPX's itayose): orders there
  are uncrossed as a whole and the participant chose to have both sides in the auction.
- IOC trades what it can and cancels the rest; FOK trades completely or is cancelled untouched
  (own resting orders do not count towards its liquidity, since STP would cancel them).
- Amend: a quantity decrease at the same price keeps time priority; a price change or a quantity
  increase is a new order at the back of the queue (and may trade at once in CONTINUOUS).
- PRE_OPEN accumulates orders without matching (IOC/FOK are refused: they have nothing to meet);
  an AUCTION step uncrosses the book at one price (`auction.find_clearing_price`); CLOSED refuses
  new orders and amendments but still accepts cancels so participants can release locked assets.
- Everything the engine does is a function of the journal (commands with the clock instant they
  were handled at), so `Engine.replay(journal)` rebuilds the same book, sequences and trades.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final

from services.trading.domain.auction import ClearingPrice, find_clearing_price
from services.trading.domain.book import OrderBook, new_level
from services.trading.domain.events import (
    AmendRejected,
    AuctionCleared,
    CancelReason,
    CancelRejected,
    Event,
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    OrderRejected,
    Phase,
    PhaseChanged,
    RejectReason,
    TradeExecuted,
)
from services.trading.domain.instruments import Instrument
from services.trading.domain.orders import (
    AdvanceClock,
    AmendOrder,
    CancelOrder,
    Command,
    JournalEntry,
    Order,
    PlaceOrder,
    Side,
    TimeInForce,
)
from services.trading.domain.session import Clock, ManualClock, SessionSchedule, SessionStep

_NEVER = datetime(9999, 1, 1, tzinfo=UTC)
_ALREADY_DUE = datetime(1, 1, 2, tzinfo=UTC)

# Events are NamedTuples; on the hot path they are built with tuple.__new__, which skips the
# generated Python __new__ (see events.py). mypy does not check the field tuple: the tests do.
_new = tuple.__new__
# Enum members as module constants: a cached global load (~10 ns) instead of a lookup through
# the enum metaclass (~50 ns).
_BUY: Final = Side.BUY
_GTC: Final = TimeInForce.GTC
_DAY: Final = TimeInForce.DAY
_CONTINUOUS: Final = Phase.CONTINUOUS
_PRE_OPEN: Final = Phase.PRE_OPEN
_FOK: Final = TimeInForce.FOK
_BY_PARTICIPANT: Final = CancelReason.BY_PARTICIPANT
_STP: Final = CancelReason.SELF_TRADE_PREVENTED
# An upper price limit no order reaches, for instruments without price limits: the fast path then
# compares without a None test (a price above it only takes the slow path, which knows the truth).
_NO_HIGH_LIMIT: Final = 1 << 62


@dataclass(frozen=True, slots=True)
class RestingOrderView:
    order_id: str
    participant_id: str
    side: Side
    price_ticks: int
    remaining_quantity: int
    filled_quantity: int
    time_in_force: TimeInForce
    sequence: int


class Engine:
    def __init__(self, instrument: Instrument, clock: Clock, schedule: SessionSchedule | None = None) -> None:
        self.instrument = instrument
        self._clock = clock
        self._now_fn = clock.now
        self._schedule = schedule
        self._book = OrderBook()
        # Two parallel lists rather than JournalEntry objects: no allocation per command on the hot
        # path (the instant is the clock's own object); entries are built when the journal is read.
        self._journal_at: list[datetime] = []
        self._journal_commands: list[Command] = []
        self._order_sequence = 0
        self._trade_sequence = 0
        self._last_price_ticks: int | None = None
        # Phase is settled from the clock on the first command, so a replay that starts at the
        # first journal entry sees exactly what the live engine saw.
        self._phase: Phase | None = None
        self._next_step_at = _ALREADY_DUE
        self._next_step: SessionStep | None = None
        self._now = _ALREADY_DUE
        band = instrument.limit_band_ticks()
        self._low_ticks = 1 if band is None else band[0]
        self._has_high_limit = band is not None
        self._high_ticks = _NO_HIGH_LIMIT if band is None else band[1]
        self._lot_size_t = instrument.lot_size_t
        # The book's containers, bound once: the hot path reaches them with one attribute load.
        # (They are mutated in place and never replaced.) `_index`: order id -> resting order, or
        # None for an id accepted before that has left the book.
        self._index = self._book.orders
        self._bid_levels = self._book.bids.levels
        self._ask_levels = self._book.asks.levels
        self._bid_prices = self._book.bids.prices
        self._ask_prices = self._book.asks.prices

    # --- public API -------------------------------------------------------------------------------

    @classmethod
    def replay(
        cls,
        instrument: Instrument,
        journal: Iterable[JournalEntry],
        schedule: SessionSchedule | None = None,
        clock: Clock | None = None,
    ) -> Engine:
        """Rebuild an engine from persisted journal entries; the result equals the live engine.

        Time during the replay is the journal's own; `clock` (e.g. a SystemClock after a restart)
        takes over once the journal is exhausted."""
        entries = list(journal)
        replay_clock = ManualClock(entries[0].at if entries else _ALREADY_DUE)
        engine = cls(instrument, replay_clock, schedule)
        for entry in entries:
            replay_clock.set(entry.at)
            engine.handle(entry.command)
        if clock is not None:
            engine._clock = clock
            engine._now_fn = clock.now
        return engine

    def handle(self, command: Command) -> list[Event]:
        """Apply one command at the clock's current instant and return the events it caused."""
        now = self._now_fn()
        if now < self._now:
            now = self._now  # a clock stepping back must not reorder history
        self._now = now
        events: list[Event] = []
        if now >= self._next_step_at:
            self._run_due_steps(now, events)
        self._journal_at.append(now)
        self._journal_commands.append(command)
        if type(command) is not PlaceOrder:
            if isinstance(command, CancelOrder):
                self._cancel(command, now, events)
                return events
            if isinstance(command, AmendOrder):
                self._amend(command, now, events)
                return events
            if not isinstance(command, PlaceOrder):
                return events  # AdvanceClock: the due steps above were all it asked for
        # Placing an order, inlined here because it is most of the traffic (a call is not free).
        order_id = command.order_id
        price_ticks = command.price_ticks
        quantity = command.quantity
        index = self._index
        # The common case is tested inline (one branch); the reason is only worked out on refusal.
        if (
            order_id in index
            or self._phase is not _CONTINUOUS
            or quantity < 1
            or quantity % self._lot_size_t
            or price_ticks < self._low_ticks
            or price_ticks > self._high_ticks
        ):
            reason = self._place_rejection(command)
            if reason is not None:
                events.append(_new(OrderRejected, (order_id, reason, now)))
                return events
        sequence = self._order_sequence = self._order_sequence + 1
        side = command.side
        tif = command.time_in_force
        participant_id = command.participant_id
        account_id = command.account_id
        order = Order(order_id, participant_id, account_id, side, price_ticks, quantity, tif, sequence)
        events.append(
            _new(
                OrderAccepted,
                (order_id, participant_id, account_id, side, price_ticks, quantity, tif, sequence, now),
            )
        )
        if self._phase is _PRE_OPEN:
            self._book.rest(order)
            return events
        # From here on the id is taken: index[order_id] is set on every path (the order, or None).
        if tif is _GTC or tif is _DAY:
            # Resting order types: most do not cross, so one comparison with the opposite best price
            # decides before paying for the matching loop; the remainder rests.
            if side is _BUY:
                opposite = self._ask_prices
                if opposite and opposite[0] <= price_ticks:
                    self._match(order, now, events)
                    quantity = order.remaining_quantity
                    if not quantity:
                        index[order_id] = None
                        return events
                own = self._bid_levels
            else:
                opposite = self._bid_prices
                if opposite and opposite[-1] >= price_ticks:
                    self._match(order, now, events)
                    quantity = order.remaining_quantity
                    if not quantity:
                        index[order_id] = None
                        return events
                own = self._ask_levels
            # OrderBook.rest, inlined: this is the path of every order that does not fill at once.
            level = own.get(price_ticks)
            if level is None:
                own[price_ticks] = new_level(order)
                insort(self._bid_prices if side is _BUY else self._ask_prices, price_ticks)
            else:
                level.append(order)
                level.live += 1
            index[order_id] = order
            return events
        index[order_id] = None
        if tif is _FOK and not self._fillable(order):
            events.append(
                _new(
                    OrderCancelled,
                    (order_id, participant_id, side, quantity, 0, CancelReason.FOK_NOT_FILLABLE, now),
                )
            )
            return events
        self._match(order, now, events)
        if order.remaining_quantity:
            events.append(
                _new(
                    OrderCancelled,
                    (
                        order_id,
                        participant_id,
                        side,
                        order.remaining_quantity,
                        order.filled_quantity,
                        CancelReason.IOC_REMAINDER,
                        now,
                    ),
                )
            )
        return events

    def advance(self) -> list[Event]:
        """Run the phase changes and auctions that are due by now (a journaled AdvanceClock)."""
        return self.handle(AdvanceClock())

    @property
    def phase(self) -> Phase:
        if self._phase is not None:
            return self._phase
        return Phase.CONTINUOUS if self._schedule is None else self._schedule.phase_at(self._clock.now())

    @property
    def journal(self) -> list[JournalEntry]:
        """Every command handled, with its instant: persist these to rebuild with `replay`."""
        return [JournalEntry(at, command) for at, command in zip(self._journal_at, self._journal_commands, strict=True)]

    @property
    def trades_executed(self) -> int:
        """How many trades this engine has made (the last trade_seq)."""
        return self._trade_sequence

    @property
    def last_price_ticks(self) -> int | None:
        return self._last_price_ticks

    def best_bid_ticks(self) -> int | None:
        return self._book.best_bid_ticks()

    def best_ask_ticks(self) -> int | None:
        return self._book.best_ask_ticks()

    def depth(self, side: Side, max_levels: int = 10) -> list[tuple[int, int, int]]:
        """(price_ticks, open quantity, order count), best level first."""
        return self._book.side(side).depth(max_levels)

    def order(self, order_id: str) -> RestingOrderView | None:
        order = self._book.orders.get(order_id)
        return None if order is None else _view(order)

    def resting_orders(self, side: Side) -> list[RestingOrderView]:
        """Resting orders in priority order (best price, then oldest)."""
        return [_view(order) for order in self._book.side(side).orders_in_priority()]

    # --- commands -----------------------------------------------------------------------------------

    def _place_rejection(self, command: PlaceOrder) -> RejectReason | None:
        if command.order_id in self._index:
            return RejectReason.DUPLICATE_ORDER_ID
        phase = self._phase
        if phase is Phase.CLOSED:
            return RejectReason.MARKET_CLOSED
        if phase is Phase.PRE_OPEN and command.time_in_force in (TimeInForce.IOC, TimeInForce.FOK):
            return RejectReason.TIME_IN_FORCE_NOT_ALLOWED_IN_PHASE
        return self._price_quantity_rejection(command.price_ticks, command.quantity)

    def _price_quantity_rejection(self, price_ticks: int, quantity: int) -> RejectReason | None:
        if quantity < 1:
            return RejectReason.QUANTITY_NOT_POSITIVE
        if quantity % self._lot_size_t:
            return RejectReason.QUANTITY_NOT_LOT_MULTIPLE
        if price_ticks < 1:
            return RejectReason.PRICE_NOT_POSITIVE
        if price_ticks < self._low_ticks or (self._has_high_limit and price_ticks > self._high_ticks):
            return RejectReason.PRICE_OUTSIDE_LIMITS
        return None

    def _cancel(self, command: CancelOrder, now: datetime, events: list[Event]) -> None:
        order_id = command.order_id
        order = self._index.get(order_id)
        if order is None:
            events.append(_new(CancelRejected, (order_id, RejectReason.ORDER_NOT_FOUND, now)))
            return
        if order.participant_id != command.participant_id:
            events.append(_new(CancelRejected, (order_id, RejectReason.NOT_ORDER_OWNER, now)))
            return
        # OrderBook.unlink, inlined.
        cancelled_quantity = order.remaining_quantity
        order.remaining_quantity = 0  # dead: skipped when it reaches the head of its queue
        self._index[order_id] = None
        price_ticks = order.price_ticks
        book_side = self._book.bids if order.side is _BUY else self._book.asks
        level = book_side.levels[price_ticks]
        level.live -= 1
        if not level.live:
            book_side.drop_level(price_ticks)
        events.append(
            _new(
                OrderCancelled,
                (
                    order_id,
                    order.participant_id,
                    order.side,
                    cancelled_quantity,
                    order.filled_quantity,
                    _BY_PARTICIPANT,
                    now,
                ),
            )
        )

    def _cancel_resting(self, order: Order, reason: CancelReason, now: datetime, events: list[Event]) -> None:
        cancelled_quantity = self._book.unlink(order)
        events.append(
            OrderCancelled(
                order.order_id,
                order.participant_id,
                order.side,
                cancelled_quantity,
                order.filled_quantity,
                reason,
                now,
            )
        )

    def _amend(self, command: AmendOrder, now: datetime, events: list[Event]) -> None:
        order = self._index.get(command.order_id)
        reason: RejectReason | None = None
        if order is None:
            reason = RejectReason.ORDER_NOT_FOUND
        elif order.participant_id != command.participant_id:
            reason = RejectReason.NOT_ORDER_OWNER
        elif self._phase is Phase.CLOSED:
            reason = RejectReason.MARKET_CLOSED
        if order is None or reason is not None:
            events.append(AmendRejected(command.order_id, reason or RejectReason.ORDER_NOT_FOUND, now))
            return
        price_ticks = order.price_ticks if command.new_price_ticks is None else command.new_price_ticks
        quantity = order.remaining_quantity if command.new_quantity is None else command.new_quantity
        reason = self._price_quantity_rejection(price_ticks, quantity)
        if reason is None and price_ticks == order.price_ticks and quantity == order.remaining_quantity:
            reason = RejectReason.AMEND_NO_CHANGE
        if reason is not None:
            events.append(AmendRejected(command.order_id, reason, now))
            return
        delta = quantity - order.remaining_quantity
        if price_ticks == order.price_ticks and delta < 0:
            self._book.reduce(order, -delta)
            events.append(OrderAmended(order.order_id, price_ticks, quantity, delta, order.sequence, True, now))
            return
        # Losing priority is modelled as leaving the book and entering again with a new sequence;
        # the old queue entry is left dead in place (lazy deletion).
        self._book.unlink(order)
        self._order_sequence += 1
        amended = replace(order, price_ticks=price_ticks, remaining_quantity=quantity, sequence=self._order_sequence)
        events.append(OrderAmended(order.order_id, price_ticks, quantity, delta, amended.sequence, False, now))
        if self._phase is not Phase.PRE_OPEN:
            self._match(amended, now, events)
        if amended.remaining_quantity:
            self._book.rest(amended)

    # --- continuous matching (the hot path) ----------------------------------------------------------

    def _match(self, incoming: Order, now: datetime, events: list[Event]) -> None:
        """Trade `incoming` against the opposite side while it crosses (price-time priority, trades at
        the resting price, self-trade prevention cancelling the resting order)."""
        is_buy = incoming.side is _BUY
        book = self._book
        opposite = book.asks if is_buy else book.bids
        levels = opposite.levels
        prices = opposite.prices  # ascending: the best ask is the first, the best bid the last
        index = self._index
        limit = incoming.price_ticks
        remaining = incoming.remaining_quantity
        order_id = incoming.order_id
        participant_id = incoming.participant_id
        account_id = incoming.account_id
        aggressor = incoming.side
        append = events.append
        trade_sequence = self._trade_sequence
        last_price = self._last_price_ticks
        while remaining and prices:
            if is_buy:
                price = prices[0]
                if price > limit:
                    break
            else:
                price = prices[-1]
                if price < limit:
                    break
            level = levels[price]
            # A level in the book has a live order, so the queue is never exhausted before `live` is 0.
            while True:
                resting = level[0]
                resting_remaining = resting.remaining_quantity
                if not resting_remaining:
                    level.popleft()  # a cancelled or amended order, deleted lazily
                    continue
                if resting.participant_id == participant_id:
                    level.popleft()
                    resting.remaining_quantity = 0
                    index[resting.order_id] = None
                    level.live -= 1
                    append(
                        _new(
                            OrderCancelled,
                            (
                                resting.order_id,
                                participant_id,
                                resting.side,
                                resting_remaining,
                                resting.filled_quantity,
                                _STP,
                                now,
                            ),
                        )
                    )
                    if not level.live:
                        break
                    continue
                trade_sequence += 1
                last_price = price
                if resting_remaining <= remaining:
                    fill = resting_remaining
                    resting.remaining_quantity = 0
                    level.popleft()
                    index[resting.order_id] = None
                    level.live -= 1
                else:
                    fill = remaining
                    resting.remaining_quantity = resting_remaining - fill
                resting.filled_quantity += fill
                remaining -= fill
                if is_buy:
                    trade = (
                        trade_sequence,
                        price,
                        fill,
                        order_id,
                        resting.order_id,
                        participant_id,
                        resting.participant_id,
                        account_id,
                        resting.account_id,
                        aggressor,
                        now,
                    )
                else:
                    trade = (
                        trade_sequence,
                        price,
                        fill,
                        resting.order_id,
                        order_id,
                        resting.participant_id,
                        participant_id,
                        resting.account_id,
                        account_id,
                        aggressor,
                        now,
                    )
                append(_new(TradeExecuted, trade))
                if not remaining or not level.live:
                    break
            if not level.live:
                del levels[price]
                if is_buy:
                    del prices[0]
                else:
                    prices.pop()
        incoming.filled_quantity += incoming.remaining_quantity - remaining
        incoming.remaining_quantity = remaining
        self._trade_sequence = trade_sequence
        self._last_price_ticks = last_price

    def _fillable(self, incoming: Order) -> bool:
        """Whether the incoming order could trade completely now, not counting its own participant's
        orders (self-trade prevention would cancel those)."""
        is_buy = incoming.side is _BUY
        limit = incoming.price_ticks
        participant_id = incoming.participant_id
        needed = incoming.remaining_quantity
        opposite = self._book.asks if is_buy else self._book.bids
        for price in opposite.prices_in_priority():
            if (price > limit) if is_buy else (price < limit):
                break
            for order in opposite.levels[price]:
                if order.remaining_quantity and order.participant_id != participant_id:
                    needed -= order.remaining_quantity
                    if needed <= 0:
                        return True
        return False

    # --- sessions and the call auction ----------------------------------------------------------------

    def _run_due_steps(self, now: datetime, events: list[Event]) -> None:
        schedule = self._schedule
        # Instants kept for comparison are expressed in the clock's own time zone: comparing aware
        # datetimes with the same tzinfo object is a field compare, with different ones it costs
        # two utcoffset calls (~30x slower), and `handle` compares on every command.
        clock_tz = now.tzinfo
        if self._phase is None:
            self._phase = Phase.CONTINUOUS if schedule is None else schedule.phase_at(now)
            if schedule is None:
                self._next_step_at = _NEVER.astimezone(clock_tz)
            else:
                step_at, self._next_step = schedule.next_step_after(now)
                self._next_step_at = step_at.astimezone(clock_tz)
            return
        while schedule is not None and self._next_step is not None and self._next_step_at <= now:
            at, step = self._next_step_at, self._next_step
            if step.phase is Phase.AUCTION:
                self._enter(Phase.AUCTION, at, events)
                self._uncross(at, events)
            self._enter(step.effective_phase(), at, events)
            if schedule.ends_day(step):
                self._expire_day_orders(at, events)
            step_at, self._next_step = schedule.next_step_after(at)
            self._next_step_at = step_at.astimezone(clock_tz)

    def _enter(self, phase: Phase, at: datetime, events: list[Event]) -> None:
        self._phase = phase
        events.append(PhaseChanged(phase, at))

    def _expire_day_orders(self, at: datetime, events: list[Event]) -> None:
        day_orders = sorted(
            (order for order in self._index.values() if order is not None and order.time_in_force is _DAY),
            key=lambda order: order.sequence,
        )
        for order in day_orders:
            self._cancel_resting(order, CancelReason.DAY_EXPIRED, at, events)

    def _auction_reference_ticks(self) -> int | None:
        # The exchange-set reference (base) price first; failing that the last price traded here.
        reference = self.instrument.reference_price_ticks()
        return self._last_price_ticks if reference is None else reference

    def clearing_price(self) -> ClearingPrice:
        """The indicative auction price if the book were uncrossed now."""
        bids = {price: level.open_quantity() for price, level in self._book.bids.levels.items()}
        asks = {price: level.open_quantity() for price, level in self._book.asks.levels.items()}
        return find_clearing_price(bids, asks, self._auction_reference_ticks())

    def _uncross(self, at: datetime, events: list[Event]) -> None:
        clearing = self.clearing_price()
        events.append(AuctionCleared(clearing.price_ticks, clearing.volume, clearing.buy_surplus, at))
        if clearing.price_ticks is None:
            return
        price = clearing.price_ticks
        book = self._book
        # Price priority then time priority on each side: better-priced orders fill first (fully,
        # whenever the volume allows), orders at the clearing price by time.
        buys = book.bids.orders_in_priority()
        sells = book.asks.orders_in_priority()
        buy = next(buys)
        sell = next(sells)
        left = clearing.volume
        while left:
            fill = min(buy.remaining_quantity, sell.remaining_quantity, left)
            left -= fill
            self._trade_sequence += 1
            events.append(
                TradeExecuted(
                    self._trade_sequence,
                    price,
                    fill,
                    buy.order_id,
                    sell.order_id,
                    buy.participant_id,
                    sell.participant_id,
                    buy.account_id,
                    sell.account_id,
                    None,
                    at,
                )
            )
            buy.filled_quantity += fill
            sell.filled_quantity += fill
            book.reduce(buy, fill)
            book.reduce(sell, fill)
            if left and not buy.remaining_quantity:
                buy = next(buys)
            if left and not sell.remaining_quantity:
                sell = next(sells)
        self._last_price_ticks = price


def _view(order: Order) -> RestingOrderView:
    return RestingOrderView(
        order.order_id,
        order.participant_id,
        order.side,
        order.price_ticks,
        order.remaining_quantity,
        order.filled_quantity,
        order.time_in_force,
        order.sequence,
    )
