"""Transfer (ACCOUNT_HOLDER of the organization owning the source account): move HELD units of one
batch between two holding accounts, recording the ITMO first-transfer and issuer-onset facts."""

from __future__ import annotations

from datetime import datetime

from carbon.registry.v1 import events_pb2, registry_pb2, types_pb2
from sqlalchemy import Connection, insert, select

from carbon_runtime.transport.auth import Principal, require_authenticated
from services.registry.adapters import repository as repo
from services.registry.adapters import tables as t
from services.registry.domain import fiscal, ledger, safeguards
from services.registry.domain.blocks import OperationResult, UnitBlock
from services.registry.domain.models import Account, AccountKind, Batch
from services.registry.service.common import (
    RegistryDeps,
    UnitOfWorkLike,
    actor,
    actor_org,
    blocks_to_proto,
    locked_account,
    locked_batch,
    new_id,
    require_holder_of,
    require_id,
    require_some_held,
    run_idempotent,
    timestamp,
    transfer_status_to_proto,
)


def record_ownership_change(
    conn: Connection,
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
) -> types_pb2.TransferAccounting:
    """Write the transfer row and the ITMO first-transfer ranges; return the accounting facts."""
    # The ranges recorded earlier only matter when the move can be an ITMO first transfer at all.
    could_be_first = batch.is_authorized and fiscal.is_proponent_outbound(batch, source, target)
    earlier = repo.first_transferred_ranges(conn, batch.id) if could_be_first else []
    first = fiscal.itmo_first_transfers(batch, source, target, result.affected, earlier)
    if first:
        conn.execute(
            insert(t.itmo_first_transfers),
            [
                {"batch_id": batch.id, "start_unit": start, "end_unit": end, "transfer_id": transfer_id}
                for start, end in first
            ],
        )
    onset = fiscal.is_proponent_outbound(batch, source, target)
    onset_year = fiscal.japanese_fiscal_year(occurred_at) if onset else None
    conn.execute(
        insert(t.transfers),
        {
            "id": transfer_id,
            "kind": kind,
            "settlement_id": settlement_id,
            "trade_id": trade_id,
            "batch_id": batch.id,
            "from_account_id": source.id,
            "from_organization_id": source.organization_id,
            "to_account_id": target.id,
            "to_organization_id": target.organization_id,
            "quantity": result.quantity,
            "itmo_first_transfer": bool(first),
            "itmo_first_transfer_quantity": sum(end - start + 1 for start, end in first),
            "issuer_onset": onset,
            "onset_fiscal_year": onset_year,
            "blocks": repo.blocks_json(result.affected),
            "journal_sequence": journal_sequence,
            "occurred_at": occurred_at,
        },
    )
    return types_pb2.TransferAccounting(
        batch_id=batch.id,
        quantity_t=result.quantity,
        itmo_first_transfer=bool(first),
        issuer_onset=onset,
        onset_fiscal_year=onset_year or 0,
    )


