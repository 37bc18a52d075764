"""What the reporting use cases need from the outside world, as interfaces.

- `Projection`: the write side of the read models (facts keyed by natural ids, written once; the two
  rows two events fill in are written column-disjoint, so they commute) and the consumer's claims.
- `Facts`: the read side, joined into the domain's facts at query time.
- `UnitOfWork`: one transaction holding both, plus what the message bus needs (events, outbox).
- `ReadModel`: read-only access for queries that never write (no bus, no transaction to commit).
- The peers reconciliation compares against, and the producers' event-log heads for the lag.

SQL implementations live in adapters/; tests/support/fake_reporting_uow.py keeps them in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from carbon_runtime.messaging.bus import UnitOfWork as BusUnitOfWork
from carbon_runtime.vocabulary import UnitStatus
from services.reporting.domain import events
from services.reporting.domain.facts import (
    BatchRecord,
    CancellationFacts,
    NdcUseFacts,
    OrganizationFacts,
    RetirementFacts,
    TradeFacts,
    TransferFacts,
)
from services.reporting.domain.permanence import BufferCancellationFacts, ReversalFacts

# --- rows the projection writes where one event becomes several facts ---------------------------------


@dataclass(frozen=True, slots=True)
class TransferRecord:
    """One batch moved between accounts (a transfer, or one batch of a settlement)."""

    transfer_id: str
    kind: str  # "TRANSFER" | "SETTLEMENT"
    batch_id: str
    from_account_id: str
    from_organization_id: str
    to_account_id: str
    to_organization_id: str
    quantity_t: int
    serial_ranges: tuple[str, ...]
    itmo_first_transfer: bool
    issuer_onset: bool
    onset_fiscal_year: int
    trade_id: str
    transferred_at: datetime


@dataclass(frozen=True, slots=True)
class BufferCancellationRecord:
    """One batch's share of a buffer cancellation."""

    cancellation_id: str
    batch_id: str
    buffer_account_id: str
    quantity_t: int
    serial_ranges: tuple[str, ...]
    reversal_id: str
    reason: str
    cancelled_at: datetime


@dataclass(frozen=True, slots=True)
class SourceProgress:
    """How much of one producer's log the read models hold."""

    source: str
    #: Distinct events applied from that producer (projected or not).
    applied_events: int
    #: The last log position a replay applied (0 when only Kafka delivered).
    replayed_position: int
    last_occurred_at: datetime | None


class Projection(Protocol):
    def claim(self, event_id: str) -> bool:
        """Record that this consumer applied the event; False when it already had (a redelivery)."""
        ...

    def record_progress(self, source: str, event_id: str, occurred_at: datetime, position: int | None) -> None:
        """Count one more applied event of `source`; "last occurred" and the replayed position only move forward."""
        ...

    def advance_replayed_position(self, source: str, position: int) -> None: ...

    def add_organization(self, ev: events.OrganizationCreated) -> None: ...
    def add_account(self, ev: events.AccountOpened) -> None: ...
    def add_minted_batch(self, ev: events.BatchMinted) -> None: ...
    def add_issued_batch(self, ev: events.CreditsIssued) -> None: ...
    def add_transfer(self, record: TransferRecord) -> None: ...
    def add_retirement(self, ev: events.CreditsRetired) -> None: ...
    def add_cancellation(self, ev: events.CreditsCancelled) -> None: ...
    def add_ndc_use(self, ev: events.CreditsUsedForNdc) -> None: ...
    def add_buffer_cancellation(self, record: BufferCancellationRecord) -> None: ...
    def add_reversal(self, ev: events.ReversalReported) -> None: ...
    def add_instrument(self, ev: events.InstrumentCreated) -> None: ...

    def record_project_created(self, ev: events.ProjectCreated) -> None:
        """Name, country, proponent and crediting period start of the project row (upsert)."""
        ...

    def record_project_registered(self, ev: events.ProjectRegistered) -> None:
        """The registration date of the project row (upsert, disjoint from ProjectCreated's columns)."""
        ...

    def record_trade_executed(self, ev: events.TradeExecuted) -> None:
        """Price, quantity and parties of the trade row (upsert)."""
        ...

    def record_trade_settled(self, ev: events.TradeSettled) -> None:
        """Settlement columns of the trade row (upsert) and its delivered batches (once each)."""
        ...

    def clear(self) -> None:
        """Empty every read model and forget this consumer's claims."""
        ...


class Facts(Protocol):
    def batches(self, batch_ids: Sequence[str] | None = None) -> dict[str, BatchRecord]:
        """Every batch known to issuance or the registry (or those of `batch_ids`), by batch id."""
        ...

    def retirements(self, organization_id: str | None = None) -> list[RetirementFacts]: ...
    def cancellations(self) -> list[CancellationFacts]: ...
    def ndc_uses(self) -> list[NdcUseFacts]: ...
    def transfers(self, from_organization_id: str | None = None) -> list[TransferFacts]: ...

    def trades(self) -> list[TradeFacts]:
        """One fact per trade and delivered batch; trades whose execution has not arrived are left out."""
        ...

    def organizations(self) -> dict[str, OrganizationFacts]: ...
    def reversals(self) -> list[ReversalFacts]: ...
    def buffer_cancellations(self) -> list[BufferCancellationFacts]: ...

    def out_of_circulation_by_batch(self) -> dict[str, int]:
        """Retired + cancelled + NDC-used + buffer-cancelled tonnes per batch."""
        ...

    def source_progress(self) -> dict[str, SourceProgress]: ...


class UnitOfWork(BusUnitOfWork, Protocol):
    @property
    def projection(self) -> Projection:
        """The read models' write side, in this transaction."""
        ...

    @property
    def facts(self) -> Facts:
        """The read models' read side, in this transaction (what this transaction wrote included)."""
        ...

    def emit(self, event: object) -> None:
        """Raise a domain event (mapped to an outbox message by service/messages.py)."""
        ...


class ReadModel(Protocol):
    """Read-only access for queries: a consistent view of the facts, never a write."""

    def read(self) -> AbstractContextManager[Facts]: ...


class IssuedTotals(Protocol):
    def issued_totals(self, batch_ids: Sequence[str]) -> dict[str, int]:
        """Whole tonnes issued per batch (buffer included), from the issuance service."""
        ...


class RegistryTotals(Protocol):
    def batch_totals(self, batch_ids: Sequence[str]) -> dict[str, dict[UnitStatus, int]]:
        """Units per batch and status, from the registry."""
        ...


class EventLogHead(Protocol):
    def head(self) -> int:
        """Position of the latest event the producer recorded."""
        ...
