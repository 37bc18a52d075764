"""Unlock (SERVICE or EXCHANGE_ADMIN): release locked units back to HELD in the same account, e.g.
when a sell order is cancelled. Without a quantity everything still locked is released."""

from __future__ import annotations

from services.registry.domain import ledger
from services.registry.domain.actor import require_role
from services.registry.domain.commands import UnlockCredits
from services.registry.domain.events import Block, CreditsUnlocked, blocks_of
from services.registry.service.common import caused_by, require_id
from services.registry.service.locked_units import load_locked_units
from services.registry.service.ports import RegistryUnitOfWork
from services.registry.service.results import UnlockResult


def handle(cmd: UnlockCredits, uow: RegistryUnitOfWork) -> UnlockResult:
    actor = cmd.actor
    require_role(actor, "SERVICE", "EXCHANGE_ADMIN")
    lock_id = require_id(cmd.lock_id, "lock_id")
    wanted = ledger.require_positive_quantity(cmd.quantity_t) if cmd.quantity_t is not None else None

    units = load_locked_units(uow, lock_id)
    quantity = units.remaining if wanted is None else wanted
    if quantity == 0:
        # Nothing is reserved any more (filled or released): releasing "everything" is a no-op.
        return UnlockResult((), 0)
    affected: list[Block] = []
    for allocation in units.plan(quantity):
        batch = units.batches[allocation.batch_id]
        result = ledger.unlock(units.blocks[batch.id], lock_id, allocation.quantity)
        uow.batches.write(result)
        uow.batches.check(batch, result)
        affected.extend(blocks_of(batch, result.affected))
    remaining = units.remaining - quantity
    uow.journal.append(actor.name, "Unlock", {"lock_id": lock_id, "quantity": quantity, "remaining_locked": remaining})
    uow.emit(
        CreditsUnlocked(
            lock_id=lock_id,
            account_id=units.lock.account_id,
            quantity_t=quantity,
            blocks=tuple(affected),
            remaining_locked_t=remaining,
            **caused_by(actor, cmd.idempotency_key),
        )
    )
    return UnlockResult(tuple(affected), remaining)
