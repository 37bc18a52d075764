"""CancelTransfer: an ACCOUNT_HOLDER of the sending organization withdraws a held or pending
transfer; its units are released to the source account's balance. Publishes TransferCancelled."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from services.registry.domain import ledger
from services.registry.domain.actor import require_authenticated
from services.registry.domain.commands import CancelTransfer
from services.registry.domain.events import TransferCancelled, blocks_of
from services.registry.domain.safeguards import TransferStatus
from services.registry.service.common import caused_by, locked_batch, require_holder_of, require_id
from services.registry.service.held_transfers import lock_transfer, require_open_transfer
from services.registry.service.ports import RegistryUnitOfWork
from services.registry.service.results import TransferResult


def handle(cmd: CancelTransfer, uow: RegistryUnitOfWork, *, clock: Callable[[], datetime]) -> TransferResult:
    actor = cmd.actor
    require_authenticated(actor)
    transfer_id = require_id(cmd.transfer_id, "transfer_id")
    locked = lock_transfer(uow, transfer_id)
    held = locked.held
    require_holder_of(actor, locked.source, "ACCOUNT_HOLDER")
    require_open_transfer(held)
    batch = locked_batch(uow, held.batch_id)
    result = ledger.unlock(uow.batches.blocks(batch.id), held.lock_id)
    uow.batches.write(result)
    uow.batches.check(batch, result)
    uow.records.resolve_held_transfer(
        transfer_id, TransferStatus.CANCELLED, cancelled_by=actor.name, resolved_at=clock()
    )
    uow.journal.append(actor.name, "TransferCancelled", {"transfer_id": transfer_id, "quantity": result.quantity})
    released = blocks_of(batch, result.affected)
    uow.emit(
        TransferCancelled(
            transfer_id=transfer_id,
            batch_id=batch.id,
            from_account_id=locked.source.id,
            to_account_id=locked.target.id,
            quantity_t=result.quantity,
            blocks=released,
            **caused_by(actor, cmd.idempotency_key),
        )
    )
    # A cancelled transfer locks nothing any more: its own blocks are none, the released ones
    # are back in the source's balance.
    return TransferResult(
        transfer_id=transfer_id,
        batch_id=batch.id,
        from_account_id=held.from_account_id,
        to_account_id=held.to_account_id,
        quantity_t=held.quantity_t,
        status=TransferStatus.CANCELLED,
        blocks=(),
        completes_at=held.completes_at,
        released=released,
    )
