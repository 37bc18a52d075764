"""CompleteDueHeldTransfers (the background worker's command): complete HELD transfers whose hold
has ended. Each completes in its own transaction (committed before the next), so one that cannot
complete yet (an account not OPEN) stays held without holding back the others."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from carbon_runtime.errors import DomainError
from services.registry.domain import safeguards
from services.registry.domain.commands import CompleteDueHeldTransfers
from services.registry.service.held_transfers import complete, lock_transfer, prepare_completion
from services.registry.service.ports import RegistryUnitOfWork
from services.registry.service.results import CompletedTransfers

log = logging.getLogger(__name__)


def handle(
    cmd: CompleteDueHeldTransfers, uow: RegistryUnitOfWork, *, clock: Callable[[], datetime]
) -> CompletedTransfers:
    now = clock()
    completed = 0
    for transfer_id in uow.records.due_held_transfer_ids(now, cmd.account_id, cmd.limit):
        locked = lock_transfer(uow, transfer_id)
        if safeguards.due(locked.held.status, locked.held.completes_at, now):  # else done concurrently
            try:
                prepared = prepare_completion(uow, locked)
            except DomainError as err:
                log.info("held transfer %s cannot complete yet: %s", transfer_id, err.message)
            else:
                complete(uow, locked, now, prepared)
                completed += 1
        # Durable one by one: each completion (with its events) commits before the next starts.
        uow.commit()
    return CompletedTransfers(completed)
