"""What every trading use case shares: storage, the registry, the clock, and one in-memory matching
engine per instrument.

Each engine is owned by this service instance and serialized by its own lock: a command is applied
to the engine and its journal entry, order/trade rows, cash and events commit in one transaction
under that lock. If the transaction fails after the engine moved, the engine is rebuilt from the
persisted journal, so memory never runs ahead of the database.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine as DbEngine

from carbon_runtime.errors import DomainError, ErrorCode, not_found
from carbon_runtime.persistence.uow import UnitOfWork
from carbon_runtime.transport.auth import Principal
from services.trading.adapters import repository as repo
from services.trading.domain.engine import Engine
from services.trading.domain.events import Event, TradeExecuted
from services.trading.domain.instruments import Instrument
from services.trading.domain.market_data import TradeTape
from services.trading.domain.orders import Command, JournalEntry
from services.trading.domain.session import Clock, SessionSchedule
from services.trading.service.market_feed import MarketFeed, book_update
from services.trading.service.ports import RegistryPort

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
    next_step_at: datetime | None = None
    # Trades stored by the command in flight, published once its transaction has committed.
    unpublished_trades: list[repo.TradeRecord] = field(default_factory=list)


class RateLimiter:
    """Token bucket per participant: protects the book from one participant's order storm."""

    def __init__(self, rate_per_s: float, burst: int) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, participant_id: str) -> None:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(participant_id, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate_per_s)
            if tokens < 1:
                self._buckets[participant_id] = (tokens, now)
                raise DomainError(
                    ErrorCode.UNAVAILABLE,
                    "RATE_LIMITED",
                    f"too many orders from this participant (limit {self.rate_per_s:g}/s); retry shortly",
                )
            self._buckets[participant_id] = (tokens - 1, now)


@dataclass
class PostCommit:
    """Remote effects owed after a local commit: tried at once, retried by the worker if they fail."""

    trade_ids: list[str] = field(default_factory=list)
    unlock: bool = False


class TradingContext:
    def __init__(
        self,
        *,
        db: DbEngine,
        uow_factory: Callable[[], UnitOfWork],
        registry: RegistryPort,
        clock: Clock,
        service_token: Callable[[], str],
        rate_limiter: RateLimiter | None = None,
        on_trades: Callable[[str], None] | None = None,
        feed: MarketFeed | None = None,
    ) -> None:
        self.db = db
        self.uow = uow_factory
        self.registry = registry
        self.clock = clock
        self.service_token = service_token
        self.rate_limiter = rate_limiter or RateLimiter(rate_per_s=1000.0, burst=1000)
        self.on_trades = on_trades
        self.feed = feed or MarketFeed()
        self._markets: dict[str, Market] = {}
        self._markets_lock = threading.Lock()

    def now(self) -> datetime:
        return self.clock.now()

    # --- markets ------------------------------------------------------------------------------

    def load_markets(self) -> None:
        """Rebuild every instrument's engine from its persisted journal (start-up)."""
        with self.db.connect() as conn:
            records = repo.list_instruments(conn)
        for record in records:
            self._markets[record.instrument.id] = self._build_market(record.instrument, record.schedule)

    def _build_market(self, instrument: Instrument, schedule: SessionSchedule | None) -> Market:
        with self.db.connect() as conn:
            journal = repo.load_journal(conn, instrument.id)
            trades = repo.exchange_trades_in_order(conn, instrument.id)
        engine = Engine.replay(instrument, journal, schedule, clock=self.clock)
        tape = TradeTape(instrument)
        tape.apply(_tape_event(tr) for tr in trades)
        market = Market(instrument, schedule, engine, tape, len(journal))
        if schedule is not None:
            start = journal[-1].at if journal else self.now()
            market.next_step_at = schedule.next_step_after(start)[0]
        return market

    def add_market(self, instrument: Instrument, schedule: SessionSchedule | None) -> Market:
        with self._markets_lock:
            market = self._build_market(instrument, schedule)
            self._markets[instrument.id] = market
            return market

    def market(self, instrument_id: str) -> Market:
        market = self._markets.get(instrument_id)
        if market is None:
            # Another replica may have created it: look in the database before refusing.
            with self.db.connect() as conn:
                record = repo.get_instrument(conn, instrument_id)
            if record is None:
                raise not_found("INSTRUMENT_NOT_FOUND", f"no instrument {instrument_id!r}")
            market = self.add_market(record.instrument, record.schedule)
        return market

    def markets(self) -> list[Market]:
        return list(self._markets.values())

    @contextmanager
    def exclusive(self, market: Market) -> Iterator[Market]:
        """Hold the instrument's lock; on failure after the engine moved, rebuild it from the journal.

        Open the command's unit of work inside this block (`with ctx.exclusive(m), ctx.uow() as uow`):
        it has then committed when the block ends, and the change is published to the market feed
        still under the lock, so subscribers get the changes in commit order."""
        with market.lock:
            market.dirty = False
            market.unpublished_trades.clear()
            try:
                yield market
            except BaseException:
                market.unpublished_trades.clear()
                if market.dirty:
                    log.warning("rebuilding engine after a failed command", extra={"instrument": market.instrument.id})
                    rebuilt = self._build_market(market.instrument, market.schedule)
                    market.engine = rebuilt.engine
                    market.tape = rebuilt.tape
                    market.journal_length = rebuilt.journal_length
                    market.next_step_at = rebuilt.next_step_at
                    market.dirty = False
                raise
            if market.dirty:
                self._publish(market)

    def _publish(self, market: Market) -> None:
        trades, market.unpublished_trades = market.unpublished_trades, []
        try:
            instrument_id = market.instrument.id
            self.feed.publish_trades(instrument_id, trades)
            if self.feed.books.has_subscribers(instrument_id):
                update = book_update(instrument_id, market.journal_length, market.engine, market.tape, self.now())
                self.feed.books.publish(instrument_id, update)
        except Exception:
            # The command has committed: a market-data failure must not turn it into an error.
            log.exception("publishing market data failed", extra={"instrument": market.instrument.id})

    def handle(self, uow: UnitOfWork, market: Market, command: Command) -> list[Event]:
        """Apply a command to the engine and journal it in the caller's transaction."""
        market.dirty = True
        events = market.engine.handle(command)
        at = market.engine._now  # the instant the engine handled it at (never before the last one)
        market.journal_length += 1
        repo.append_journal(uow.conn, market.instrument.id, market.journal_length, JournalEntry(at, command))
        market.tape.apply(events)
        return events

    def after_commit(self, post: PostCommit) -> None:
        """Try the remote effects now; whatever fails stays pending for the settlement worker."""
        from services.trading.service.settlement import run_pending_unlocks, settle_trade

        if post.unlock:
            run_pending_unlocks(self)
        for trade_id in post.trade_ids:
            try:
                settle_trade(self, trade_id)
            except DomainError as err:
                log.info("settlement deferred", extra={"trade_id": trade_id, "code": err.code.value})
        if post.trade_ids and self.on_trades is not None:
            self.on_trades(post.trade_ids[0])


def actor_of(p: Principal) -> str:
    return p.user_id or "anonymous"


def _tape_event(tr: repo.TradeRecord) -> TradeExecuted:
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
