"""Unit blocks: who holds which serial units of a batch, in which state.

A batch's units are partitioned into blocks of contiguous serial units. Every ledger operation is
a pure function from the blocks of ONE batch to a new partition (see ledger.py), so an adapter can
load the blocks of a batch (or only one account's blocks of that batch), apply an operation and
write back `OperationResult.removed` / `OperationResult.added`. The natural key of a block is
(batch_id, start): blocks never overlap, so no two blocks share a start.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from carbon_runtime.errors import DomainError, ErrorCode, invalid
from carbon_runtime.vocabulary import UnitStatus as UnitStatus  # the shared vocabulary, re-exported

from .models import Batch

#: Retired, cancelled and NDC-used units are out of circulation for ever.
TERMINAL_STATUSES: frozenset[UnitStatus] = frozenset({UnitStatus.RETIRED, UnitStatus.CANCELLED, UnitStatus.NDC_USED})

LEDGER_INVARIANT_VIOLATED = "LEDGER_INVARIANT_VIOLATED"


@dataclass(frozen=True, slots=True, order=True)
class UnitBlock:
    """Units start..end (inclusive) of one batch, in one account and one status.

    Ordering compares (batch_id, start, ...) so sorted() puts blocks in serial order."""

    batch_id: str
    start: int
    end: int
    account_id: str
    status: UnitStatus = UnitStatus.HELD
    # The order (or other reservation) that holds these units; set exactly when status is LOCKED.
    lock_id: str | None = None

    def __post_init__(self) -> None:
        if (
            not isinstance(self.start, int)
            or not isinstance(self.end, int)
            or isinstance(self.start, bool)
            or isinstance(self.end, bool)
            or not 1 <= self.start <= self.end
        ):
            raise invalid("BLOCK_INVALID", f"block units {self.start!r}..{self.end!r} are not a range")
        if (self.status is UnitStatus.LOCKED) != (self.lock_id is not None):
            raise invalid("BLOCK_INVALID", "a block carries a lock_id exactly when its status is LOCKED")

    @property
    def quantity(self) -> int:
        return self.end - self.start + 1

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def continues_with(self, other: UnitBlock) -> bool:
        """True when `other` starts right after this block and may merge into it."""
        return (
            other.start == self.end + 1
            and other.batch_id == self.batch_id
            and other.account_id == self.account_id
            and other.status is self.status
            and other.lock_id == self.lock_id
        )


@dataclass(frozen=True, slots=True)
class OperationResult:
    """The outcome of one ledger operation on the blocks of one batch.

    blocks:   the new full list (sorted, merged) replacing the input list.
    removed:  input blocks that no longer exist (delete them).
    added:    blocks that did not exist in the input (insert them).
    affected: exactly the units the operation acted on, in their new state, before merging with
              neighbours: the serial ranges for a certificate or a Transfer.blocks answer.
    """

    blocks: tuple[UnitBlock, ...]
    removed: tuple[UnitBlock, ...]
    added: tuple[UnitBlock, ...]
    affected: tuple[UnitBlock, ...] = field(default=())

    @property
    def quantity(self) -> int:
        return sum(block.quantity for block in self.affected)


def normalize(blocks: Iterable[UnitBlock]) -> tuple[UnitBlock, ...]:
    """Sort by serial and merge adjacent blocks with the same account, status and lock, so that
    the number of rows stays proportional to the number of distinct holdings, not of operations."""
    merged: list[UnitBlock] = []
    for block in sorted(blocks):
        if merged and merged[-1].continues_with(block):
            last = merged[-1]
            merged[-1] = UnitBlock(last.batch_id, last.start, block.end, last.account_id, last.status, last.lock_id)
        else:
            merged.append(block)
    return tuple(merged)


def diff(
    before: Sequence[UnitBlock], after: Sequence[UnitBlock]
) -> tuple[tuple[UnitBlock, ...], tuple[UnitBlock, ...]]:
    """(removed, added) between two partitions, each in serial order."""
    before_set = set(before)
    after_set = set(after)
    removed = tuple(sorted(block for block in before_set if block not in after_set))
    added = tuple(sorted(block for block in after_set if block not in before_set))
    return removed, added


def held_quantity(blocks: Iterable[UnitBlock], account_id: str) -> int:
    """An account's balance in this batch: HELD units only (locked units are reserved)."""
    return sum(b.quantity for b in blocks if b.account_id == account_id and b.status is UnitStatus.HELD)


