"""The registry's SQL unit of work: one transaction holding the ledger change, its journal entry,
its outbox events and its idempotency key, with the repositories the handlers see."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from carbon_runtime.messaging.bus import IdempotencyRaceError
from carbon_runtime.persistence import idempotency
from carbon_runtime.persistence.uow import UnitOfWork
from services.registry.adapters import tables as t
from services.registry.adapters.repository import SqlAccounts, SqlBatches, SqlImports, SqlJournal, SqlRecords


class RegistryUnitOfWork(UnitOfWork):
    accounts: SqlAccounts
    batches: SqlBatches
    journal: SqlJournal
    records: SqlRecords
    imports: SqlImports

    def __init__(self, engine: Engine, producer: str = "registry", on_commit: Callable[[], None] | None = None) -> None:
        super().__init__(engine, t.outbox, producer, on_commit, idempotency_table=t.idempotency_keys)

    def _start(self) -> None:
        conn = self.conn
        self.accounts = SqlAccounts(conn)
        self.batches = SqlBatches(conn)
        self.journal = SqlJournal(conn)
        self.records = SqlRecords(conn)
        self.imports = SqlImports(conn)

    def idempotent_store(self, scope: str, key: str, operation: str, request_hash: str, result: bytes) -> None:
        # No savepoint around the insert (two round trips on every keyed transfer): a duplicate key
        # means a concurrent request won, and the bus then rolls this whole transaction back and
        # runs the command again, which replays the winner's result.
        try:
            idempotency.store(self.conn, t.idempotency_keys, scope, key, operation, request_hash, result)
        except IntegrityError as exc:
            raise IdempotencyRaceError(key) from exc


def unit_of_work_factory(
    engine: Engine, producer: str = "registry", on_commit: Callable[[], None] | None = None
) -> Callable[[], RegistryUnitOfWork]:
    return lambda: RegistryUnitOfWork(engine, producer, on_commit)
