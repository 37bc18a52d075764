"""Read-only queries on the trading database, each on a short connection of its own (no command's
transaction, no bus). Also the source the matching engines are rebuilt from."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine

from services.trading.adapters import repository as repo
from services.trading.domain.forwards import ForwardRecord
from services.trading.domain.listing import InstrumentRecord
from services.trading.domain.orders import JournalEntry
from services.trading.domain.records import CashRecord, OrderRecord, TenderRecord, TradeRecord


class SqlReadModel:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def list_instruments(self) -> list[InstrumentRecord]:
        with self.engine.connect() as conn:
            return repo.list_instruments(conn)

    def get_instrument(self, instrument_id: str) -> InstrumentRecord | None:
        with self.engine.connect() as conn:
            return repo.get_instrument(conn, instrument_id)

    def load_journal(self, instrument_id: str) -> list[JournalEntry]:
        with self.engine.connect() as conn:
            return repo.load_journal(conn, instrument_id)

    def exchange_trades_in_order(self, instrument_id: str) -> list[TradeRecord]:
        with self.engine.connect() as conn:
            return repo.exchange_trades_in_order(conn, instrument_id)

    def get_order(self, order_id: str) -> OrderRecord | None:
        with self.engine.connect() as conn:
            return repo.get_order(conn, order_id)

    def get_trade(self, trade_id: str) -> TradeRecord | None:
        with self.engine.connect() as conn:
            return repo.get_trade(conn, trade_id)

    def list_trades(self, instrument_id: str, limit: int) -> list[TradeRecord]:
        with self.engine.connect() as conn:
            return repo.list_trades(conn, instrument_id, limit)

    def cash(self, organization_id: str, currency: str) -> CashRecord:
        with self.engine.connect() as conn:
            return repo.get_cash(conn, organization_id, currency)

    def settled_quantity_of_batch(self, batch_id: str) -> int:
        with self.engine.connect() as conn:
            return repo.settled_quantity_of_batch(conn, batch_id)

    def get_tender(self, tender_id: str) -> TenderRecord | None:
        with self.engine.connect() as conn:
            return repo.get_tender(conn, tender_id)

    def list_tenders(self, instrument_id: str) -> list[TenderRecord]:
        with self.engine.connect() as conn:
            tenders = (repo.get_tender(conn, tender_id) for tender_id in repo.tender_ids(conn, instrument_id))
            return [tender for tender in tenders if tender is not None]

    def otc_prices(self, instrument_id: str) -> list[tuple[Decimal, int]]:
        with self.engine.connect() as conn:
            return repo.otc_prices(conn, instrument_id)

    def tender_volume_t(self, instrument_id: str) -> int:
        with self.engine.connect() as conn:
            return repo.tender_volume_t(conn, instrument_id)

    def get_forward(self, forward_id: str) -> ForwardRecord | None:
        with self.engine.connect() as conn:
            return repo.get_forward(conn, forward_id)

    def forwards_of_organization(self, organization_id: str) -> list[ForwardRecord]:
        with self.engine.connect() as conn:
            return repo.forwards_of_organization(conn, organization_id)

    def forwards_of_project(self, project_id: str) -> list[ForwardRecord]:
        with self.engine.connect() as conn:
            return repo.forwards_of_project(conn, project_id)

    def forward_volumes(self, currency: str, project_id: str | None) -> list[tuple[Decimal, int, int]]:
        with self.engine.connect() as conn:
            return repo.forward_volumes(conn, currency, project_id)
