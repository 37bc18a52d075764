"""The trading unit of work: one SQL transaction holding the repositories, the outbox and the
idempotency keys (carbon_runtime.persistence.uow.UnitOfWork does the common part)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from carbon_runtime.persistence.uow import UnitOfWork
from services.trading.adapters import repository as repo


class SqlUnitOfWork(UnitOfWork):
    instruments: repo.InstrumentRepository
    journal: repo.JournalRepository
    cash: repo.CashRepository
    orders: repo.OrderRepository
    trades: repo.TradeRepository
    unlocks: repo.UnlockRepository
    tenders: repo.TenderRepository
    otc_reports: repo.OtcReportRepository
    forwards: repo.ForwardRepository

    def _start(self) -> None:
        conn = self.conn
        self.instruments = repo.InstrumentRepository(conn)
        self.journal = repo.JournalRepository(conn)
        self.cash = repo.CashRepository(conn)
        self.orders = repo.OrderRepository(conn)
        self.trades = repo.TradeRepository(conn)
        self.unlocks = repo.UnlockRepository(conn)
        self.tenders = repo.TenderRepository(conn)
        self.otc_reports = repo.OtcReportRepository(conn)
        self.forwards = repo.ForwardRepository(conn)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        # Events raised inside the savepoint belong to the writes it may undo: drop them together.
        raised_before = len(self._raised)
        try:
            with self.conn.begin_nested():
                yield
        except BaseException:
            del self._raised[raised_before:]
            raise
