"""Loading what a lock reserves, for Unlock and Settle (row locks in the registry's lock order)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from carbon_runtime.errors import insufficient, not_found
from services.registry.adapters import repository as repo
from services.registry.adapters import tables as t
from services.registry.domain import ledger
from services.registry.domain.blocks import UnitBlock, locked_quantity
from services.registry.domain.ledger import BatchAllocation, BatchAvailability
from services.registry.domain.models import Account, Batch


@dataclass(frozen=True)
class LockedUnits:
    lock_row: Any
    accounts: dict[str, Account]
    batches: dict[str, Batch]
    blocks: dict[str, list[UnitBlock]]

    @property
    def remaining(self) -> int:
        lock_id = str(self.lock_row.id)
        return sum(locked_quantity(blocks, lock_id) for blocks in self.blocks.values())

    def plan(self, quantity: int) -> tuple[BatchAllocation, ...]:
        """Which batches deliver `quantity`: oldest vintage first, as they were locked."""
        lock_id = str(self.lock_row.id)
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


def load_locked_units(conn: Connection, lock_id: str, *also_accounts: str) -> LockedUnits:
    lock_row = conn.execute(select(t.locks).where(t.locks.c.id == lock_id)).first()
    if lock_row is None:
        raise not_found(ledger.LOCK_NOT_FOUND, f"no lock {lock_id!r} exists", lock_id=lock_id)
    accounts = repo.lock_accounts(conn, [lock_row.account_id, *also_accounts])
    rows = repo.lock_batches(conn, repo.batch_ids_with(conn, lock_id=lock_id))
    batches = {bid: repo.batch_from_row(row) for bid, row in rows.items()}
    blocks = {bid: repo.load_blocks(conn, bid) for bid in batches}
    return LockedUnits(lock_row, accounts, batches, blocks)
