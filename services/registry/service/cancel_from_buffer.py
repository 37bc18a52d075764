"""CancelFromBuffer (PROGRAM_ADMIN or SERVICE): cancel buffer units to compensate a reported
reversal of a removal project. Permanent. Without a batch, the program's pool is drawn on oldest
vintage first, possibly across several batches."""

from __future__ import annotations

from collections.abc import Callable

from carbon_runtime.errors import invalid, not_found
from services.registry.domain import ledger
from services.registry.domain.actor import require_role
from services.registry.domain.blocks import UnitBlock, held_quantity
from services.registry.domain.commands import CancelFromBuffer
from services.registry.domain.events import Block, BufferCancelled, blocks_of
from services.registry.domain.ledger import BatchAvailability
from services.registry.domain.models import AccountKind
from services.registry.service.common import caused_by, locked_account, require_id
from services.registry.service.permanent_use import serial_ranges
from services.registry.service.ports import RegistryUnitOfWork
from services.registry.service.results import BufferCancellationResult


def handle(cmd: CancelFromBuffer, uow: RegistryUnitOfWork, *, new_id: Callable[[], str]) -> BufferCancellationResult:
    actor = cmd.actor
    require_role(actor, "PROGRAM_ADMIN", "SERVICE")
    buffer_id = require_id(cmd.buffer_account_id, "buffer_account_id")
    reversal_id = require_id(cmd.reversal_id, "reversal_id")
    quantity = ledger.require_positive_quantity(cmd.quantity_t)
    if not cmd.batch_id and not cmd.program_id:
        raise invalid("PROGRAM_REQUIRED", "name the batch, or the program whose buffer pool is drawn on")

    buffer = locked_account(uow.accounts.lock([buffer_id]), buffer_id)
    ledger.require_kind(buffer, AccountKind.BUFFER)
    program_id = cmd.program_id or buffer.program_id or ""
    if program_id != buffer.program_id:
        raise invalid(
            ledger.BUFFER_PROGRAM_MISMATCH,
            f"buffer account {buffer.id} is the pool of program {buffer.program_id}, not {program_id}",
        )
    if cmd.batch_id:
        if uow.batches.get(cmd.batch_id) is None:
            raise not_found("BATCH_NOT_FOUND", f"batch {cmd.batch_id} does not exist in the registry")
        batch_ids = [cmd.batch_id]
    else:
        batch_ids = uow.batches.batch_ids_with(account_id=buffer.id)
    batches = {bid: b for bid, b in uow.batches.lock_many(batch_ids).items() if b.program_id == program_id}
    blocks: dict[str, list[UnitBlock]] = {bid: uow.batches.blocks(bid) for bid in batches}
    plan = ledger.plan_lock_across_batches(
        [BatchAvailability.of(batches[bid], held_quantity(blocks[bid], buffer.id)) for bid in batches], quantity
    )
    cancelled: list[Block] = []
    ranges: list[str] = []
    stored: list[list[object]] = []
    for allocation in plan:
        batch = batches[allocation.batch_id]
        result = ledger.cancel_from_buffer(blocks[batch.id], buffer, allocation.quantity)
        uow.batches.write(result)
        uow.batches.check(batch, result)
        cancelled.extend(blocks_of(batch, result.affected))
        ranges.extend(serial_ranges(batch, result.affected))
        stored.extend([batch.id, b.start, b.end] for b in result.affected)
    cancellation_id = new_id()
    entry = uow.journal.append(
        actor.name,
        "CancelFromBuffer",
        {
            "cancellation_id": cancellation_id,
            "buffer_account_id": buffer.id,
            "program_id": program_id,
            "quantity": quantity,
            "serial_ranges": ranges,
            "reversal_id": reversal_id,
        },
    )
    uow.records.add_buffer_cancellation(
        {
            "id": cancellation_id,
            "buffer_account_id": buffer.id,
            "program_id": program_id,
            "batch_id": cmd.batch_id or None,
            "quantity": quantity,
            "reversal_id": reversal_id,
            "reason": cmd.reason,
            "blocks": stored,
            "journal_sequence": entry.sequence,
            "occurred_at": entry.occurred_at,
        }
    )
    uow.emit(
        BufferCancelled(
            cancellation_id=cancellation_id,
            batch_id=cmd.batch_id,
            buffer_account_id=buffer.id,
            program_id=program_id,
            quantity_t=quantity,
            blocks=tuple(cancelled),
            serial_ranges=tuple(ranges),
            reversal_id=reversal_id,
            reason=cmd.reason,
            **caused_by(actor, cmd.idempotency_key),
        )
    )
    return BufferCancellationResult(cancellation_id, tuple(cancelled))
