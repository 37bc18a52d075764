"""What the registry's handlers need of the world: a unit of work holding the repositories, and the
shapes the repositories return. The SQL implementations live in adapters/; the unit tests use
in-memory fakes (tests/support/fake_registry_uow.py).

Lock order (PostgreSQL row locks; SQLite serializes writers with BEGIN IMMEDIATE), the same in every
handler so that two transactions never wait for each other in a cycle: accounts (sorted by id),
then batches (sorted by id), then the journal head. Repository methods named `lock...` take those
row locks; handlers call them in that order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from carbon_runtime.messaging.bus import UnitOfWork as BusUnitOfWork
from services.registry.domain.blocks import OperationResult, UnitBlock
from services.registry.domain.commands import DeliveryCriteria, ImportBatch, ImportBlockEvent, MintBatch, OriginUnits
from services.registry.domain.journal import JournalEntry
from services.registry.domain.models import Account, AccountKind, AccountStatus, Batch, Organization
from services.registry.domain.safeguards import TransferStatus
from services.registry.service.results import ImportBlockEventResult, MintResult


@dataclass(frozen=True)
class HeldTransfer:
    """A transfer a safeguard holds (PENDING_APPROVAL or HELD) or held once (COMPLETED, CANCELLED)."""

    id: str
    batch_id: str
    from_account_id: str
    from_organization_id: str
    to_account_id: str
    quantity_t: int
    lock_id: str
    status: TransferStatus
    requested_by: str
    idempotency_key: str
    requested_at: datetime
    completes_at: datetime


@dataclass(frozen=True)
class TrustedEntry:
    account_id: str
    trusted_account_id: str
    added_at: datetime
    effective_at: datetime


@dataclass(frozen=True)
class LockRecord:
    id: str
    account_id: str


@dataclass(frozen=True)
class OwnershipChange:
    """One row of the transfer record (a transfer, or one batch of a settlement)."""

    transfer_id: str
    kind: str
    batch_id: str
    from_account_id: str
    from_organization_id: str
    to_account_id: str
    to_organization_id: str
    quantity_t: int
    itmo_first_transfer_quantity_t: int
    issuer_onset: bool
    onset_fiscal_year: int | None
    blocks: Sequence[UnitBlock]
    journal_sequence: int
    occurred_at: datetime
    settlement_id: str | None = None
    trade_id: str | None = None


@dataclass(frozen=True)
class BatchOrigin:
    """Where an imported batch came from (its origin registry's units, when known)."""

    batch_id: str
    origin_registry: str
    numbering_scope: str | None
    origin_unit_start: int | None
    origin_unit_end: int | None
    origin_serial: str | None


@dataclass(frozen=True)
class Clash:
    """An earlier claim on overlapping origin units: the batch or the operation that holds them."""

    holder_id: str
    origin_serial: str | None
    origin_unit_start: int
    origin_unit_end: int


class Accounts(Protocol):
    def lock(self, account_ids: Sequence[str]) -> dict[str, Account]:
        """Row-lock the accounts in id order, in one statement; absent ids are simply missing."""
        ...

    def lock_with_sink(self, account_id: str, sink_kind: AccountKind) -> tuple[Account | None, Account | None]:
        """The account row-locked and its organization's `sink_kind` account (if it exists yet) read
        with it, in one round trip; the sink is not locked: units only ever arrive there."""
        ...

    def ensure_sink(self, organization_id: str, kind: AccountKind) -> Account:
        """The organization's RETIREMENT / CANCELLATION / NDC_USE account, created on first use."""
        ...

    def ensure_buffer_pool(self, program_id: str) -> Account:
        """The program's BUFFER account (owned by the registry), created on demand and row-locked."""
        ...

    def ensure_import_holder(self, origin_registry: str, organization_name: str) -> str:
        """The HOLDING account of the platform organization standing for an origin registry."""
        ...

    def organization_exists(self, organization_id: str) -> bool: ...

    def organization_country(self, organization_id: str) -> str | None:
        """The organization's ISO 3166-1 alpha-2 country (its Party for Article 6), None if unknown."""
        ...

    def add_organization(self, organization: Organization, created_at: datetime) -> None: ...

    def add_account(self, account: Account, opened_at: datetime) -> None: ...

    def set_status(self, account_id: str, status: AccountStatus) -> None: ...

    def record_authorization_failure(
        self,
        *,
        account_id: str,
        user_id: str,
        organization_id: str | None,
        operation: str,
        now: datetime,
        window_start: datetime,
    ) -> int:
        """Store one failure; return how many the account has had since window_start from callers of
        `organization_id` (this one included; 0 for a caller without an organization)."""
        ...

    def outgoing_since(self, account_id: str, since: datetime) -> int:
        """Tonnes that left (or are on their way out of) the account since `since`: transfers and
        settlements made, transfers held or awaiting approval, and locks taken for sale."""
        ...

    def caller_authorization_failures(self, user_id: str, window_start: datetime) -> int:
        """How many refusals the caller has had since window_start, on any account."""
        ...

    def clear_authorization_failures(self, account_id: str) -> None: ...


class Batches(Protocol):
    def get(self, batch_id: str) -> Batch | None: ...

    def lock(self, batch_id: str) -> Batch | None:
        """The batch row-locked: its blocks may then be read and rewritten."""
        ...

    def lock_many(self, batch_ids: Sequence[str]) -> dict[str, Batch]: ...

    def blocks(self, batch_id: str) -> list[UnitBlock]: ...

    def batch_ids_with(self, *, account_id: str | None = None, lock_id: str | None = None) -> list[str]:
        """Batches where the account holds HELD units, or where the lock reserves units."""
        ...

    def write(self, result: OperationResult) -> None:
        """Replace the removed blocks by the added ones."""
        ...

    def check(self, batch: Batch, result: OperationResult) -> None:
        """The stored blocks still partition the batch's serial range exactly (raises otherwise)."""
        ...

    def mint_request_hash(self, cmd: MintBatch) -> str:
        """The hash a mint's arguments are stored and compared under (as the store has always taken it)."""
        ...

    def minted(self, issuance_id: str) -> tuple[str, MintResult] | None:
        """(request hash, first result) of an issuance already minted."""
        ...

    def add(self, batch: Batch, details: Mapping[str, Any], result: MintResult, request_hash: str) -> None:
        """Store a minted batch; `details` are the issuance attributes kept beside it."""
        ...

    def first_transferred_ranges(self, batch_id: str) -> list[tuple[int, int]]: ...


class Journal(Protocol):
    def append(self, actor: str, operation: str, payload: dict[str, Any]) -> JournalEntry:
        """Append to the hash chain (locks the head last); the entry's time is the operation's time."""
        ...


class Records(Protocol):
    """The registry's records of what was done: transfers, permanent uses, certificates, locks,
    settlements, buffer cancellations, held transfers and trusted accounts."""

    def add_ownership_change(self, change: OwnershipChange, first_transfers: Sequence[tuple[int, int]]) -> None: ...

    def add_permanent_use(self, kind: str, values: Mapping[str, object]) -> None:
        """A RETIREMENT, CANCELLATION or NDC_USE record (kind = the certificate kind)."""
        ...

    def add_certificate(
        self, certificate_id: str, kind: str, operation_id: str, body: str, journal_sequence: int
    ) -> None: ...

    def lock_record(self, lock_id: str) -> LockRecord | None: ...

    def add_lock(
        self,
        lock_id: str,
        account: Account,
        quantity_t: int,
        criteria: DeliveryCriteria,
        created_at: datetime,
    ) -> None: ...

    def add_settlement(
        self,
        *,
        settlement_id: str,
        lock_id: str,
        trade_id: str,
        to_account_id: str,
        quantity_t: int,
        journal_sequence: int,
        occurred_at: datetime,
    ) -> None: ...

    def add_buffer_cancellation(self, values: Mapping[str, object]) -> None: ...

    def held_transfer(self, transfer_id: str, *, for_update: bool = False) -> HeldTransfer | None: ...

    def add_held_transfer(self, held: HeldTransfer) -> None: ...

    def resolve_held_transfer(
        self,
        transfer_id: str,
        status: TransferStatus,
        *,
        approved_by: str | None = None,
        cancelled_by: str | None = None,
        resolved_at: datetime | None = None,
    ) -> None: ...

    def due_held_transfer_ids(self, now: datetime, account_id: str | None, limit: int) -> list[str]: ...

    def trusted_entry(self, account_id: str, trusted_account_id: str) -> TrustedEntry | None: ...

    def add_trusted_entry(self, entry: TrustedEntry, added_by: str) -> None: ...

    def remove_trusted_entry(self, account_id: str, trusted_account_id: str) -> bool: ...


class Imports(Protocol):
    """Credits bridged in from external registries: origin records and double-registration checks."""

    def serialize_scope(self, origin_registry: str, scope: str) -> None:
        """Serialize claims on one numbering scope until the transaction ends."""
        ...

    def batch_request_hash(self, cmd: ImportBatch) -> str: ...

    def use_request_hash(self, cmd: ImportBlockEvent) -> str: ...

    def imported_batch(self, import_key: str) -> tuple[str, MintResult] | None: ...

    def batch_clash(self, origin_registry: str, units: OriginUnits) -> Clash | None: ...

    def add_batch_origin(self, values: Mapping[str, object]) -> None: ...

    def imported_use(self, import_key: str) -> tuple[str, ImportBlockEventResult] | None: ...

    def origin_of_batch(self, batch_id: str) -> BatchOrigin | None: ...

    def origin_holding(self, origin_registry: str, units: OriginUnits) -> BatchOrigin | None: ...

    def use_clash(self, origin_registry: str, units: OriginUnits) -> Clash | None: ...

    def add_imported_use(self, values: Mapping[str, object], result: ImportBlockEventResult) -> None: ...


class RegistryUnitOfWork(BusUnitOfWork, Protocol):
    # Read-only here: a unit of work builds its repositories, handlers only use them.
    @property
    def accounts(self) -> Accounts: ...

    @property
    def batches(self) -> Batches: ...

    @property
    def journal(self) -> Journal: ...

    @property
    def records(self) -> Records: ...

    @property
    def imports(self) -> Imports: ...

    def emit(self, event: object) -> None:
        """A domain event of this transaction (service/messages.py maps it to the outbox)."""
        ...

    def commit(self) -> None:
        """Commit what is done so far (with its events) and go on in a new transaction."""
        ...
