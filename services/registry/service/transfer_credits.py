"""Transfer (ACCOUNT_HOLDER of the organization owning the source account): move HELD units of one
batch between two holding accounts, recording the ITMO first-transfer and issuer-onset facts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from carbon_runtime.rules.shk_onset import adds_back_on_transfer
from services.registry.domain import fiscal, ledger, safeguards
from services.registry.domain.actor import require_authenticated
from services.registry.domain.blocks import OperationResult, UnitBlock
from services.registry.domain.commands import TransferCredits
from services.registry.domain.events import CreditsTransferred, TransferAccounting, TransferHeld, blocks_of
from services.registry.domain.models import Account, AccountKind, Batch
from services.registry.domain.safeguards import SafeguardPolicy, TransferStatus
from services.registry.service.common import (
    caused_by,
    locked_account,
    locked_batch,
    require_holder_of,
    require_id,
    require_some_held,
)
from services.registry.service.ports import HeldTransfer, OwnershipChange, RegistryUnitOfWork
from services.registry.service.results import TransferResult


def record_ownership_change(
    uow: RegistryUnitOfWork,
    *,
    transfer_id: str,
    kind: str,
    batch: Batch,
    source: Account,
    target: Account,
    result: OperationResult,
    journal_sequence: int,
    occurred_at: datetime,
    settlement_id: str | None = None,
    trade_id: str | None = None,
) -> TransferAccounting:
    """Write the transfer record and the ITMO first-transfer ranges; return the accounting facts."""
    # The ranges recorded earlier only matter when the move can be an ITMO first transfer at all.
    # First transfer = the units leave the host Party (carbon_runtime.rules.first_transfer, as the
    # Article 6 report reads it), so the parties are the organizations' countries.
    from_party, to_party = "", ""
    if batch.is_authorized:
        from_party = uow.accounts.organization_country(source.organization_id) or ""
        to_party = uow.accounts.organization_country(target.organization_id) or ""
    could_be_first = batch.is_authorized and fiscal.could_be_first_transfer(batch, from_party, to_party)
    earlier = uow.batches.first_transferred_ranges(batch.id) if could_be_first else []
    first = fiscal.itmo_first_transfers(batch, from_party, to_party, result.affected, earlier)
    # SHK onset (図 3, 脚注 8): only the proponent's own domestic reduction credits, the rule reporting's
    # SHK report adds up too.
    onset = adds_back_on_transfer(
        proponent_organization_id=batch.proponent_organization_id,
        from_organization_id=source.organization_id,
        to_organization_id=target.organization_id,
        credit_type=batch.credit_type,
        host_country=batch.host_country,
    )
    onset_year = fiscal.japanese_fiscal_year(occurred_at) if onset else None
    uow.records.add_ownership_change(
        OwnershipChange(
            transfer_id=transfer_id,
            kind=kind,
            batch_id=batch.id,
            from_account_id=source.id,
            from_organization_id=source.organization_id,
            to_account_id=target.id,
            to_organization_id=target.organization_id,
            quantity_t=result.quantity,
            itmo_first_transfer_quantity_t=sum(end - start + 1 for start, end in first),
            issuer_onset=onset,
            onset_fiscal_year=onset_year,
            blocks=result.affected,
            journal_sequence=journal_sequence,
            occurred_at=occurred_at,
            settlement_id=settlement_id,
            trade_id=trade_id,
        ),
        first,
    )
    return TransferAccounting(
        batch_id=batch.id,
        quantity_t=result.quantity,
        itmo_first_transfer=bool(first),
        issuer_onset=onset,
        onset_fiscal_year=onset_year or 0,
    )


def finish_transfer(
    uow: RegistryUnitOfWork,
    *,
    transfer_id: str,
    batch: Batch,
    source: Account,
    target: Account,
    result: OperationResult,
    journal_actor: str,
    actor_user_id: str,
    actor_organization_id: str,
    idempotency_key: str,
) -> TransferResult:
    """Journal, write back and publish a move whose units `result` delivers to the target; the
    same for a transfer that completes at once and for a held one completing later."""
    entry = uow.journal.append(
        journal_actor,
        "Transfer",
        {
            "transfer_id": transfer_id,
            "batch_id": batch.id,
            "from_account_id": source.id,
            "to_account_id": target.id,
            "quantity": result.quantity,
            "units": [[b.start, b.end] for b in result.affected],
        },
    )
    uow.batches.write(result)
    uow.batches.check(batch, result)
    accounting = record_ownership_change(
        uow,
        transfer_id=transfer_id,
        kind="TRANSFER",
        batch=batch,
        source=source,
        target=target,
        result=result,
        journal_sequence=entry.sequence,
        occurred_at=entry.occurred_at,
    )
    moved = blocks_of(batch, result.affected)
    uow.emit(
        CreditsTransferred(
            transfer_id=transfer_id,
            batch_id=batch.id,
            from_account_id=source.id,
            from_organization_id=source.organization_id,
            to_account_id=target.id,
            to_organization_id=target.organization_id,
            quantity_t=result.quantity,
            blocks=moved,
            accounting=accounting,
            idempotency_key=idempotency_key,
            actor_user_id=actor_user_id,
            actor_organization_id=actor_organization_id,
        )
    )
    return TransferResult(
        transfer_id=transfer_id,
        batch_id=batch.id,
        from_account_id=source.id,
        to_account_id=target.id,
        quantity_t=result.quantity,
        status=TransferStatus.COMPLETED,
        blocks=moved,
        accounting=accounting,
        transferred_at=entry.occurred_at,
    )


def target_is_trusted(uow: RegistryUnitOfWork, source: Account, target: Account, now: datetime) -> bool:
    if source.organization_id == target.organization_id:
        return True  # always trusted (safeguards.is_trusted): no need to read the list
    entry = uow.records.trusted_entry(source.id, target.id)
    return safeguards.is_trusted(
        same_organization=False,
        entry_effective_at=entry.effective_at if entry is not None else None,
        now=now,
    )


def hold_transfer(
    uow: RegistryUnitOfWork,
    cmd: TransferCredits,
    *,
    transfer_id: str,
    plan: safeguards.TransferPlan,
    batch: Batch,
    blocks: list[UnitBlock],
    source: Account,
    target: Account,
    quantity: int,
    now: datetime,
) -> TransferResult:
    """Lock the units for the transfer instead of moving them: they leave the source's balance and
    cannot be retired, sold or transferred elsewhere until the transfer completes or is cancelled."""
    ledger.transfer(blocks, source, target, quantity)  # the move must be valid now, not only later
    lock_id = safeguards.hold_lock_id(transfer_id)
    result = ledger.lock(blocks, source, quantity, lock_id)
    uow.batches.write(result)
    uow.batches.check(batch, result)
    uow.records.add_held_transfer(
        HeldTransfer(
            id=transfer_id,
            batch_id=batch.id,
            from_account_id=source.id,
            from_organization_id=source.organization_id,
            to_account_id=target.id,
            quantity_t=quantity,
            lock_id=lock_id,
            status=plan.status,
            requested_by=cmd.actor.name,
            idempotency_key=cmd.idempotency_key or "",
            requested_at=now,
            completes_at=plan.completes_at,
        )
    )
    uow.journal.append(
        cmd.actor.name,
        "TransferHeld",
        {
            "transfer_id": transfer_id,
            "batch_id": batch.id,
            "from_account_id": source.id,
            "to_account_id": target.id,
            "quantity": quantity,
            "status": plan.status.value,
            "completes_at": plan.completes_at.isoformat(),
        },
    )
    locked = blocks_of(batch, result.affected)
    # Keyed by the batch like the CreditsTransferred or TransferCancelled that ends the hold.
    uow.emit(
        TransferHeld(
            transfer_id=transfer_id,
            batch_id=batch.id,
            from_account_id=source.id,
            from_organization_id=source.organization_id,
            to_account_id=target.id,
            to_organization_id=target.organization_id,
            quantity_t=quantity,
            status=plan.status,
            completes_at=plan.completes_at,
            blocks=locked,
            **caused_by(cmd.actor, cmd.idempotency_key),
        )
    )
    return TransferResult(
        transfer_id=transfer_id,
        batch_id=batch.id,
        from_account_id=source.id,
        to_account_id=target.id,
        quantity_t=quantity,
        status=plan.status,
        blocks=locked,
        completes_at=plan.completes_at,
    )


def handle(
    cmd: TransferCredits,
    uow: RegistryUnitOfWork,
    *,
    safeguards: SafeguardPolicy,
    clock: Callable[[], datetime],
    new_id: Callable[[], str],
) -> TransferResult:
    """Moves at once unless a safeguard applies (target not on the effective trusted list while a
    hold is configured, or quantity above the four-eyes threshold): then the units are locked and
    the result names a HELD or PENDING_APPROVAL transfer without accounting or transfer time."""
    actor = cmd.actor
    require_authenticated(actor)
    from_id = require_id(cmd.from_account_id, "from_account_id")
    to_id = require_id(cmd.to_account_id, "to_account_id")
    batch_id = require_id(cmd.batch_id, "batch_id")
    quantity = ledger.require_positive_quantity(cmd.quantity_t)

    accounts = uow.accounts.lock([from_id, to_id])
    source = locked_account(accounts, from_id)
    target = locked_account(accounts, to_id)
    batch = locked_batch(uow, batch_id)
    # Authorization after the referenced accounts and batch exist: a refusal counts toward the
    # source account's suspension, so it must be about a real request.
    require_holder_of(actor, source, "ACCOUNT_HOLDER")
    blocks = uow.batches.blocks(batch.id)
    if source.kind is AccountKind.HOLDING and target.kind is AccountKind.HOLDING:
        require_some_held(blocks, source, batch.id, quantity)
    now = clock()
    # Without a hold on untrusted targets the plan does not depend on the trusted list: skip reading it.
    trusted = not safeguards.holds_untrusted_transfers or target_is_trusted(uow, source, target, now)
    # Four-eyes counts what already left the account in the rolling window: splitting a theft into
    # transfers just under the threshold does not escape the second person.
    recent = (
        uow.accounts.outgoing_since(source.id, safeguards.four_eyes_window_start(now))
        if safeguards.four_eyes_threshold_t is not None
        else 0
    )
    plan = safeguards.plan(quantity=quantity, target_trusted=trusted, now=now, recent_outgoing_t=recent)
    if not plan.immediate:
        return hold_transfer(
            uow,
            cmd,
            transfer_id=new_id(),
            plan=plan,
            batch=batch,
            blocks=blocks,
            source=source,
            target=target,
            quantity=quantity,
            now=now,
        )
    return finish_transfer(
        uow,
        transfer_id=new_id(),
        batch=batch,
        source=source,
        target=target,
        result=ledger.transfer(blocks, source, target, quantity),
        journal_actor=actor.name,
        actor_user_id=actor.name,
        actor_organization_id=actor.org,
        idempotency_key=cmd.idempotency_key or "",
    )
