"""The reporting unit of work: one transaction holding the read-model writes, the consumer's claims,
the reports' audit events (outbox) and idempotency records."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from carbon_runtime.persistence.uow import UnitOfWork
from services.reporting.adapters import tables
from services.reporting.adapters.read_model import SqlFacts
from services.reporting.adapters.repository import SqlProjection


class ReportingUnitOfWork(UnitOfWork):
    projection: SqlProjection
    facts: SqlFacts

    def __init__(self, engine: Engine, on_commit: Callable[[], None] | None = None) -> None:
        super().__init__(engine, tables.outbox, "reporting", on_commit, idempotency_table=tables.idempotency_keys)

    def _start(self) -> None:
        self.projection = SqlProjection(self.conn)
        self.facts = SqlFacts(self.conn)
