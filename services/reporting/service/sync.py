"""Keeping the read models in step with the producers: applying records, rebuilding from the producers'
event logs over gRPC, following those logs without Kafka, and measuring how far behind the read models are.

The producers' event logs (their outboxes, kept for ever) are the truth; Kafka is only the fast path.
A rebuild wipes every read model and the consumer's claims in one transaction, then streams each
producer's log from position 0 through the same projector functions the Kafka consumer uses, so a
rebuilt read model is identical to one built live.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Engine, delete, select

from services.reporting.adapters import tables
from services.reporting.service import projector
from services.reporting.service.read_model import aware

log = logging.getLogger(__name__)

PROJECTION = "credit_read_model"


class EventLogPort(Protocol):
    """One producer's event log (carbon.events.v1.EventLog)."""

    def replay(self, from_position: int) -> Iterator[tuple[int, Any]]:
        """(position, EventEnvelope) in position order, starting after `from_position`."""

    def head(self) -> int:
        """Position of the latest recorded event."""


def apply_serialized(engine: Engine, value: bytes, *, position: int | None = None) -> bool:
    """Apply one serialized EventEnvelope in its own transaction (the Kafka path)."""
    env = projector.Envelope.FromString(value)
    return apply_one(engine, env, position=position)


def apply_one(engine: Engine, env: Any, *, position: int | None = None) -> bool:
    try:
        with engine.begin() as conn:
            return projector.apply_envelope(conn, env, position=position)
    except projector.MalformedEventError:
        log.exception("skipping event %s that a reader must reject", env.event_id)
        return False


def apply_many(engine: Engine, items: Iterable[tuple[int | None, Any]], *, batch_size: int = 200) -> int:
    """Apply (position, envelope) pairs in transactions of `batch_size` events; returns events applied."""
    applied = 0
    batch: list[tuple[int | None, Any]] = []

    def flush() -> None:
        nonlocal applied
        if not batch:
            return
        try:
            with engine.begin() as conn:
                count = 0
                for position, env in batch:
                    count += projector.apply_envelope(conn, env, position=position)
            applied += count
        except projector.MalformedEventError:
            # The whole batch rolled back: apply it one by one so only the malformed event is skipped.
            for position, env in batch:
                applied += apply_one(engine, env, position=position)
        batch.clear()

    for item in items:
        batch.append(item)
        if len(batch) >= batch_size:
            flush()
    flush()
    return applied


def wipe(engine: Engine) -> None:
    """Empty every read model and forget which events were applied, atomically."""
    with engine.begin() as conn:
        for table in reversed(tables.READ_MODEL_TABLES):
            conn.execute(delete(table))
        processed = tables.outbox.processed_events
        conn.execute(delete(processed).where(processed.c.consumer == projector.CONSUMER))


def rebuild(engine: Engine, logs: Mapping[str, EventLogPort]) -> dict[str, int]:
    """Wipe the read models and replay every producer's log from the start. Returns events applied per log."""
    wipe(engine)
    return {source: apply_many(engine, log_port.replay(0)) for source, log_port in logs.items()}


def replayed_position(engine: Engine, source: str) -> int:
    t = tables.source_progress
    with engine.connect() as conn:
        value = conn.execute(select(t.c.replayed_position).where(t.c.source == source)).scalar()
    return int(value or 0)


def catch_up(engine: Engine, source: str, log_port: EventLogPort) -> int:
    """Apply what the producer recorded after the last replayed position (following without Kafka)."""
    return apply_many(engine, log_port.replay(replayed_position(engine, source)))


@dataclass(frozen=True, slots=True)
class SourceLag:
    source: str
    projection: str
    applied_position: int
    head_position: int
    pending_events: int
    lag_ms: int
    last_applied_occurred_at: datetime | None
    head_known: bool


class LagMonitor:
    """How far the read models trail each producer's log.

    Kafka records carry no log position, so the applied position is the number of distinct events applied
    from that producer (every event is claimed and counted, projected or not), or the last replayed
    position when that is further. Heads come from EventLog.Head; the last head seen is kept for when
    a producer is unreachable.
    """

    def __init__(self, engine: Engine, logs: Mapping[str, EventLogPort]) -> None:
        self.engine = engine
        self.logs = dict(logs)
        self._heads: dict[str, int] = {}
        self._lock = threading.Lock()

    def refresh_heads(self) -> None:
        for source, log_port in self.logs.items():
            try:
                head = log_port.head()
            except Exception:
                log.debug("event log head of %s unavailable", source, exc_info=True)
                continue
            with self._lock:
                self._heads[source] = head

    def heads(self) -> dict[str, int]:
        with self._lock:
            return dict(self._heads)

    def lag(self, *, now: datetime | None = None) -> list[SourceLag]:
        now = now or datetime.now(UTC)
        t = tables.source_progress
        with self.engine.connect() as conn:
            progress = {r.source: r for r in conn.execute(select(t))}
        heads = self.heads()
        out: list[SourceLag] = []
        for source in sorted(set(self.logs) | set(progress)):
            row = progress.get(source)
            applied = 0 if row is None else max(int(row.applied_events), int(row.replayed_position))
            last = None if row is None or row.last_occurred_at is None else aware(row.last_occurred_at)
            head_known = source in heads
            head = heads.get(source, applied)
            pending = max(0, head - applied)
            lag_ms = 0
            if pending > 0:
                # Behind: the lag is the age of the newest event applied (or unknown-as-large when none was).
                lag_ms = int((now - last).total_seconds() * 1000) if last is not None else 0
            out.append(SourceLag(source, PROJECTION, applied, head, pending, max(0, lag_ms), last, head_known))
        return out

    def seconds_since_last_event(self, *, now: datetime | None = None) -> dict[str, float]:
        now = now or datetime.now(UTC)
        return {
            lag.source: (now - lag.last_applied_occurred_at).total_seconds()
            for lag in self.lag(now=now)
            if lag.last_applied_occurred_at is not None
        }


class PeriodicWorker:
    """Runs `tick` every `interval_s` in a daemon thread until stopped (a carbon_runtime Worker)."""

    def __init__(self, name: str, tick: Callable[[], None], interval_s: float) -> None:
        self.name = name
        self.tick = tick
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_forever(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.tick()
            except Exception:
                log.exception("%s failed; retrying", self.name)
            self._stop.wait(max(0.0, self.interval_s - (time.monotonic() - started)))

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def follower(engine: Engine, logs: Mapping[str, EventLogPort], interval_s: float) -> PeriodicWorker:
    """Follows the producers' logs over gRPC (for stacks without a broker)."""

    def tick() -> None:
        for source, log_port in logs.items():
            try:
                catch_up(engine, source, log_port)
            except Exception:
                log.debug("catch-up from %s failed", source, exc_info=True)

    return PeriodicWorker("reporting-log-follower", tick, interval_s)
