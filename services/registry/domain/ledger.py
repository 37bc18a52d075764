"""Ledger operations over the unit blocks of ONE batch.

Every operation is pure: it validates, then returns an OperationResult with the new full list of
blocks; the input is never mutated, and a refusal raises DomainError before anything is produced,
so a refused request changes nothing. Units are always taken lowest serials first, which makes
results deterministic (the same request on the same ledger moves the same serials).

Rules enforced here:
- terminal units (RETIRED, CANCELLED, NDC_USED) never change again: retirement is permanent;
- LOCKED units move only through settle (to the buyer) or unlock (back to HELD);
- only HELD units of an OPEN account of the right kind can be moved, locked or used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from carbon_runtime.errors import conflict, forbidden, insufficient, invalid, not_found, precondition

from .blocks import OperationResult, UnitBlock, UnitStatus, diff, normalize
from .models import Account, AccountKind, Batch, id_sort_key

# Stable reason codes (DomainError.reason).
ACCOUNT_NOT_FOUND = "ACCOUNT_NOT_FOUND"
ACCOUNT_NOT_OPEN = "ACCOUNT_NOT_OPEN"
WRONG_ACCOUNT_KIND = "WRONG_ACCOUNT_KIND"
UNITS_NOT_HELD = "UNITS_NOT_HELD"
INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"
QUANTITY_NOT_POSITIVE_INTEGER = "QUANTITY_NOT_POSITIVE_INTEGER"
SAME_SOURCE_AND_TARGET = "SAME_SOURCE_AND_TARGET"
UNITS_TERMINAL = "UNITS_TERMINAL"
TRANSACTION_ID_REUSED = "TRANSACTION_ID_REUSED"
NOT_AUTHORIZED = "NOT_AUTHORIZED"
LOCK_NOT_FOUND = "LOCK_NOT_FOUND"
LOCK_ID_IN_USE = "LOCK_ID_IN_USE"
LOCK_ID_INVALID = "LOCK_ID_INVALID"
BATCH_ALREADY_MINTED = "BATCH_ALREADY_MINTED"
BLOCKS_OF_SEVERAL_BATCHES = "BLOCKS_OF_SEVERAL_BATCHES"
HOLDER_NOT_PROPONENT = "HOLDER_NOT_PROPONENT"
BUFFER_ACCOUNT_REQUIRED = "BUFFER_ACCOUNT_REQUIRED"
BUFFER_PROGRAM_MISMATCH = "BUFFER_PROGRAM_MISMATCH"


# ----------------------------------------------------------------------------------------------
# Checks shared by the operations and by the service layer.


def require_positive_quantity(quantity: object) -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise invalid(
            QUANTITY_NOT_POSITIVE_INTEGER,
            f"quantity must be a positive whole number of tonnes, got {quantity!r}",
        )
    return quantity


def require_account(accounts: Mapping[str, Account], account_id: str) -> Account:
    """Look an account up by id, NOT_FOUND / ACCOUNT_NOT_FOUND when absent."""
    account = accounts.get(account_id)
    if account is None:
        raise not_found(ACCOUNT_NOT_FOUND, f"account {account_id} does not exist", account_id=account_id)
    return account


def require_open(account: Account) -> None:
    if not account.is_open:
        raise precondition(
            ACCOUNT_NOT_OPEN,
            f"account {account.id} is {account.status.value}; only OPEN accounts can send or receive credits",
            account_id=account.id,
        )


def require_kind(account: Account, *kinds: AccountKind) -> None:
    if account.kind not in kinds:
        wanted = " or ".join(kind.value for kind in kinds)
        raise invalid(
            WRONG_ACCOUNT_KIND,
            f"account {account.id} is a {account.kind.value} account; this operation needs {wanted}",
            account_id=account.id,
        )


def authorize_account_holder(actor_organization_id: str | None, account: Account) -> None:
    """Only members of the owning organization act on an account's credits (FORBIDDEN otherwise)."""
    if actor_organization_id is None or actor_organization_id != account.organization_id:
        raise forbidden(
            NOT_AUTHORIZED,
            f"your organization does not own account {account.id}",
            account_id=account.id,
        )


