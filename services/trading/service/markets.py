"""The instruments' matching engines: in-memory state owned by this process, one per instrument.

Each engine is serialized by its own lock. A command that moves an engine runs inside
`Markets.exclusive`: the engine handles the command, the journal entry, order/trade rows, cash and
events are written in the command's unit of work, and that unit of work commits BEFORE the lock is
released, so the engine never runs ahead of the database and changes commit in engine order. Then
the change is published to the market feed, still under the lock, so subscribers get the changes in
commit order. If anything fails after the engine moved, its writes are undone (a savepoint) and the
engine is rebuilt from the persisted journal.

Lock order: a command holds its unit of work (on SQLite, the database's single write lock) before it
takes an instrument's lock, so nothing may wait for the database while holding an instrument's lock
(queries read the database first, then take the lock for the in-memory book).

Handlers receive `markets` as a dependency (the message bus injects it); the engine's own hot loop
(domain/engine.py) never sees the bus.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from carbon_runtime.errors import not_found
from services.trading.domain.engine import Engine
from services.trading.domain.events import Event, TradeExecuted
from services.trading.domain.instruments import Instrument
from services.trading.domain.listing import InstrumentRecord
from services.trading.domain.market_data import TradeTape
from services.trading.domain.orders import Command, JournalEntry
from services.trading.domain.records import TradeRecord
from services.trading.domain.session import Clock, SessionSchedule
from services.trading.service.market_feed import MarketFeed, book_update
from services.trading.service.ports import MarketSource, UnitOfWork

log = logging.getLogger(__name__)


@dataclass
class Market:
    instrument: Instrument
    schedule: SessionSchedule | None
    engine: Engine
    tape: TradeTape
    journal_length: int
    lock: threading.RLock = field(default_factory=threading.RLock)
    dirty: bool = False
    #: Set when a rebuild after a failed command failed too: the next command rebuilds first.
    stale: bool = False
    next_step_at: datetime | None = None
    #: Trades stored by the command in flight, published once its transaction has committed.
    unpublished_trades: list[TradeRecord] = field(default_factory=list)


class Markets:
    def __init__(self, source: MarketSource, clock: Clock, feed: MarketFeed | None = None) -> None:
        self.source = source
        self.clock = clock
        self.feed = feed or MarketFeed()
        self._markets: dict[str, Market] = {}
        self._markets_lock = threading.Lock()

    def load(self) -> None:
        """Rebuild every instrument's engine from its persisted journal (start-up)."""
        for record in self.source.list_instruments():
            self._markets[record.instrument.id] = self._build(record.instrument, record.schedule)

    def sync(self, uow: UnitOfWork) -> None:
        """Pick up instruments created since (by this process or another one)."""
        source = UnitOfWorkSource(uow)
        for record in source.list_instruments():
            if record.instrument.id not in self._markets:
                self._add(record.instrument, record.schedule, source)

    def _build(
        self, instrument: Instrument, schedule: SessionSchedule | None, source: MarketSource | None = None
    ) -> Market:
        source = source or self.source
        journal = source.load_journal(instrument.id)
        trades = source.exchange_trades_in_order(instrument.id)
        engine = Engine.replay(instrument, journal, schedule, clock=self.clock)
        tape = TradeTape(instrument)
        tape.apply(tape_event(tr) for tr in trades)
        market = Market(instrument, schedule, engine, tape, len(journal))
        if schedule is not None:
            start = journal[-1].at if journal else self.clock.now()
            market.next_step_at = schedule.next_step_after(start)[0]
        return market

    def _add(self, instrument: Instrument, schedule: SessionSchedule | None, source: MarketSource) -> Market:
        # Built outside the lock: reading the journal may wait for the database, and a command that
        # holds the database (SQLite's single writer) may be waiting for this lock. Two threads may
        # build the same market; the first one stored wins.
        built = self._build(instrument, schedule, source)
        with self._markets_lock:
            return self._markets.setdefault(instrument.id, built)

    def get(self, instrument_id: str, uow: UnitOfWork | None = None) -> Market:
        """The instrument's market. A command passes its unit of work: an instrument not built yet
        is then read in the command's own transaction (SQLite allows one writer at a time)."""
        market = self._markets.get(instrument_id)
        if market is None:
            # Created since start-up (or by another replica): build it from the database.
            source = self.source if uow is None else UnitOfWorkSource(uow)
            record = source.get_instrument(instrument_id)
            if record is None:
                raise not_found("INSTRUMENT_NOT_FOUND", f"no instrument {instrument_id!r}")
            market = self._add(record.instrument, record.schedule, source)
        return market

    def all(self) -> list[Market]:
        return list(self._markets.values())

    def _rebuild(self, market: Market, source: MarketSource) -> None:
        rebuilt = self._build(market.instrument, market.schedule, source)
        market.engine = rebuilt.engine
        market.tape = rebuilt.tape
        market.journal_length = rebuilt.journal_length
        market.next_step_at = rebuilt.next_step_at
        market.stale = False

    @contextmanager
    def exclusive(self, uow: UnitOfWork, market: Market) -> Iterator[Market]:
        """Hold the instrument's lock for one engine step; commit `uow` before releasing it.

        Inside the block, `step()` moves the engine and the caller writes the effects through `uow`.
        On an exception the block's writes and events are undone (savepoint), the engine is rebuilt
        from the journal and the exception goes on; what `uow` held before the block is kept."""
        with market.lock:
            if market.stale:
                self._rebuild(market, UnitOfWorkSource(uow))
            market.dirty = False
            market.unpublished_trades.clear()
            try:
                with uow.savepoint():
                    yield market
                uow.commit()
            except BaseException:
                market.unpublished_trades.clear()
                if market.dirty:
                    log.warning("rebuilding engine after a failed command", extra={"instrument": market.instrument.id})
                    try:
                        # The savepoint is rolled back: the transaction reads the journal as it was.
                        self._rebuild(market, UnitOfWorkSource(uow))
                    except Exception:
                        log.exception("rebuilding engine failed", extra={"instrument": market.instrument.id})
                        market.stale = True
                    market.dirty = False
                raise
            if market.dirty:
                self._publish(market)

    def step(self, uow: UnitOfWork, market: Market, command: Command) -> list[Event]:
        """Apply a command to the engine and journal it in `uow` (inside `exclusive`)."""
        market.dirty = True
        events = market.engine.handle(command)
        at = market.engine._now  # the instant the engine handled it at (never before the last one)
        market.journal_length += 1
        uow.journal.append(market.instrument.id, market.journal_length, JournalEntry(at, command))
        market.tape.apply(events)
        return events

    def publish_trades(self, instrument_id: str, trades: list[TradeRecord]) -> None:
        """Trades made outside the engine (tender awards), once committed."""
        try:
            self.feed.publish_trades(instrument_id, trades)
        except Exception:
            log.exception("publishing market data failed", extra={"instrument": instrument_id})

    def _publish(self, market: Market) -> None:
        trades, market.unpublished_trades = market.unpublished_trades, []
        try:
            instrument_id = market.instrument.id
            self.feed.publish_trades(instrument_id, trades)
            if self.feed.books.has_subscribers(instrument_id):
                update = book_update(instrument_id, market.journal_length, market.engine, market.tape, self.clock.now())
                self.feed.books.publish(instrument_id, update)
        except Exception:
            # The command has committed: a market-data failure must not turn it into an error.
            log.exception("publishing market data failed", extra={"instrument": market.instrument.id})


class UnitOfWorkSource:
    """A command's unit of work as the source of a market (its journal, in its transaction)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def list_instruments(self) -> list[InstrumentRecord]:
        return self.uow.instruments.list()

    def get_instrument(self, instrument_id: str) -> InstrumentRecord | None:
        return self.uow.instruments.get(instrument_id)

    def load_journal(self, instrument_id: str) -> list[JournalEntry]:
        return self.uow.journal.load(instrument_id)

    def exchange_trades_in_order(self, instrument_id: str) -> list[TradeRecord]:
        return self.uow.trades.exchange_trades_in_order(instrument_id)


def tape_event(tr: TradeRecord) -> TradeExecuted:
    return TradeExecuted(
        tr.engine_seq or 0,
        tr.price_ticks,
        tr.quantity_t,
        tr.buy_order_id,
        tr.sell_order_id,
        tr.buyer_organization_id,
        tr.seller_organization_id,
        tr.buyer_account_id,
        tr.seller_account_id,
        tr.aggressor_side,
        tr.executed_at,
    )
