"""Loading what a lock reserves, for Unlock and Settle (row locks in the registry's lock order)."""

from __future__ import annotations

from dataclasses import dataclass

from carbon_runtime.errors import insufficient, not_found
from services.registry.domain import ledger
from services.registry.domain.blocks import UnitBlock, locked_quantity
from services.registry.domain.ledger import BatchAllocation, BatchAvailability
from services.registry.domain.models import Account, Batch
from services.registry.service.ports import LockRecord, RegistryUnitOfWork


@dataclass(frozen=True)
class LockedUnits:
    lock: LockRecord
    accounts: dict[str, Account]
    batches: dict[str, Batch]
    blocks: dict[str, list[UnitBlock]]

    @property
    def remaining(self) -> int:
        return sum(locked_quantity(blocks, self.lock.id) for blocks in self.blocks.values())

    def plan(self, quantity: int) -> tuple[BatchAllocation, ...]:
        """Which batches deliver `quantity`: oldest vintage first, as they were locked."""
        lock_id = self.lock.id
        available = [
            BatchAvailability.of(self.batches[bid], locked_quantity(self.blocks[bid], lock_id)) for bid in self.batches
        ]
        if quantity > self.remaining:
            raise insufficient(
                ledger.INSUFFICIENT_BALANCE,
                f"lock {lock_id!r} reserves {self.remaining} credits; {quantity} requested",
                lock_id=lock_id,
                available=self.remaining,
                requested=quantity,
            )
        return ledger.plan_lock_across_batches(available, quantity)


def load_locked_units(uow: RegistryUnitOfWork, lock_id: str, *also_accounts: str) -> LockedUnits:
    lock = uow.records.lock_record(lock_id)
    if lock is None:
        raise not_found(ledger.LOCK_NOT_FOUND, f"no lock {lock_id!r} exists", lock_id=lock_id)
    accounts = uow.accounts.lock([lock.account_id, *also_accounts])
    batches = uow.batches.lock_many(uow.batches.batch_ids_with(lock_id=lock_id))
    blocks = {bid: uow.batches.blocks(bid) for bid in batches}
    return LockedUnits(lock, accounts, batches, blocks)
