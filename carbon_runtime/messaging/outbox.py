"""Event log and transactional outbox.

A service's state change and the events describing it are written in ONE database transaction
(`record_events`), so an event exists if and only if its change committed. The `OutboxRelay` then
publishes unpublished events to Kafka in log order (key = aggregate id, so per-aggregate order
survives partitioning) and marks them published. A crash between publishing and marking means the
event is published again after restart; consumers are idempotent by event id (`claim_event`), which
turns at-least-once delivery into exactly-once effects.

The event log is kept for ever: it is also the source for replay over gRPC, so read models can be
rebuilt even when the broker has lost its topics.
"""

from __future__ import annotations

import functools
import logging
import threading
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from google.protobuf.message import Message
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    Select,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from carbon_runtime.messaging.envelope import envelope_type, pack_envelope
from carbon_runtime.messaging.message import NewEvent
from carbon_runtime.ops import telemetry

log = logging.getLogger(__name__)

# SQLite only auto-increments INTEGER PRIMARY KEY columns; PostgreSQL needs 64 bits for a log kept for ever.
_Position = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class OutboxTables:
    event_log: Table
    processed_events: Table


def add_outbox_tables(metadata: MetaData) -> OutboxTables:
    event_log = Table(
        "event_log",
        metadata,
        Column("position", _Position, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(200), nullable=False),
        Column("aggregate_type", String(100), nullable=False),
        Column("aggregate_id", String(200), nullable=False),
        Column("sequence", BigInteger, nullable=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False),
        Column("envelope", LargeBinary, nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True),
        UniqueConstraint("aggregate_id", "sequence", name="uq_event_log_aggregate_sequence"),
    )
    processed = Table(
        "processed_events",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )
    return OutboxTables(event_log, processed)


@functools.cache
def _last_sequences_statements(log_table: Table) -> tuple[Select[Any], Select[Any]]:
    """Built once per table (for one aggregate, the usual case, and for several): every unit of
    work with events runs one of them, only the parameters change."""
    query = select(log_table.c.aggregate_id, func.max(log_table.c.sequence)).group_by(log_table.c.aggregate_id)
    return (
        query.where(log_table.c.aggregate_id == bindparam("aggregate_id")),
        query.where(log_table.c.aggregate_id.in_(bindparam("aggregate_ids", expanding=True))),
    )


def _last_sequences(conn: Connection, log_table: Table, aggregate_ids: list[str]) -> dict[str, int]:
    """The highest sequence recorded so far per aggregate, for all of them in one statement."""
    one, several = _last_sequences_statements(log_table)
    if len(aggregate_ids) == 1:
        rows = conn.execute(one, {"aggregate_id": aggregate_ids[0]})
    else:
        rows = conn.execute(several, {"aggregate_ids": aggregate_ids})
    return {str(row[0]): int(row[1] or 0) for row in rows}


def record_events(
    conn: Connection,
    tables: OutboxTables,
    producer: str,
    events: Sequence[NewEvent],
    *,
    now: datetime | None = None,
) -> list[Message]:
    """Append events to the log inside the caller's transaction. Returns the envelopes written.

    Each event takes the next sequence of its aggregate (1, 2, ... in the order given); the unique
    (aggregate_id, sequence) constraint refuses a concurrent writer that picked the same one. One
    statement reads the last sequences of all the aggregates involved, one writes all the rows."""
    if not events:
        return []
    written: list[Message] = []
    occurred_at = now or datetime.now(UTC)
    trace_context = telemetry.current_trace_context()
    log_table = tables.event_log
    last = _last_sequences(conn, log_table, list(dict.fromkeys(ev.aggregate_id for ev in events)))
    rows: list[dict[str, object]] = []
    for ev in events:
        sequence = last.get(ev.aggregate_id, 0) + 1
        last[ev.aggregate_id] = sequence
        env = pack_envelope(
            event_id=str(uuid.uuid4()),
            aggregate_type=ev.aggregate_type,
            aggregate_id=ev.aggregate_id,
            sequence=sequence,
            occurred_at=occurred_at,
            producer=producer,
            trace_context=trace_context,
            payload=ev.payload,
        )
        rows.append(
            {
                "event_id": env.event_id,
                "event_type": env.event_type,
                "aggregate_type": ev.aggregate_type,
                "aggregate_id": ev.aggregate_id,
                "sequence": sequence,
                "occurred_at": occurred_at,
                "envelope": env.SerializeToString(),
                "published_at": None,
            }
        )
        written.append(env)
    # Rows in event order: positions (autoincrement) keep following the log order.
    conn.execute(insert(log_table), rows if len(rows) > 1 else rows[0])
    return written