def _batch_id_of(blocks: Sequence[UnitBlock]) -> str | None:
    batch_ids = {block.batch_id for block in blocks}
    if len(batch_ids) > 1:
        raise invalid(
            BLOCKS_OF_SEVERAL_BATCHES,
            f"a ledger operation works on one batch; got blocks of {sorted(batch_ids)}",
        )
    return next(iter(batch_ids), None)


def _require_lock_id(lock_id: object) -> str:
    if not isinstance(lock_id, str) or not lock_id:
        raise invalid(LOCK_ID_INVALID, "lock_id must be a non-empty string")
    return lock_id


def _require_held(blocks: Sequence[UnitBlock], account: Account, quantity: int) -> None:
    """Refuse unless the account holds `quantity` HELD units in these blocks, with the reason that
    tells the caller what to do: hold none, all used up, or some reserved by orders."""
    batch_id = _batch_id_of(blocks)
    own = [block for block in blocks if block.account_id == account.id]
    held = sum(b.quantity for b in own if b.status is UnitStatus.HELD)
    if held >= quantity:
        return
    locked = sum(b.quantity for b in own if b.status is UnitStatus.LOCKED)
    terminal = sum(b.quantity for b in own if b.is_terminal)
    details = {"account_id": account.id, "batch_id": batch_id, "available": held, "locked": locked}
    if not own:
        raise precondition(
            UNITS_NOT_HELD,
            f"account {account.id} holds no credits of batch {batch_id}",
            **details,
        )
    if held == 0 and locked == 0:
        raise precondition(
            UNITS_TERMINAL,
            f"all {terminal} credits of batch {batch_id} in account {account.id} are already retired, "
            "cancelled or used; they can never be used again",
            **details,
        )
    raise insufficient(
        INSUFFICIENT_BALANCE,
        f"account {account.id} has {held} available credits of batch {batch_id} "
        f"({locked} more are locked by open orders); {quantity} requested",
        requested=quantity,
        **details,
    )


def _take(
    blocks: Sequence[UnitBlock],
    selects: Callable[[UnitBlock], bool],
    quantity: int,
    change: Callable[[UnitBlock], UnitBlock],
) -> OperationResult:
    """Apply `change` to the lowest-serial `quantity` units of the blocks that `selects` picks,
    splitting the last block touched. The caller has checked that enough units are selectable."""
    remaining = quantity
    untouched: list[UnitBlock] = []
    affected: list[UnitBlock] = []
    for block in sorted(blocks):
        if remaining == 0 or not selects(block):
            untouched.append(block)
            continue
        taken_quantity = min(remaining, block.quantity)
        remaining -= taken_quantity
        taken = replace(block, end=block.start + taken_quantity - 1)
        affected.append(change(taken))
        if taken_quantity < block.quantity:
            untouched.append(replace(block, start=block.start + taken_quantity))
    new_blocks = normalize([*untouched, *affected])
    removed, added = diff(blocks, new_blocks)
    return OperationResult(blocks=new_blocks, removed=removed, added=added, affected=tuple(sorted(affected)))


def _held_by(account: Account) -> Callable[[UnitBlock], bool]:
    return lambda block: block.account_id == account.id and block.status is UnitStatus.HELD


# ----------------------------------------------------------------------------------------------
# Operations.


def mint(
    batch: Batch,
    holder: Account,
    buffer: Account | None = None,
    existing: Sequence[UnitBlock] = (),
) -> OperationResult:
    """Create the blocks of a newly issued batch.

    The buffer share takes the LOWEST serials (serial_start_unit .. +buffer_quantity-1) and the
    proponent's holding account the rest: the buffer contribution is deducted before the proponent
    receives its credits, and a reversal cancels from a range found without knowing the issued size.
    """
    if existing:
        raise conflict(BATCH_ALREADY_MINTED, f"batch {batch.id} already has units; it cannot be minted twice")
    require_kind(holder, AccountKind.HOLDING)
    require_open(holder)
    if holder.organization_id != batch.proponent_organization_id:
        raise invalid(
            HOLDER_NOT_PROPONENT,
            f"credits of batch {batch.id} are issued to the proponent's holding account; "
            f"account {holder.id} belongs to another organization",
        )
    blocks: list[UnitBlock] = []
    holder_start = batch.serial_start_unit
    if batch.buffer_quantity > 0:
        if buffer is None:
            raise invalid(
                BUFFER_ACCOUNT_REQUIRED,
                f"batch {batch.id} sets aside a buffer share; name the buffer account",
            )
        require_kind(buffer, AccountKind.BUFFER)
        require_open(buffer)
        if buffer.program_id != batch.program_id:
            raise invalid(
                BUFFER_PROGRAM_MISMATCH,
                f"buffer account {buffer.id} is the pool of program {buffer.program_id}, "
                f"batch {batch.id} is of program {batch.program_id}",
            )
        holder_start = batch.serial_start_unit + batch.buffer_quantity
        blocks.append(UnitBlock(batch.id, batch.serial_start_unit, holder_start - 1, buffer.id))
    if batch.holder_quantity > 0:
        blocks.append(UnitBlock(batch.id, holder_start, batch.serial_end_unit, holder.id))
    new_blocks = tuple(blocks)
    return OperationResult(blocks=new_blocks, removed=(), added=new_blocks, affected=new_blocks)


