"""Lock (TRADER of the owning organization, or SERVICE for the exchange): reserve HELD units that
meet the delivery criteria, possibly across batches, oldest vintage first. Locked units leave the
account's balance until settled or unlocked; the lock id is the caller's (e.g. the order id)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from carbon_runtime.errors import conflict, forbidden, invalid, precondition
from carbon_runtime.vocabulary import AccountKind
from services.registry.domain import ledger
from services.registry.domain.actor import NOT_AUTHORIZED, require_authenticated
from services.registry.domain.blocks import UnitBlock, held_quantity
from services.registry.domain.commands import DeliveryCriteria, LockCredits
from services.registry.domain.events import Block, CreditsLocked, blocks_of
from services.registry.domain.ledger import BatchAvailability
from services.registry.domain.models import Batch
from services.registry.domain.safeguards import FOUR_EYES_REQUIRED, SafeguardPolicy
from services.registry.service.common import caused_by, locked_account, require_id
from services.registry.service.ports import RegistryUnitOfWork
from services.registry.service.results import LockResult


def matches(criteria: DeliveryCriteria, batch: Batch) -> bool:
    """Every restriction of the criteria that is set must hold for the batch."""
    return (
        (not criteria.program_ids or batch.program_id in criteria.program_ids)
        and (not criteria.credit_types or batch.credit_type in criteria.credit_types)
        and (not criteria.categories or batch.category in criteria.categories)
        and (criteria.vintage_from is None or batch.vintage_start >= criteria.vintage_from)
        and (criteria.vintage_to is None or batch.vintage_end <= criteria.vintage_to)
        and (not criteria.corresponding_adjustment_required or batch.corresponding_adjustment)
        and (not criteria.batch_id or batch.id == criteria.batch_id)
    )


def handle(
    cmd: LockCredits,
    uow: RegistryUnitOfWork,
    *,
    clock: Callable[[], datetime],
    safeguards: SafeguardPolicy = SafeguardPolicy(),
) -> LockResult:
    actor = cmd.actor
    require_authenticated(actor)
    account_id = require_id(cmd.account_id, "account_id")
    lock_id = require_id(cmd.lock_id, "lock_id")
    if len(lock_id) > 200:
        raise invalid(ledger.LOCK_ID_INVALID, "lock_id is at most 200 characters")
    quantity = ledger.require_positive_quantity(cmd.quantity_t)

    account = locked_account(uow.accounts.lock([account_id]), account_id)
    # Selling delivers the account's credits to a counterparty: with the policy on, it needs the
    # ACCOUNT_HOLDER right on the account too (a stolen TRADER login alone cannot empty it).
    seller_roles = ("TRADER", "ACCOUNT_HOLDER") if safeguards.sell_requires_account_holder else ("TRADER",)
    if not (
        actor.has_role("SERVICE")
        or (all(actor.has_role(r) for r in seller_roles) and actor.member_of(account.organization_id))
    ):
        raise forbidden(
            NOT_AUTHORIZED,
            f"only {' and '.join(seller_roles)} members of the organization owning account {account.id} "
            "may lock its credits",
            account_id=account.id,
        )
    if safeguards.four_eyes_threshold_t is not None and account.kind is AccountKind.HOLDING:
        # The exchange is a trusted venue (domain/safeguards.py), but what is locked for sale counts
        # toward the same rolling four-eyes sum as transfers; above it, a second person must approve
        # (a transfer), so crossing orders with an accomplice cannot move more than a transfer could.
        recent = uow.accounts.outgoing_since(account.id, safeguards.four_eyes_window_start(clock()))
        if safeguards.needs_approval(quantity, recent):
            raise precondition(
                FOUR_EYES_REQUIRED,
                f"selling {quantity} t would move {quantity + recent} t out of account {account.id} within "
                f"{safeguards.four_eyes_window_s} s, above the {safeguards.four_eyes_threshold_t} t that need a "
                "second person's approval; use a transfer, which another ACCOUNT_HOLDER approves",
                account_id=account.id,
            )
    if uow.records.lock_record(lock_id) is not None:
        raise conflict(ledger.LOCK_ID_IN_USE, f"lock id {lock_id!r} is already in use", lock_id=lock_id)
    candidates = [
        batch.id
        for batch_id in uow.batches.batch_ids_with(account_id=account.id)
        if (batch := uow.batches.get(batch_id)) is not None and matches(cmd.criteria, batch)
    ]
    batches = uow.batches.lock_many(candidates)
    blocks: dict[str, list[UnitBlock]] = {bid: uow.batches.blocks(bid) for bid in batches}
    plan = ledger.plan_lock_across_batches(
        [BatchAvailability.of(batches[bid], held_quantity(blocks[bid], account.id)) for bid in batches],
        quantity,
    )
    affected: list[Block] = []
    for allocation in plan:
        batch = batches[allocation.batch_id]
        result = ledger.lock(blocks[batch.id], account, allocation.quantity, lock_id)
        uow.batches.write(result)
        uow.batches.check(batch, result)
        affected.extend(blocks_of(batch, result.affected))
    uow.journal.append(
        actor.name,
        "Lock",
        {
            "lock_id": lock_id,
            "account_id": account.id,
            "quantity": quantity,
            "allocations": [[a.batch_id, a.quantity] for a in plan],
        },
    )
    uow.records.add_lock(lock_id, account, quantity, cmd.criteria, clock())
    uow.emit(
        CreditsLocked(
            lock_id=lock_id,
            account_id=account.id,
            quantity_t=quantity,
            criteria=cmd.criteria,
            blocks=tuple(affected),
            **caused_by(actor, cmd.idempotency_key),
        )
    )
    return LockResult(lock_id, tuple(affected))
