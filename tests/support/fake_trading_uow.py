"""The trading unit of work in memory, for unit tests of the handlers (no database).

Every store lives in one `TradingStore`, which `FakeUnitOfWork` snapshots at the start of each
transaction and restores when it fails; `savepoint()` does the same for a nested block. The fake
repositories implement services.trading.service.ports and read the store through the unit of work, so
a rollback is seen by all of them."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from services.trading.domain.forwards import DeliveryState, ForwardRecord, ForwardStatus
from services.trading.domain.listing import InstrumentRecord
from services.trading.domain.orders import JournalEntry
from services.trading.domain.records import (
    BidRecord,
    CashRecord,
    OrderRecord,
    OtcReportRecord,
    TenderRecord,
    TenderResultRecord,
    TradeRecord,
    UnlockRecord,
)
from tests.support.fake_uow import FakeUnitOfWork


@dataclass
class TradingStore:
    instruments: dict[str, InstrumentRecord] = field(default_factory=dict)
    journal: dict[str, list[JournalEntry]] = field(default_factory=dict)
    cash: dict[tuple[str, str], CashRecord] = field(default_factory=dict)
    cash_movements: list[tuple[str, str, str, Decimal, str]] = field(default_factory=list)
    orders: dict[str, OrderRecord] = field(default_factory=dict)
    trades: dict[str, TradeRecord] = field(default_factory=dict)  # in insertion (= execution) order
    attempts: list[tuple[str, str, str]] = field(default_factory=list)  # (trade id, outcome, detail)
    unlocks: dict[str, tuple[UnlockRecord, str, str | None]] = field(default_factory=dict)  # state, error
    tenders: dict[str, TenderRecord] = field(default_factory=dict)
    awarded: dict[str, int] = field(default_factory=dict)  # bid id -> tonnes awarded
    otc_reports: list[OtcReportRecord] = field(default_factory=list)
    forwards: dict[str, ForwardRecord] = field(default_factory=dict)
    projects: dict[str, str] = field(default_factory=dict)  # project id -> proponent organization
    claims: set[str] = field(default_factory=set)


class _Repository:
    def __init__(self, uow: FakeTradingUnitOfWork) -> None:
        self.uow = uow

    @property
    def store(self) -> TradingStore:
        return self.uow.store


class FakeInstruments(_Repository):
    def add(self, record: InstrumentRecord, created_by: str) -> None:
        self.store.instruments[record.instrument.id] = record

    def get(self, instrument_id: str) -> InstrumentRecord | None:
        return self.store.instruments.get(instrument_id)

    def list(self) -> list[InstrumentRecord]:
        return list(self.store.instruments.values())


class FakeJournal(_Repository):
    def append(self, instrument_id: str, seq: int, entry: JournalEntry) -> None:
        entries = self.store.journal.setdefault(instrument_id, [])
        assert seq == len(entries) + 1, "journal sequence out of order"
        entries.append(entry)

    def load(self, instrument_id: str) -> list[JournalEntry]:
        return list(self.store.journal.get(instrument_id, []))


class FakeCash(_Repository):
    def get(self, organization_id: str, currency: str, *, for_update: bool = False) -> CashRecord:
        zero = CashRecord(organization_id, currency, Decimal(0), Decimal(0))
        return self.store.cash.get((organization_id, currency), zero)

    def adjust(
        self,
        organization_id: str,
        currency: str,
        *,
        available_delta: Decimal,
        locked_delta: Decimal,
        kind: str,
        reference_id: str,
        at: datetime,
    ) -> CashRecord:
        current = self.get(organization_id, currency)
        updated = CashRecord(
            organization_id, currency, current.available + available_delta, current.locked + locked_delta
        )
        if updated.available < 0 or updated.locked < 0:
            raise AssertionError(f"cash of {organization_id} would go negative: {updated}")
        self.store.cash[(organization_id, currency)] = updated
        for amount, suffix in ((available_delta, "available"), (locked_delta, "locked")):
            if amount:
                self.store.cash_movements.append((organization_id, currency, f"{kind}:{suffix}", amount, reference_id))
        return updated


class FakeOrders(_Repository):
    def add(self, order: OrderRecord, created_by: str) -> None:
        self.store.orders[order.order_id] = order

    def get(self, order_id: str, *, for_update: bool = False) -> OrderRecord | None:
        return self.store.orders.get(order_id)

    def update(
        self,
        order_id: str,
        at: datetime,
        *,
        price: Decimal | None = None,
        quantity_t: int | None = None,
        filled_quantity_t: int | None = None,
        status: str | None = None,
        locked_cash: Decimal | None = None,
    ) -> None:
        o = self.store.orders[order_id]
        self.store.orders[order_id] = replace(
            o,
            price=o.price if price is None else price,
            quantity_t=o.quantity_t if quantity_t is None else quantity_t,
            filled_quantity_t=o.filled_quantity_t if filled_quantity_t is None else filled_quantity_t,
            status=o.status if status is None else status,
            locked_cash=o.locked_cash if locked_cash is None else locked_cash,
        )


class FakeTrades(_Repository):
    def add(self, trade: TradeRecord) -> None:
        self.store.trades[trade.trade_id] = trade

    def get(self, trade_id: str, *, for_update: bool = False) -> TradeRecord | None:
        return self.store.trades.get(trade_id)

    def ids_of_order(self, order_id: str) -> list[str]:
        return [t.trade_id for t in self.store.trades.values() if order_id in (t.buy_order_id, t.sell_order_id)]

    def exchange_trades_in_order(self, instrument_id: str) -> list[TradeRecord]:
        trades = [t for t in self.store.trades.values() if t.instrument_id == instrument_id and t.source == "EXCHANGE"]
        return sorted(trades, key=lambda t: t.engine_seq or 0)

    def pending_ids(self, limit: int = 100) -> list[str]:
        return [t.trade_id for t in self.store.trades.values() if t.settlement_state == "PENDING"][:limit]

    def mark_settled(
        self, trade_id: str, settlement_id: str, deliveries: Sequence[tuple[str, int]], at: datetime
    ) -> None:
        t = self.store.trades[trade_id]
        self.store.trades[trade_id] = replace(
            t,
            settlement_state="SETTLED",
            settlement_id=settlement_id,
            delivered_batch_id=deliveries[0][0] if deliveries else None,
            deliveries=tuple(deliveries),
            settled_at=at,
        )

    def record_attempt(self, trade_id: str, outcome: str, detail: str, at: datetime) -> None:
        self.store.attempts.append((trade_id, outcome, detail))


class FakeUnlocks(_Repository):
    def add(self, lock_id: str, quantity_t: int, at: datetime) -> str:
        unlock_id = str(uuid.uuid4())
        self.store.unlocks[unlock_id] = (UnlockRecord(unlock_id, lock_id, quantity_t), "PENDING", None)
        return unlock_id

    def pending(self, limit: int = 100) -> list[UnlockRecord]:
        return [u for u, state, _ in self.store.unlocks.values() if state == "PENDING"][:limit]

    def finish(self, unlock_id: str, error: str | None, at: datetime) -> None:
        record, _, _ = self.store.unlocks[unlock_id]
        self.store.unlocks[unlock_id] = (record, "PENDING" if error else "DONE", error)


class FakeTenders(_Repository):
    def add(self, tender: TenderRecord, created_at: datetime) -> None:
        self.store.tenders[tender.tender_id] = tender

    def get(self, tender_id: str, *, for_update: bool = False) -> TenderRecord | None:
        return self.store.tenders.get(tender_id)

    def add_bid(self, tender_id: str, bid: BidRecord) -> None:
        t = self.store.tenders[tender_id]
        self.store.tenders[tender_id] = replace(t, bids=(*t.bids, bid))

    def award_bid(self, bid_id: str, awarded_quantity_t: int, locked_cash: Decimal) -> None:
        self.store.awarded[bid_id] = awarded_quantity_t
        for tender_id, t in self.store.tenders.items():
            if any(b.bid_id == bid_id for b in t.bids):
                bids = tuple(replace(b, locked_cash=locked_cash) if b.bid_id == bid_id else b for b in t.bids)
                self.store.tenders[tender_id] = replace(t, bids=bids)

    def close(self, tender_id: str, result: TenderResultRecord) -> None:
        self.store.tenders[tender_id] = replace(self.store.tenders[tender_id], status="CLOSED", result=result)


class FakeOtcReports(_Repository):
    def add(self, report: OtcReportRecord) -> None:
        self.store.otc_reports.append(report)


class FakeForwards(_Repository):
    def add(self, forward: ForwardRecord) -> None:
        self.store.forwards[forward.forward_id] = forward

    def get(self, forward_id: str, *, for_update: bool = False) -> ForwardRecord | None:
        return self.store.forwards.get(forward_id)

    def save(self, forward: ForwardRecord) -> None:
        assert forward.forward_id in self.store.forwards, "save of an unknown contract"
        self.store.forwards[forward.forward_id] = forward

    def _in_fill_order(self, forwards: list[ForwardRecord]) -> list[ForwardRecord]:
        return sorted(forwards, key=lambda f: (f.accepted_seq or 0, f.offered_at, f.forward_id))

    def active_on_project(self, project_id: str) -> list[ForwardRecord]:
        return self._in_fill_order(
            [f for f in self.store.forwards.values() if f.project_id == project_id and f.status is ForwardStatus.ACTIVE]
        )

    def next_accepted_seq(self) -> int:
        return max((f.accepted_seq or 0 for f in self.store.forwards.values()), default=0) + 1

    def with_pending_deliveries(self, limit: int = 100) -> list[str]:
        pending = [
            f.forward_id
            for f in self.store.forwards.values()
            if any(d.state is DeliveryState.PENDING for d in f.deliveries)
        ]
        return sorted(pending)[:limit]

    def active_due(self, today: date) -> list[str]:
        return sorted(
            f.forward_id
            for f in self.store.forwards.values()
            if f.status is ForwardStatus.ACTIVE and f.delivery_deadline < today
        )

    def claim(self, key: str, at: datetime) -> bool:
        if key in self.store.claims:
            return False
        self.store.claims.add(key)
        return True

    def record_project(self, project_id: str, proponent_organization_id: str) -> None:
        self.store.projects.setdefault(project_id, proponent_organization_id)

    def proponent_of(self, project_id: str) -> str | None:
        return self.store.projects.get(project_id)


class FakeTradingUnitOfWork(FakeUnitOfWork):
    state_attributes = ("store",)

    def __init__(self) -> None:
        super().__init__()
        self.store = TradingStore()
        self.instruments = FakeInstruments(self)
        self.journal = FakeJournal(self)
        self.cash = FakeCash(self)
        self.orders = FakeOrders(self)
        self.trades = FakeTrades(self)
        self.unlocks = FakeUnlocks(self)
        self.tenders = FakeTenders(self)
        self.otc_reports = FakeOtcReports(self)
        self.forwards = FakeForwards(self)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        store = copy.deepcopy(self.store)
        raised_before = len(self._raised)
        try:
            yield
        except BaseException:
            self.store = store
            del self._raised[raised_before:]
            raise
