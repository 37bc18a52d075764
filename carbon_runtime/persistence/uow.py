"""Unit of work: one database transaction holding a state change, its events (outbox) and its
idempotency record. Either all of it commits or none of it does.

`UnitOfWork` is the base of every service's SQL unit of work: a service subclass adds its
repositories (built on `self.conn` in `_start`). It implements what the message bus needs
(carbon_runtime.messaging.bus.UnitOfWork): events collected from tracked aggregates, outbox
messages, idempotency keys, and `commit()` for a saga step that must be durable before a remote call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Protocol, Self

from google.protobuf.message import Message
from sqlalchemy import Connection, Engine, Table
from sqlalchemy.exc import IntegrityError

from carbon_runtime.messaging.bus import IdempotencyRaceError
from carbon_runtime.messaging.message import NewEvent
from carbon_runtime.messaging.outbox import OutboxTables, record_events
from carbon_runtime.persistence import idempotency


class RaisesEvents(Protocol):
    """An aggregate: it appends the domain events it raises to `events`."""

    events: list[Any]


class UnitOfWork:
    def __init__(
        self,
        engine: Engine,
        outbox: OutboxTables,
        producer: str,
        on_commit: Callable[[], None] | None = None,
        *,
        idempotency_table: Table | None = None,
    ) -> None:
        self.engine = engine
        self.outbox = outbox
        self.producer = producer
        self.on_commit = on_commit
        self.idempotency_table = idempotency_table
        self.before_commit: Callable[[], None] | None = None
        self._events: list[NewEvent] = []
        self._seen: list[RaisesEvents] = []
        self._raised: list[object] = []
        self._conn: Connection | None = None
        self.envelopes: list[Message] = []

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        return self._conn

    def _start(self) -> None:
        """Hook for subclasses: build repositories on `self.conn`."""

    def __enter__(self) -> Self:
        self._seen = []
        self._raised = []
        self._events = []
        self.envelopes = []
        # The transaction begins lazily, at the first statement (SQLAlchemy's autobegin). On SQLite
        # that first statement takes the write lock (BEGIN IMMEDIATE), so a saga that commits and
        # then calls another service holds no lock while it waits.
        self._conn = self.engine.connect()
        self._start()
        return self

    # ---- events -------------------------------------------------------------------------------

    def track(self, aggregate: RaisesEvents) -> None:
        """Repositories call this for every aggregate they load or add, so its events are collected."""
        if not any(a is aggregate for a in self._seen):
            self._seen.append(aggregate)

    def emit(self, event: object) -> None:
        """A domain event raised by a handler rather than by an aggregate object."""
        self._raised.append(event)

    def collect_new_events(self) -> list[object]:
        collected = list(self._raised)
        self._raised.clear()
        for aggregate in self._seen:
            collected.extend(aggregate.events)
            aggregate.events.clear()
        return collected

    def record_messages(self, messages: Sequence[NewEvent]) -> None:
        self._events.extend(messages)

    def add_event(self, aggregate_type: str, aggregate_id: str, payload: Message) -> None:
        self._events.append(NewEvent(aggregate_type, aggregate_id, payload))

    # ---- idempotency --------------------------------------------------------------------------

    def _idempotency(self) -> Table:
        if self.idempotency_table is None:
            raise RuntimeError(f"{type(self).__name__} was built without an idempotency table")
        return self.idempotency_table

    def idempotent_lookup(self, scope: str, key: str) -> tuple[str, str, bytes] | None:
        return idempotency.find(self.conn, self._idempotency(), scope, key)

    def idempotent_store(self, scope: str, key: str, operation: str, request_hash: str, result: bytes) -> None:
        try:
            with self.conn.begin_nested():
                idempotency.store(self.conn, self._idempotency(), scope, key, operation, request_hash, result)
        except IntegrityError as exc:
            raise IdempotencyRaceError(key) from exc

    # ---- transaction --------------------------------------------------------------------------

    def _finish(self, exc: BaseException | None) -> bool:
        """Write the outbox and end the transaction; True when it committed with events."""
        conn = self.conn
        if exc is not None:
            conn.rollback()
            return False
        try:
            if self._events:
                self.envelopes.extend(record_events(conn, self.outbox, self.producer, self._events))
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        had_events = bool(self._events)
        self._events = []
        return had_events

    def commit(self) -> None:
        """Commit what is done so far (with its events) and go on in a new transaction. For sagas:
        the step must be durable before the remote call that follows, so a crash resumes from it."""
        if self.before_commit is not None:
            self.before_commit()
        if self._finish(None) and self.on_commit is not None:
            self.on_commit()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            woke = self._finish(exc)
        finally:
            self.conn.close()
            self._conn = None
        if woke and self.on_commit is not None:
            self.on_commit()
