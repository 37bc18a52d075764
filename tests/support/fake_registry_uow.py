"""The registry's unit of work in memory, for handler unit tests (no database).

It keeps what the SQL repositories keep (accounts, batches and their blocks, the journal, the
records) in plain dicts and lists; a transaction that raises is rolled back (FakeUnitOfWork restores
`state_attributes`). Row locks are no-ops: unit tests run one command at a time."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from carbon_runtime.messaging.bus import fingerprint
from services.registry.domain.actor import ANONYMOUS
from services.registry.domain.blocks import TERMINAL_STATUSES, OperationResult, UnitBlock, UnitStatus, check_invariants
from services.registry.domain.commands import DeliveryCriteria, ImportBatch, ImportBlockEvent, MintBatch, OriginUnits
from services.registry.domain.journal import JournalEntry, append_entry
from services.registry.domain.models import Account, AccountKind, AccountStatus, Batch, KycStatus, Organization
from services.registry.domain.safeguards import OPEN_STATUSES, TransferStatus
from services.registry.service.ports import (
    BatchOrigin,
    Clash,
    HeldTransfer,
    LockRecord,
    OwnershipChange,
    TrustedEntry,
)
from services.registry.service.results import ImportBlockEventResult, MintResult
from tests.support.fake_uow import FakeUnitOfWork

REGISTRY_ORGANIZATION_ID = "REGISTRY"


class _Part:
    def __init__(self, uow: FakeRegistryUnitOfWork) -> None:
        self.uow = uow


class FakeAccounts(_Part):
    def lock(self, account_ids: Sequence[str]) -> dict[str, Account]:
        return {i: self.uow.accounts_by_id[i] for i in sorted(set(account_ids)) if i in self.uow.accounts_by_id}

    def lock_with_sink(self, account_id: str, sink_kind: AccountKind) -> tuple[Account | None, Account | None]:
        account = self.uow.accounts_by_id.get(account_id)
        if account is None:
            return None, None
        return account, self.uow.accounts_by_id.get(f"{sink_kind.value}-{account.organization_id}")

    def _ensure(self, account: Account) -> Account:
        return self.uow.accounts_by_id.setdefault(account.id, account)

    def ensure_sink(self, organization_id: str, kind: AccountKind) -> Account:
        return self._ensure(Account(id=f"{kind.value}-{organization_id}", organization_id=organization_id, kind=kind))

    def ensure_buffer_pool(self, program_id: str) -> Account:
        self.uow.organizations.setdefault(
            REGISTRY_ORGANIZATION_ID,
            Organization(REGISTRY_ORGANIZATION_ID, "Carbon registry (buffer pools)", "JP", False, KycStatus.VERIFIED),
        )
        return self._ensure(
            Account(
                id=f"BUFFER-{program_id}",
                organization_id=REGISTRY_ORGANIZATION_ID,
                kind=AccountKind.BUFFER,
                program_id=program_id,
            )
        )

    def ensure_import_holder(self, origin_registry: str, organization_name: str) -> str:
        organization_id = f"IMPORT-{origin_registry}"
        self.uow.organizations.setdefault(
            organization_id, Organization(organization_id, organization_name, "JP", False, KycStatus.VERIFIED)
        )
        return self._ensure(Account(id=f"{organization_id}-HOLDING", organization_id=organization_id)).id

    def organization_exists(self, organization_id: str) -> bool:
        return organization_id in self.uow.organizations

    def organization_country(self, organization_id: str) -> str | None:
        organization = self.uow.organizations.get(organization_id)
        return None if organization is None else organization.country

    def add_organization(self, organization: Organization, created_at: datetime) -> None:
        self.uow.organizations[organization.id] = organization

    def add_account(self, account: Account, opened_at: datetime) -> None:
        self.uow.accounts_by_id[account.id] = account

    def set_status(self, account_id: str, status: AccountStatus) -> None:
        account = self.uow.accounts_by_id[account_id]
        self.uow.accounts_by_id[account_id] = dataclasses.replace(account, status=status)

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
        self.uow.failures.append((account_id, user_id, organization_id, operation, now))
        return sum(
            1
            for a, _, org, _, at in self.uow.failures
            if a == account_id and org is not None and org == organization_id and at >= window_start
        )

    def outgoing_since(self, account_id: str, since: datetime) -> int:
        moved = sum(
            t.quantity_t for t in self.uow.transfers if t.from_account_id == account_id and t.occurred_at >= since
        )
        waiting = sum(
            h.quantity_t
            for h in self.uow.held.values()
            if h.from_account_id == account_id and h.requested_at >= since and h.status in OPEN_STATUSES
        )
        locked = sum(q for a, q, at in self.uow.lock_log if a == account_id and at >= since)
        return moved + waiting + locked

    def caller_authorization_failures(self, user_id: str, window_start: datetime) -> int:
        return sum(1 for _, u, _, _, at in self.uow.failures if u == user_id and at >= window_start)

    def clear_authorization_failures(self, account_id: str) -> None:
        self.uow.failures = [f for f in self.uow.failures if f[0] != account_id]


class FakeBatches(_Part):
    def get(self, batch_id: str) -> Batch | None:
        return self.uow.batches_by_id.get(batch_id)

    def lock(self, batch_id: str) -> Batch | None:
        return self.get(batch_id)

    def lock_many(self, batch_ids: Sequence[str]) -> dict[str, Batch]:
        return {i: self.uow.batches_by_id[i] for i in sorted(set(batch_ids)) if i in self.uow.batches_by_id}

    def blocks(self, batch_id: str) -> list[UnitBlock]:
        return sorted(self.uow.blocks.get(batch_id, []))

    def batch_ids_with(self, *, account_id: str | None = None, lock_id: str | None = None) -> list[str]:
        found = {
            block.batch_id
            for blocks in self.uow.blocks.values()
            for block in blocks
            if (account_id is None or (block.account_id == account_id and block.status is UnitStatus.HELD))
            and (lock_id is None or block.lock_id == lock_id)
        }
        return sorted(found)

    def write(self, result: OperationResult) -> None:
        for block in result.removed:
            self.uow.blocks[block.batch_id].remove(block)
        for block in result.added:
            self.uow.blocks.setdefault(block.batch_id, []).append(block)

    def check(self, batch: Batch, result: OperationResult) -> None:
        check_invariants(batch, self.blocks(batch.id))

    def mint_request_hash(self, cmd: MintBatch) -> str:
        return fingerprint("MintBatch", cmd)

    def minted(self, issuance_id: str) -> tuple[str, MintResult] | None:
        return self.uow.mints.get(issuance_id)

    def add(self, batch: Batch, details: Mapping[str, Any], result: MintResult, request_hash: str) -> None:
        self.uow.batches_by_id[batch.id] = batch
        self.uow.mints[batch.issuance_id] = (request_hash, result)

    def first_transferred_ranges(self, batch_id: str) -> list[tuple[int, int]]:
        return [(start, end) for b, start, end in self.uow.first_transfers if b == batch_id]

    def terminal_quantity(self, batch_id: str) -> int:
        """For assertions: retired, cancelled and NDC-used units of the batch."""
        return sum(b.quantity for b in self.uow.blocks.get(batch_id, []) if b.status in TERMINAL_STATUSES)


class FakeJournal(_Part):
    def append(self, actor: str, operation: str, payload: dict[str, Any]) -> JournalEntry:
        previous = self.uow.journal_entries[-1] if self.uow.journal_entries else None
        now = self.uow.clock()
        if previous is not None and now < previous.occurred_at:
            now = previous.occurred_at
        entry = append_entry(previous, now, actor, operation, payload)
        self.uow.journal_entries.append(entry)
        return entry


class FakeRecords(_Part):
    def add_ownership_change(self, change: OwnershipChange, first_transfers: Sequence[tuple[int, int]]) -> None:
        self.uow.first_transfers.extend((change.batch_id, start, end) for start, end in first_transfers)
        self.uow.transfers.append(change)

    def add_permanent_use(self, kind: str, values: Mapping[str, object]) -> None:
        self.uow.uses.append((kind, dict(values)))

    def add_certificate(
        self, certificate_id: str, kind: str, operation_id: str, body: str, journal_sequence: int
    ) -> None:
        self.uow.certificates[certificate_id] = body

    def lock_record(self, lock_id: str) -> LockRecord | None:
        return self.uow.locks.get(lock_id)

    def add_lock(
        self, lock_id: str, account: Account, quantity_t: int, criteria: DeliveryCriteria, created_at: datetime
    ) -> None:
        self.uow.locks[lock_id] = LockRecord(lock_id, account.id)
        self.uow.lock_log.append((account.id, quantity_t, created_at))

    def add_settlement(self, **values: Any) -> None:
        self.uow.settlements.append(values)

    def add_buffer_cancellation(self, values: Mapping[str, object]) -> None:
        self.uow.buffer_cancellations.append(dict(values))

    def held_transfer(self, transfer_id: str, *, for_update: bool = False) -> HeldTransfer | None:
        return self.uow.held.get(transfer_id)

    def add_held_transfer(self, held: HeldTransfer) -> None:
        self.uow.held[held.id] = held

    def resolve_held_transfer(
        self,
        transfer_id: str,
        status: TransferStatus,
        *,
        approved_by: str | None = None,
        cancelled_by: str | None = None,
        resolved_at: datetime | None = None,
    ) -> None:
        self.uow.held[transfer_id] = dataclasses.replace(self.uow.held[transfer_id], status=status)

    def due_held_transfer_ids(self, now: datetime, account_id: str | None, limit: int) -> list[str]:
        due = sorted(
            (h for h in self.uow.held.values() if h.status is TransferStatus.HELD and h.completes_at <= now),
            key=lambda h: h.completes_at,
        )
        return [h.id for h in due if account_id is None or account_id in (h.from_account_id, h.to_account_id)][:limit]

    def trusted_entry(self, account_id: str, trusted_account_id: str) -> TrustedEntry | None:
        return self.uow.trusted.get((account_id, trusted_account_id))

    def add_trusted_entry(self, entry: TrustedEntry, added_by: str) -> None:
        self.uow.trusted[(entry.account_id, entry.trusted_account_id)] = entry

    def remove_trusted_entry(self, account_id: str, trusted_account_id: str) -> bool:
        return self.uow.trusted.pop((account_id, trusted_account_id), None) is not None


class FakeImports(_Part):
    """Imports are exercised by the integration tests; in memory only the records are kept."""

    def serialize_scope(self, origin_registry: str, scope: str) -> None:
        return None

    def batch_request_hash(self, cmd: ImportBatch) -> str:
        return fingerprint("ImportBatch", dataclasses.replace(cmd, mint=dataclasses.replace(cmd.mint, actor=ANONYMOUS)))

    def use_request_hash(self, cmd: ImportBlockEvent) -> str:
        return fingerprint("ImportBlockEvent", cmd)

    def imported_batch(self, import_key: str) -> tuple[str, MintResult] | None:
        return None

    def batch_clash(self, origin_registry: str, units: OriginUnits) -> Clash | None:
        return None

    def add_batch_origin(self, values: Mapping[str, object]) -> None:
        return None

    def imported_use(self, import_key: str) -> tuple[str, ImportBlockEventResult] | None:
        return None

    def origin_of_batch(self, batch_id: str) -> BatchOrigin | None:
        return None

    def origin_holding(self, origin_registry: str, units: OriginUnits) -> BatchOrigin | None:
        return None

    def use_clash(self, origin_registry: str, units: OriginUnits) -> Clash | None:
        return None

    def add_imported_use(self, values: Mapping[str, object], result: ImportBlockEventResult) -> None:
        return None


def _utcnow() -> datetime:
    return datetime.now(UTC)


class FakeRegistryUnitOfWork(FakeUnitOfWork):
    state_attributes = (
        "organizations",
        "accounts_by_id",
        "batches_by_id",
        "blocks",
        "mints",
        "journal_entries",
        "first_transfers",
        "transfers",
        "uses",
        "certificates",
        "locks",
        "lock_log",
        "settlements",
        "buffer_cancellations",
        "held",
        "trusted",
        "failures",
    )

    def __init__(self, clock: Callable[[], datetime] = _utcnow) -> None:
        super().__init__()
        self.clock = clock
        self.organizations: dict[str, Organization] = {}
        self.accounts_by_id: dict[str, Account] = {}
        self.batches_by_id: dict[str, Batch] = {}
        self.blocks: dict[str, list[UnitBlock]] = {}
        self.mints: dict[str, tuple[str, MintResult]] = {}
        self.journal_entries: list[JournalEntry] = []
        self.first_transfers: list[tuple[str, int, int]] = []
        self.transfers: list[OwnershipChange] = []
        self.uses: list[tuple[str, dict[str, object]]] = []
        self.certificates: dict[str, str] = {}
        self.locks: dict[str, LockRecord] = {}
        self.lock_log: list[tuple[str, int, datetime]] = []
        self.settlements: list[dict[str, Any]] = []
        self.buffer_cancellations: list[dict[str, object]] = []
        self.held: dict[str, HeldTransfer] = {}
        self.trusted: dict[tuple[str, str], TrustedEntry] = {}
        self.failures: list[tuple[str, str, str | None, str, datetime]] = []
        self.accounts = FakeAccounts(self)
        self.batches = FakeBatches(self)
        self.journal = FakeJournal(self)
        self.records = FakeRecords(self)
        self.imports = FakeImports(self)
