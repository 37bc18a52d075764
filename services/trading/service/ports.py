"""What the exchange needs from the outside world, as interfaces: its storage (a unit of work with
one repository per table group), the read model for queries, and the registry.

The registry owns the credits: the exchange locks a seller's deliverable units when a sell order is
accepted, and asks the registry to deliver them (Settle) when a trade settles. Over gRPC in
production (`adapters.registry_client`), an in-memory fake in tests (tests/support/fake_registry.py).
SQL in production (`adapters.unit_of_work`, `adapters.read_model`), in memory in unit tests
(tests/support/fake_trading_uow.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from carbon_runtime.messaging.bus import UnitOfWork as BusUnitOfWork
from services.trading.domain.forwards import ForwardRecord
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


@dataclass(frozen=True, slots=True)
class DeliveryCriteria:
    """Which units may be locked for delivery; empty / None fields do not restrict."""

    program_ids: tuple[str, ...] = ()
    credit_types: tuple[str, ...] = ()  # REDUCTION / REMOVAL
    categories: tuple[str, ...] = ()  # the contract's CreditCategory names
    vintage_from: date | None = None
    vintage_to: date | None = None
    corresponding_adjustment_required: bool = False
    batch_id: str | None = None


@dataclass(frozen=True, slots=True)
class AccountInfo:
    account_id: str
    organization_id: str
    kind: str  # HOLDING, BUFFER, ...
    balance_t: int
    locked_t: int


@dataclass(frozen=True, slots=True)
class Delivery:
    batch_id: str
    quantity_t: int


@dataclass(frozen=True, slots=True)
class SettlementReceipt:
    settlement_id: str
    deliveries: tuple[Delivery, ...]


class RegistryPort(Protocol):
    """Every call may raise DomainError (UNAVAILABLE when the registry is down: retry with the same
    idempotency key). `token` is the bearer token the call is made with: the trader's own token for
    Lock/GetAccount/Transfer, a service token for Settle/Unlock made by the exchange itself."""

    def get_account(self, account_id: str, token: str | None) -> AccountInfo: ...

    def lock(
        self,
        *,
        account_id: str,
        quantity_t: int,
        lock_id: str,
        criteria: DeliveryCriteria,
        idempotency_key: str,
        token: str | None,
    ) -> None: ...

    def unlock(self, *, lock_id: str, quantity_t: int | None, idempotency_key: str, token: str | None) -> int:
        """Release locked units; returns the tonnes still locked under the lock."""
        ...

    def settle(
        self,
        *,
        lock_id: str,
        quantity_t: int,
        to_account_id: str,
        trade_id: str,
        idempotency_key: str,
        token: str | None,
    ) -> SettlementReceipt: ...

    def transfer(
        self,
        *,
        from_account_id: str,
        to_account_id: str,
        batch_id: str,
        quantity_t: int,
        idempotency_key: str,
        token: str | None,
    ) -> str:
        """Move held units; returns the registry's transfer id."""
        ...


# --- storage -------------------------------------------------------------------------------------


class InstrumentRepository(Protocol):
    def add(self, record: InstrumentRecord, created_by: str) -> None: ...

    def get(self, instrument_id: str) -> InstrumentRecord | None: ...

    def list(self) -> list[InstrumentRecord]: ...


class JournalRepository(Protocol):
    """Every command an instrument's engine handled, in order: replaying it rebuilds the engine."""

    def append(self, instrument_id: str, seq: int, entry: JournalEntry) -> None: ...

    def load(self, instrument_id: str) -> list[JournalEntry]: ...


class CashRepository(Protocol):
    def get(self, organization_id: str, currency: str, *, for_update: bool = False) -> CashRecord: ...

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
        """Apply deltas to one cash account (created at zero) and journal the movement. Callers
        check sufficiency first; a negative result is a bug, so it raises rather than storing it."""
        ...


class OrderRepository(Protocol):
    def add(self, order: OrderRecord, created_by: str) -> None: ...

    def get(self, order_id: str, *, for_update: bool = False) -> OrderRecord | None: ...

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
    ) -> None: ...


class TradeRepository(Protocol):
    def add(self, trade: TradeRecord) -> None: ...

    def get(self, trade_id: str, *, for_update: bool = False) -> TradeRecord | None: ...

    def ids_of_order(self, order_id: str) -> list[str]: ...

    def exchange_trades_in_order(self, instrument_id: str) -> list[TradeRecord]: ...

    def pending_ids(self, limit: int = 100) -> list[str]: ...

    def mark_settled(
        self, trade_id: str, settlement_id: str, deliveries: Sequence[tuple[str, int]], at: datetime
    ) -> None: ...

    def record_attempt(self, trade_id: str, outcome: str, detail: str, at: datetime) -> None: ...


class UnlockRepository(Protocol):
    """Registry unlocks the exchange owes; kept until the registry confirms them."""

    def add(self, lock_id: str, quantity_t: int, at: datetime) -> str: ...

    def pending(self, limit: int = 100) -> list[UnlockRecord]: ...

    def finish(self, unlock_id: str, error: str | None, at: datetime) -> None: ...