def claim_event(conn: Connection, tables: OutboxTables, consumer: str, event_id: str) -> bool:
    """Record that `consumer` processed `event_id`, in the caller's transaction.

    Returns False when it was already processed: the caller must then skip its effects. Because the
    claim commits with the effects, a crash either keeps both or neither.
    """
    table = tables.processed_events
    values = {"consumer": consumer, "event_id": event_id, "processed_at": datetime.now(UTC)}
    stmt = (
        sqlite.insert(table).values(**values).on_conflict_do_nothing()
        if conn.dialect.name == "sqlite"
        else postgresql.insert(table).values(**values).on_conflict_do_nothing()
    )
    # RETURNING rather than rowcount: psycopg reports -1 for ON CONFLICT inserts.
    return conn.execute(stmt.returning(table.c.event_id)).first() is not None


@dataclass(frozen=True)
class LoggedEvent:
    position: int
    envelope: bytes
    aggregate_id: str
    event_type: str


def read_log(
    engine: Engine, tables: OutboxTables, from_position: int, limit: int, event_types: Sequence[str] = ()
) -> list[LoggedEvent]:
    """Events with position > from_position, oldest first (for replay and for the relay)."""
    t = tables.event_log
    stmt = select(t.c.position, t.c.envelope, t.c.aggregate_id, t.c.event_type).where(t.c.position > from_position)
    if event_types:
        stmt = stmt.where(t.c.event_type.in_(list(event_types)))
    stmt = stmt.order_by(t.c.position).limit(limit)
    with engine.connect() as conn:
        return [LoggedEvent(int(r[0]), bytes(r[1]), str(r[2]), str(r[3])) for r in conn.execute(stmt)]


def head_position(engine: Engine, tables: OutboxTables) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.max(tables.event_log.c.position))).scalar() or 0)


class Publisher(Protocol):
    def publish(self, topic: str, key: str, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        """Send one record and block until the broker acknowledged it (or raise)."""

    def flush(self) -> None: ...


class OutboxRelay:
    """Publishes the event log to Kafka in order and marks what was published.

    On PostgreSQL several replicas of a service may run a relay; an advisory lock makes exactly one
    of them active at a time, so per-aggregate order is never broken by two relays racing.
    """

    def __init__(
        self,
        engine: Engine,
        tables: OutboxTables,
        publisher: Publisher,
        topic: str,
        *,
        batch_size: int = 200,
        poll_interval_ms: int = 200,
    ) -> None:
        self.engine = engine
        self.tables = tables
        self.publisher = publisher
        self.topic = topic
        self.batch_size = batch_size
        self.poll_interval_ms = poll_interval_ms
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock_key = zlib.crc32(topic.encode()) & 0x7FFFFFFF

    def wake(self) -> None:
        """Called after a commit so new events leave without waiting for the next poll."""
        self._wake.set()

    def publish_pending(self) -> int:
        """Publish one batch of unpublished events; returns how many were published."""
        t = self.tables.event_log
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                got = conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": self._lock_key}).scalar()
                if not got:
                    return 0
            rows = conn.execute(
                select(t.c.position, t.c.aggregate_id, t.c.envelope)
                .where(t.c.published_at.is_(None))
                .order_by(t.c.position)
                .limit(self.batch_size)
            ).all()
            if not rows:
                return 0
            published: list[int] = []
            failure: Exception | None = None
            try:
                for position, aggregate_id, envelope in rows:
                    env = envelope_type().FromString(bytes(envelope))
                    headers = [(k, v.encode()) for k, v in env.trace_context.items()]
                    headers.append(("event_type", env.event_type.encode()))
                    with telemetry.kafka_produce_span(self.topic, env):
                        self.publisher.publish(self.topic, str(aggregate_id), bytes(envelope), headers)
                    published.append(int(position))
                self.publisher.flush()
            except Exception as exc:
                # Stop at the first failure: later events of the same aggregate must not overtake it.
                failure = exc
                try:
                    self.publisher.flush()
                except Exception:
                    published = []  # nothing is known to be acknowledged: resend all of it
            # Mark only what the broker acknowledged; the rest is retried in order next time.
            if published:
                conn.execute(update(t).where(t.c.position.in_(published)).values(published_at=datetime.now(UTC)))
        if failure is not None:
            raise failure
        return len(published)

    def drain(self) -> int:
        total = 0
        while (n := self.publish_pending()) > 0:
            total += n
        return total

    def run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                self.drain()
            except Exception:
                log.exception("outbox relay failed; retrying")
                self._stop.wait(1.0)
            self._wake.wait(self.poll_interval_ms / 1000)
            self._wake.clear()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name=f"relay-{self.topic}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