def locked_quantity(blocks: Iterable[UnitBlock], lock_id: str) -> int:
    return sum(b.quantity for b in blocks if b.lock_id == lock_id)


def terminal_quantity(blocks: Iterable[UnitBlock]) -> int:
    """The batch's retiredQuantity: retired, cancelled and NDC-used together."""
    return sum(b.quantity for b in blocks if b.is_terminal)


def balances(blocks: Iterable[UnitBlock]) -> dict[str, int]:
    """HELD quantity per account id (accounts with only locked or terminal units are absent)."""
    result: dict[str, int] = {}
    for block in blocks:
        if block.status is UnitStatus.HELD:
            result[block.account_id] = result.get(block.account_id, 0) + block.quantity
    return result


def _violation(batch: Batch, message: str) -> DomainError:
    return DomainError(
        ErrorCode.FAILED_PRECONDITION,
        LEDGER_INVARIANT_VIOLATED,
        f"ledger of batch {batch.id} is inconsistent: {message}",
        {"batch_id": batch.id},
    )


def check_invariants(batch: Batch, blocks: Sequence[UnitBlock]) -> None:
    """Raise FAILED_PRECONDITION / LEDGER_INVARIANT_VIOLATED unless the blocks partition the batch
    exactly: no overlap, no gap, nothing outside the serial range, summing to issued_quantity.
    A failure means stored data is corrupt; nothing may be written on top of it."""
    if not blocks:
        raise _violation(batch, "no blocks (was the batch minted?)")
    for block in blocks:
        if block.batch_id != batch.id:
            raise _violation(batch, f"block {block.start}..{block.end} belongs to batch {block.batch_id}")
    ordered = sorted(blocks)
    if ordered[0].start != batch.serial_start_unit:
        raise _violation(batch, f"units from {batch.serial_start_unit} up to {ordered[0].start} are missing")
    for previous, current in itertools.pairwise(ordered):
        if current.start <= previous.end:
            raise _violation(
                batch,
                f"blocks {previous.start}..{previous.end} and {current.start}..{current.end} overlap",
            )
        if current.start != previous.end + 1:
            raise _violation(batch, f"units {previous.end + 1}..{current.start - 1} are in no block")
    if ordered[-1].end != batch.serial_end_unit:
        raise _violation(batch, f"units beyond {batch.serial_end_unit} or up to it are misplaced")
    total = sum(block.quantity for block in ordered)
    if total != batch.issued_quantity:
        raise _violation(batch, f"blocks hold {total} units, batch issued {batch.issued_quantity}")


@dataclass(frozen=True, slots=True)
class LedgerSummary:
    """count / sum / min(start) / max(end) of a batch's blocks: what a cheap aggregate query over the
    stored rows returns, to compare with the partition an operation computed in memory."""

    count: int
    total: int
    first_start: int
    last_end: int

    @classmethod
    def of(cls, blocks: Sequence[UnitBlock]) -> LedgerSummary:
        if not blocks:
            return cls(0, 0, 0, 0)
        return cls(
            len(blocks), sum(b.quantity for b in blocks), min(b.start for b in blocks), max(b.end for b in blocks)
        )


def check_stored_partition(batch: Batch, expected: Sequence[UnitBlock], stored: LedgerSummary) -> None:
    """`expected` (an operation's new partition, written back) must partition the batch exactly, and
    the stored rows must agree with it: as many rows, the same total, the same first and last unit.
    Together with exact-match deletes and primary-key inserts, that proves the stored blocks are
    `expected`; otherwise FAILED_PRECONDITION / LEDGER_INVARIANT_VIOLATED (and the caller rolls back)."""
    check_invariants(batch, expected)
    wanted = LedgerSummary.of(expected)
    if stored != wanted:
        raise _violation(batch, f"stored blocks {stored} differ from the computed partition {wanted}")
