"""Held and pending transfers (domain/safeguards.py): what approval, cancellation and completion
share. Completion happens once the hold has ended, by the background worker (never by a read).

Row locks follow the registry's order: the transfer row is first read without a lock to learn its
accounts and batch, then accounts, batch, and the transfer row again FOR UPDATE (its status may
have changed in between, e.g. completed by the worker)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from carbon_runtime.errors import not_found, precondition
from services.registry.domain import ledger, safeguards
from services.registry.domain.blocks import OperationResult
from services.registry.domain.models import Account, Batch
from services.registry.domain.safeguards import TransferStatus
from services.registry.service.common import locked_account, locked_batch
from services.registry.service.ports import HeldTransfer, RegistryUnitOfWork
from services.registry.service.results import TransferResult
from services.registry.service.transfer_credits import finish_transfer


@dataclass(frozen=True)
class LockedTransfer:
    held: HeldTransfer
    source: Account
    target: Account


def lock_transfer(uow: RegistryUnitOfWork, transfer_id: str) -> LockedTransfer:
    held = uow.records.held_transfer(transfer_id)
    if held is None:
        raise not_found(
            safeguards.TRANSFER_NOT_FOUND, f"no held or pending transfer {transfer_id}", transfer_id=transfer_id
        )
    accounts = uow.accounts.lock([held.from_account_id, held.to_account_id])
    locked_batch(uow, held.batch_id)
    again = uow.records.held_transfer(transfer_id, for_update=True)
    if again is None:  # pragma: no cover - held transfers are never deleted
        raise RuntimeError(f"held transfer {transfer_id} vanished")
    return LockedTransfer(
        again, locked_account(accounts, again.from_account_id), locked_account(accounts, again.to_account_id)
    )


def require_open_transfer(held: HeldTransfer) -> TransferStatus:
    if held.status not in safeguards.OPEN_STATUSES:
        raise precondition(
            safeguards.TRANSFER_NOT_PENDING,
            f"transfer {held.id} is {held.status.value}; only held or pending transfers can change",
            transfer_id=held.id,
        )
    return held.status


@dataclass(frozen=True)
class Completion:
    """A completion checked and computed, not yet written."""

    batch: Batch
    result: OperationResult


def prepare_completion(uow: RegistryUnitOfWork, locked: LockedTransfer) -> Completion:
    """Refused (and the transfer left held) while either account is not OPEN, e.g. suspended after
    the transfer was requested. Writes nothing, so a refusal leaves the transaction clean."""
    held = locked.held
    ledger.require_open(locked.source)
    batch = locked_batch(uow, held.batch_id)
    result = ledger.settle(uow.batches.blocks(batch.id), held.lock_id, held.quantity_t, locked.target)
    return Completion(batch, result)


def complete(
    uow: RegistryUnitOfWork, locked: LockedTransfer, now: datetime, prepared: Completion | None = None
) -> TransferResult:
    """Deliver exactly the units that were locked for the transfer."""
    held = locked.held
    completion = prepared or prepare_completion(uow, locked)
    done = finish_transfer(
        uow,
        transfer_id=held.id,
        batch=completion.batch,
        source=locked.source,
        target=locked.target,
        result=completion.result,
        journal_actor="registry",
        actor_user_id=held.requested_by,
        actor_organization_id=held.from_organization_id,
        idempotency_key=held.idempotency_key,
    )
    uow.records.resolve_held_transfer(held.id, TransferStatus.COMPLETED, resolved_at=now)
    return done
