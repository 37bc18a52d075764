"""The in-memory unit of work every service's unit tests build on (no database).

A service's fake subclasses it and adds in-memory repositories; it behaves like the SQL unit of work
the bus sees: events collected from tracked aggregates, outbox messages, idempotency keys, and a
commit that keeps what was done while an exception throws the transaction's work away."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Self

from carbon_runtime.messaging.message import NewEvent


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.before_commit: Callable[[], None] | None = None
        #: Outbox messages of committed transactions, in order.
        self.messages: list[NewEvent] = []
        #: Domain events of committed transactions, in order (what unit tests usually assert on).
        self.events: list[object] = []
        self.commits = 0
        self.idempotency: dict[tuple[str, str], tuple[str, str, bytes]] = {}
        self._pending_messages: list[NewEvent] = []
        self._seen: list[Any] = []
        self._raised: list[object] = []
        self._collected: list[object] = []
        self._snapshot: dict[str, Any] | None = None

    # State kept between transactions: subclasses name their stores here so a rollback restores them.
    state_attributes: tuple[str, ...] = ()

    def __enter__(self) -> Self:
        self._begin()
        return self

    def _begin(self) -> None:
        self._pending_messages = []
        self._seen = []
        self._raised = []
        self._collected = []
        self._snapshot = {name: copy.deepcopy(getattr(self, name)) for name in (*self.state_attributes, "idempotency")}

    def track(self, aggregate: Any) -> None:
        if not any(a is aggregate for a in self._seen):
            self._seen.append(aggregate)

    def emit(self, event: object) -> None:
        self._raised.append(event)

    def collect_new_events(self) -> list[object]:
        collected = list(self._raised)
        self._raised.clear()
        for aggregate in self._seen:
            collected.extend(aggregate.events)
            aggregate.events.clear()
        self._collected.extend(collected)
        return collected

    def record_messages(self, messages: Sequence[NewEvent]) -> None:
        self._pending_messages.extend(messages)

    def idempotent_lookup(self, scope: str, key: str) -> tuple[str, str, bytes] | None:
        return self.idempotency.get((scope, key))

    def idempotent_store(self, scope: str, key: str, operation: str, request_hash: str, result: bytes) -> None:
        self.idempotency[(scope, key)] = (operation, request_hash, result)

    def _commit_now(self) -> None:
        # Events raised but never collected (no bus) still count as committed for the tests.
        self.collect_new_events()
        self.events.extend(self._collected)
        self.messages.extend(self._pending_messages)
        self.commits += 1

    def commit(self) -> None:
        if self.before_commit is not None:
            self.before_commit()
        self._commit_now()
        self._begin()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            self._commit_now()
        elif self._snapshot is not None:
            for name, value in self._snapshot.items():
                setattr(self, name, value)
        self._snapshot = None
