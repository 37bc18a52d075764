"""ApproveTransfer (four eyes): a second ACCOUNT_HOLDER (another user id) of the sending organization
approves a transfer above the approval threshold. It then completes at once, or when its hold ends
if the target is not trusted. Publishes TransferApproved (then CreditsTransferred when it completes
at once)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime

from carbon_runtime.errors import forbidden, precondition
from services.registry.domain import safeguards
from services.registry.domain.actor import require_authenticated
from services.registry.domain.commands import ApproveTransfer
from services.registry.domain.events import TransferApproved, blocks_of
from services.registry.domain.safeguards import TransferStatus
from services.registry.service.common import caused_by, locked_batch, require_holder_of, require_id
from services.registry.service.held_transfers import complete, lock_transfer, require_open_transfer
from services.registry.service.ports import RegistryUnitOfWork
from services.registry.service.results import TransferResult


def handle(cmd: ApproveTransfer, uow: RegistryUnitOfWork, *, clock: Callable[[], datetime]) -> TransferResult:
    actor = cmd.actor
    require_authenticated(actor)
    transfer_id = require_id(cmd.transfer_id, "transfer_id")
    locked = lock_transfer(uow, transfer_id)
    held = locked.held
    require_holder_of(actor, locked.source, "ACCOUNT_HOLDER")
    status = require_open_transfer(held)
    if status is not TransferStatus.PENDING_APPROVAL:
        raise precondition(
            safeguards.APPROVAL_NOT_REQUIRED,
            f"transfer {transfer_id} is {status.value} and needs no (more) approval",
            transfer_id=transfer_id,
        )
    if actor.name == held.requested_by:
        raise forbidden(
            safeguards.APPROVER_IS_INITIATOR,
            "a transfer above the approval threshold needs a second person: you requested it",
            transfer_id=transfer_id,
        )
    now = clock()
    uow.records.resolve_held_transfer(transfer_id, TransferStatus.HELD, approved_by=actor.name)
    uow.journal.append(actor.name, "TransferApproved", {"transfer_id": transfer_id})
    completes_now = safeguards.due(TransferStatus.HELD, held.completes_at, now)
    outcome = TransferStatus.COMPLETED if completes_now else TransferStatus.HELD
    # The approval is published before the completion it causes: consumers see them in that order.
    uow.emit(
        TransferApproved(
            transfer_id=transfer_id,
            batch_id=held.batch_id,
            from_account_id=locked.source.id,
            to_account_id=locked.target.id,
            quantity_t=held.quantity_t,
            status=outcome,
            completes_at=held.completes_at,
            requested_by_user_id=held.requested_by,
            **caused_by(actor, cmd.idempotency_key),
        )
    )
    if completes_now:
        # The response names when the hold ended, even though the transfer is complete now.
        return dataclasses.replace(complete(uow, locked, now), completes_at=held.completes_at)
    batch = locked_batch(uow, held.batch_id)
    still_locked = [block for block in uow.batches.blocks(batch.id) if block.lock_id == held.lock_id]
    return TransferResult(
        transfer_id=transfer_id,
        batch_id=held.batch_id,
        from_account_id=held.from_account_id,
        to_account_id=held.to_account_id,
        quantity_t=held.quantity_t,
        status=TransferStatus.HELD,
        blocks=blocks_of(batch, still_locked),
        completes_at=held.completes_at,
    )
