"""Unit of work: one database transaction holding a state change, its events (outbox) and its
idempotency record. Either all of it commits or none of it does."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from google.protobuf.message import Message
from sqlalchemy import Connection, Engine

from carbon_runtime.outbox import NewEvent, OutboxTables, record_events


class UnitOfWork:
    def __init__(
        self,
        engine: Engine,
        outbox: OutboxTables,
        producer: str,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.outbox = outbox
        self.producer = producer
        self.on_commit = on_commit
        self._events: list[NewEvent] = []
        self._ctx: Any = None
        self.envelopes: list[Message] = []

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        return self._conn

    def __enter__(self) -> UnitOfWork:
        self._ctx = self.engine.begin()
        self._conn: Connection | None = self._ctx.__enter__()
        self._events = []
        return self

    def add_event(self, aggregate_type: str, aggregate_id: str, payload: Message) -> None:
        self._events.append(NewEvent(aggregate_type, aggregate_id, payload))

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc is None and self._events:
                self.envelopes = record_events(self.conn, self.outbox, self.producer, self._events)
        except BaseException as inner:
            self._ctx.__exit__(type(inner), inner, inner.__traceback__)
            self._conn = None
            raise
        self._ctx.__exit__(exc_type, exc, tb)
        self._conn = None
        if exc is None and self._events and self.on_commit is not None:
            self.on_commit()