def finish_transfer(
    uow: UnitOfWorkLike,
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
) -> registry_pb2.TransferResponse:
    """Journal, write back and publish a move whose units `result` delivers to the target; the
    same for a transfer that completes at once and for a held one completing later."""
    conn = uow.conn
    entry = repo.append_journal(
        conn,
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
    repo.write_result(conn, result)
    repo.check_batch_ledger(conn, batch, result)
    accounting = record_ownership_change(
        conn,
        transfer_id=transfer_id,
        kind="TRANSFER",
        batch=batch,
        source=source,
        target=target,
        result=result,
        journal_sequence=entry.sequence,
        occurred_at=entry.occurred_at,
    )
    moved = blocks_to_proto(batch, result.affected)
    uow.add_event(
        "batch",
        batch.id,
        events_pb2.CreditsTransferred(
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
        ),
    )
    return registry_pb2.TransferResponse(
        transfer_id=transfer_id,
        blocks=moved,
        accounting=accounting,
        transferred_at=timestamp(entry.occurred_at),
    )


def target_is_trusted(conn: Connection, source: Account, target: Account, now: datetime) -> bool:
    if source.organization_id == target.organization_id:
        return True  # always trusted (safeguards.is_trusted): no need to read the list
    entry = conn.execute(
        select(t.trusted_accounts.c.effective_at).where(
            t.trusted_accounts.c.account_id == source.id,
            t.trusted_accounts.c.trusted_account_id == target.id,
        )
    ).first()
    return safeguards.is_trusted(
        same_organization=source.organization_id == target.organization_id,
        entry_effective_at=repo.aware(entry.effective_at) if entry is not None else None,
        now=now,
    )


def hold_transfer(
    uow: UnitOfWorkLike,
    principal: Principal,
    *,
    plan: safeguards.TransferPlan,
    batch: Batch,
    blocks: list[UnitBlock],
    source: Account,
    target: Account,
    quantity: int,
    idempotency_key: str,
    now: datetime,
) -> registry_pb2.TransferResponse:
    """Lock the units for the transfer instead of moving them: they leave the source's balance and
    cannot be retired, sold or transferred elsewhere until the transfer completes or is cancelled."""
    conn = uow.conn
    ledger.transfer(blocks, source, target, quantity)  # the move must be valid now, not only later
    transfer_id = new_id()
    lock_id = safeguards.hold_lock_id(transfer_id)
    result = ledger.lock(blocks, source, quantity, lock_id)
    repo.write_result(conn, result)
    repo.check_batch_ledger(conn, batch, result)
    conn.execute(
        insert(t.held_transfers).values(
            id=transfer_id,
            batch_id=batch.id,
            from_account_id=source.id,
            from_organization_id=source.organization_id,
            to_account_id=target.id,
            quantity=quantity,
            lock_id=lock_id,
            status=plan.status.value,
            needs_approval=plan.status is safeguards.TransferStatus.PENDING_APPROVAL,
            requested_by=actor(principal),
            idempotency_key=idempotency_key,
            requested_at=now,
            completes_at=plan.completes_at,
        )
    )
    repo.append_journal(
        conn,
        actor(principal),
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
    locked = blocks_to_proto(batch, result.affected)
    # Keyed by the batch like the CreditsTransferred or TransferCancelled that ends the hold.
    uow.add_event(
        "batch",
        batch.id,
        events_pb2.TransferHeld(
            transfer_id=transfer_id,
            batch_id=batch.id,
            from_account_id=source.id,
            from_organization_id=source.organization_id,
            to_account_id=target.id,
            to_organization_id=target.organization_id,
            quantity_t=quantity,
            status=transfer_status_to_proto(plan.status),
            completes_at=timestamp(plan.completes_at),
            blocks=locked,
            idempotency_key=idempotency_key,
            actor_user_id=actor(principal),
            actor_organization_id=actor_org(principal),
        ),
    )
    return registry_pb2.TransferResponse(transfer_id=transfer_id, blocks=locked)


def transfer_credits(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.TransferRequest
) -> registry_pb2.TransferResponse:
    """Moves at once unless a safeguard applies (target not on the effective trusted list while a
    hold is configured, or quantity above the four-eyes threshold): then the units are locked and
    the response names a HELD or PENDING_APPROVAL transfer without accounting or transfer time."""
    require_authenticated(principal)
    from_id = require_id(request.from_account_id, "from_account_id")
    to_id = require_id(request.to_account_id, "to_account_id")
    batch_id = require_id(request.batch_id, "batch_id")
    quantity = ledger.require_positive_quantity(int(request.quantity_t))

    def effect(uow: UnitOfWorkLike) -> registry_pb2.TransferResponse:
        conn = uow.conn
        accounts = repo.lock_accounts(conn, [from_id, to_id])
        source = locked_account(accounts, from_id)
        require_holder_of(principal, source, "ACCOUNT_HOLDER")
        target = locked_account(accounts, to_id)
        batch = locked_batch(conn, batch_id)
        blocks = repo.load_blocks(conn, batch.id)
        if source.kind is AccountKind.HOLDING and target.kind is AccountKind.HOLDING:
            require_some_held(blocks, source, batch.id, quantity)
        now = deps.clock()
        policy = deps.safeguards
        # Without a hold on untrusted targets the plan does not depend on the trusted list: skip reading it.
        trusted = not policy.holds_untrusted_transfers or target_is_trusted(conn, source, target, now)
        plan = policy.plan(quantity=quantity, target_trusted=trusted, now=now)
        if not plan.immediate:
            return hold_transfer(
                uow,
                principal,
                plan=plan,
                batch=batch,
                blocks=blocks,
                source=source,
                target=target,
                quantity=quantity,
                idempotency_key=request.idempotency_key,
                now=now,
            )
        return finish_transfer(
            uow,
            transfer_id=new_id(),
            batch=batch,
            source=source,
            target=target,
            result=ledger.transfer(blocks, source, target, quantity),
            journal_actor=actor(principal),
            actor_user_id=actor(principal),
            actor_organization_id=actor_org(principal),
            idempotency_key=request.idempotency_key,
        )

    return run_idempotent(deps, principal, "Transfer", request, registry_pb2.TransferResponse, effect)