def transfer(blocks: Sequence[UnitBlock], from_account: Account, to_account: Account, quantity: int) -> OperationResult:
    """Move HELD units between two open holding accounts; they arrive HELD."""
    require_positive_quantity(quantity)
    if from_account.id == to_account.id:
        raise invalid(SAME_SOURCE_AND_TARGET, "source and target account are the same account")
    require_kind(from_account, AccountKind.HOLDING)
    require_kind(to_account, AccountKind.HOLDING)
    require_open(from_account)
    require_open(to_account)
    _require_held(blocks, from_account, quantity)
    return _take(blocks, _held_by(from_account), quantity, lambda b: replace(b, account_id=to_account.id))


def _terminate(
    blocks: Sequence[UnitBlock],
    account: Account,
    quantity: int,
    status: UnitStatus,
    into: Account | None,
    into_kind: AccountKind,
    source_kind: AccountKind = AccountKind.HOLDING,
) -> OperationResult:
    require_positive_quantity(quantity)
    require_kind(account, source_kind)
    require_open(account)
    target_id = account.id
    if into is not None:
        require_kind(into, into_kind)
        require_open(into)
        target_id = into.id
    _require_held(blocks, account, quantity)
    return _take(blocks, _held_by(account), quantity, lambda b: replace(b, account_id=target_id, status=status))


def retire(
    blocks: Sequence[UnitBlock], account: Account, quantity: int, *, into: Account | None = None
) -> OperationResult:
    """Retire (無効化) HELD units for the holder's own target. Permanent. With `into`, the units
    move to that RETIREMENT account; without, they stay in the holder's account as RETIRED."""
    return _terminate(blocks, account, quantity, UnitStatus.RETIRED, into, AccountKind.RETIREMENT)


def cancel(
    blocks: Sequence[UnitBlock], account: Account, quantity: int, *, into: Account | None = None
) -> OperationResult:
    """Cancel (取消) HELD units for use outside a target, e.g. CORSIA. Permanent; `into` must be a
    CANCELLATION account when given."""
    return _terminate(blocks, account, quantity, UnitStatus.CANCELLED, into, AccountKind.CANCELLATION)


def use_for_ndc(
    blocks: Sequence[UnitBlock], account: Account, quantity: int, *, into: Account | None = None
) -> OperationResult:
    """NDC use (償却) of HELD units towards a national target. Permanent; `into` must be an
    NDC_USE account when given."""
    return _terminate(blocks, account, quantity, UnitStatus.NDC_USED, into, AccountKind.NDC_USE)


def cancel_from_buffer(
    blocks: Sequence[UnitBlock], buffer_account: Account, quantity: int, *, into: Account | None = None
) -> OperationResult:
    """Cancel buffer units to compensate a reversal (permanence safeguard). Permanent."""
    return _terminate(
        blocks,
        buffer_account,
        quantity,
        UnitStatus.CANCELLED,
        into,
        AccountKind.CANCELLATION,
        source_kind=AccountKind.BUFFER,
    )


def lock(blocks: Sequence[UnitBlock], account: Account, quantity: int, lock_id: str) -> OperationResult:
    """Reserve HELD units of a holding account under lock_id (e.g. a sell order). Locked units
    leave the account's balance but stay in the account until settled or unlocked."""
    require_positive_quantity(quantity)
    _require_lock_id(lock_id)
    require_kind(account, AccountKind.HOLDING)
    require_open(account)
    if any(block.lock_id == lock_id for block in blocks):
        raise conflict(LOCK_ID_IN_USE, f"lock {lock_id!r} already reserves units of this batch", lock_id=lock_id)
    _require_held(blocks, account, quantity)
    return _take(
        blocks,
        _held_by(account),
        quantity,
        lambda b: replace(b, status=UnitStatus.LOCKED, lock_id=lock_id),
    )