class TenderRepository(Protocol):
    def add(self, tender: TenderRecord, created_at: datetime) -> None: ...

    def get(self, tender_id: str, *, for_update: bool = False) -> TenderRecord | None: ...

    def add_bid(self, tender_id: str, bid: BidRecord) -> None: ...

    def award_bid(self, bid_id: str, awarded_quantity_t: int, locked_cash: Decimal) -> None: ...

    def close(self, tender_id: str, result: TenderResultRecord) -> None: ...


class OtcReportRepository(Protocol):
    def add(self, report: OtcReportRecord) -> None: ...


class ForwardRepository(Protocol):
    """Forward contracts with their deliveries, the proponents of the projects issuance announced,
    and the consumed events already applied (claims)."""

    def add(self, forward: ForwardRecord) -> None: ...

    def get(self, forward_id: str, *, for_update: bool = False) -> ForwardRecord | None:
        """The contract with its deliveries in creation order; `for_update` row-locks it."""
        ...

    def save(self, forward: ForwardRecord) -> None:
        """Write the contract's state and its deliveries (new ones inserted, known ones updated)."""
        ...

    def active_on_project(self, project_id: str) -> list[ForwardRecord]:
        """ACTIVE contracts on the project, in acceptance order, row-locked (a batch fills them in order)."""
        ...

    def next_accepted_seq(self) -> int: ...

    def with_pending_deliveries(self, limit: int = 100) -> list[str]:
        """Ids of contracts with a delivery the registry has not confirmed yet."""
        ...

    def active_due(self, today: date) -> list[str]:
        """Ids of ACTIVE contracts whose deadline is before `today`."""
        ...

    def claim(self, key: str, at: datetime) -> bool:
        """Record a consumed event (or batch) as applied; False when it had been already."""
        ...

    def record_project(self, project_id: str, proponent_organization_id: str) -> None: ...

    def proponent_of(self, project_id: str) -> str | None: ...


class UnitOfWork(BusUnitOfWork, Protocol):
    """One transaction of the trading database, as the handlers see it."""

    @property
    def instruments(self) -> InstrumentRepository: ...

    @property
    def journal(self) -> JournalRepository: ...

    @property
    def cash(self) -> CashRepository: ...

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def trades(self) -> TradeRepository: ...

    @property
    def unlocks(self) -> UnlockRepository: ...

    @property
    def tenders(self) -> TenderRepository: ...

    @property
    def otc_reports(self) -> OtcReportRepository: ...

    @property
    def forwards(self) -> ForwardRepository: ...

    def emit(self, event: object) -> None:
        """Record a published event (service/messages.py maps it to the outbox)."""
        ...

    def commit(self) -> None:
        """Make what is done so far durable, with its events, and go on in a new transaction (a saga
        step before a remote call, or a matching step before the instrument's lock is released)."""
        ...

    def savepoint(self) -> AbstractContextManager[None]:
        """A nested transaction: on an exception inside it, its writes and events are undone and
        the exception goes on, while the work before it stays (e.g. a refused order's audit event)."""
        ...


class MarketSource(Protocol):
    """What rebuilding an instrument's engine reads, outside any command's transaction (start-up, an
    instrument created by another command, recovery after a failed command)."""

    def list_instruments(self) -> list[InstrumentRecord]: ...

    def get_instrument(self, instrument_id: str) -> InstrumentRecord | None: ...

    def load_journal(self, instrument_id: str) -> list[JournalEntry]: ...

    def exchange_trades_in_order(self, instrument_id: str) -> list[TradeRecord]: ...


class ReadModel(MarketSource, Protocol):
    """Read-only queries (no bus, no transaction of a command)."""

    def get_order(self, order_id: str) -> OrderRecord | None: ...

    def get_trade(self, trade_id: str) -> TradeRecord | None: ...

    def list_trades(self, instrument_id: str, limit: int) -> list[TradeRecord]: ...

    def cash(self, organization_id: str, currency: str) -> CashRecord: ...

    def settled_quantity_of_batch(self, batch_id: str) -> int: ...

    def get_tender(self, tender_id: str) -> TenderRecord | None: ...

    def list_tenders(self, instrument_id: str) -> list[TenderRecord]: ...

    def otc_prices(self, instrument_id: str) -> list[tuple[Decimal, int]]:
        """(price, tonnes) of every reported OTC trade of the instrument."""
        ...

    def tender_volume_t(self, instrument_id: str) -> int: ...

    def get_forward(self, forward_id: str) -> ForwardRecord | None: ...

    def forwards_of_organization(self, organization_id: str) -> list[ForwardRecord]:
        """Contracts the organization sells or buys, newest first."""
        ...

    def forwards_of_project(self, project_id: str) -> list[ForwardRecord]: ...

    def forward_volumes(self, currency: str, project_id: str | None) -> list[tuple[Decimal, int, int]]:
        """(price per tonne, contracted tonnes, delivered tonnes) of accepted, not cancelled contracts."""
        ...
