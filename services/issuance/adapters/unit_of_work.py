"""The issuance unit of work: one transaction holding the repositories' writes, the outbox events
and the idempotency records (carbon_runtime.persistence.uow.UnitOfWork does the transaction)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from carbon_runtime.persistence.uow import UnitOfWork
from services.issuance.adapters import tables
from services.issuance.adapters.repository import SqlBatches, SqlProjects, SqlReferenceData, SqlReports, SqlReversals


class IssuanceUnitOfWork(UnitOfWork):
    reference: SqlReferenceData
    projects: SqlProjects
    reports: SqlReports
    batches: SqlBatches
    reversals: SqlReversals

    def __init__(self, engine: Engine, on_commit: Callable[[], None] | None = None) -> None:
        super().__init__(engine, tables.outbox, "issuance", on_commit, idempotency_table=tables.idempotency_keys)

    def _start(self) -> None:
        # One set per `with` block, on its connection (a saga's commit goes on on the same connection).
        self.reference = SqlReferenceData(self.conn, self.track)
        self.projects = SqlProjects(self.conn, self.track, self.reference)
        self.reports = SqlReports(self.conn, self.track)
        self.batches = SqlBatches(self.conn, self.track)
        self.reversals = SqlReversals(self.conn, self.track)