def _require_locked(blocks: Sequence[UnitBlock], lock_id: str, quantity: int | None) -> int:
    _batch_id_of(blocks)
    reserved = sum(block.quantity for block in blocks if block.lock_id == lock_id)
    if reserved == 0:
        raise not_found(LOCK_NOT_FOUND, f"no units are locked under {lock_id!r}", lock_id=lock_id)
    if quantity is None:
        return reserved
    require_positive_quantity(quantity)
    if quantity > reserved:
        raise insufficient(
            INSUFFICIENT_BALANCE,
            f"lock {lock_id!r} reserves {reserved} units; {quantity} requested",
            lock_id=lock_id,
            available=reserved,
            requested=quantity,
        )
    return quantity


def unlock(blocks: Sequence[UnitBlock], lock_id: str, quantity: int | None = None) -> OperationResult:
    """Release locked units back to HELD in the same account; all of them when quantity is None.
    Allowed whatever the account's status: releasing a reservation never moves credits away."""
    _require_lock_id(lock_id)
    released = _require_locked(blocks, lock_id, quantity)
    return _take(
        blocks,
        lambda b: b.lock_id == lock_id,
        released,
        lambda b: replace(b, status=UnitStatus.HELD, lock_id=None),
    )


def settle(blocks: Sequence[UnitBlock], lock_id: str, quantity: int, to_account: Account) -> OperationResult:
    """Deliver locked units to the buyer's holding account as HELD, in one step: a settled trade
    never leaves units neither locked nor delivered. The seller's account status is not checked:
    the units were committed when they were locked."""
    _require_lock_id(lock_id)
    delivered = _require_locked(blocks, lock_id, require_positive_quantity(quantity))
    seller_ids = {block.account_id for block in blocks if block.lock_id == lock_id}
    if to_account.id in seller_ids:
        raise invalid(SAME_SOURCE_AND_TARGET, "a trade cannot deliver credits to the account that sold them")
    require_kind(to_account, AccountKind.HOLDING)
    require_open(to_account)
    return _take(
        blocks,
        lambda b: b.lock_id == lock_id,
        delivered,
        lambda b: replace(b, account_id=to_account.id, status=UnitStatus.HELD, lock_id=None),
    )


# ----------------------------------------------------------------------------------------------
# Across batches.


@dataclass(frozen=True, slots=True)
class BatchAvailability:
    """An account's HELD quantity in one batch, with what orders the choice between batches."""

    batch_id: str
    vintage_start: date
    vintage_end: date
    available_quantity: int

    @classmethod
    def of(cls, batch: Batch, available_quantity: int) -> BatchAvailability:
        return cls(batch.id, batch.vintage_start, batch.vintage_end, available_quantity)


@dataclass(frozen=True, slots=True)
class BatchAllocation:
    batch_id: str
    quantity: int


def plan_lock_across_batches(availability: Sequence[BatchAvailability], quantity: int) -> tuple[BatchAllocation, ...]:
    """Choose how many units to lock in each batch to deliver `quantity`: oldest vintage first
    (by vintage start, then end), then lowest batch id (see models.id_sort_key). Deterministic so
    that a retried order locks the same batches. INSUFFICIENT_BALANCE if the total is too small."""
    require_positive_quantity(quantity)
    total = sum(max(entry.available_quantity, 0) for entry in availability)
    if total < quantity:
        raise insufficient(
            INSUFFICIENT_BALANCE,
            f"{total} deliverable credits available across batches; {quantity} requested",
            available=total,
            requested=quantity,
        )
    ordered = sorted(
        (entry for entry in availability if entry.available_quantity > 0),
        key=lambda e: (e.vintage_start, e.vintage_end, id_sort_key(e.batch_id)),
    )
    plan: list[BatchAllocation] = []
    remaining = quantity
    for entry in ordered:
        if remaining == 0:
            break
        taken = min(entry.available_quantity, remaining)
        plan.append(BatchAllocation(entry.batch_id, taken))
        remaining -= taken
    return tuple(plan)
