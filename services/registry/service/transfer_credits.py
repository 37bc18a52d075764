"""Transfer (ACCOUNT_HOLDER of the organization owning the source account): move HELD units of one
batch between two holding accounts, recording the ITMO first-transfer and issuer-onset facts."""

from __future__ import annotations

from datetime import datetime

from carbon.registry.v1 import events_pb2, registry_pb2, types_pb2
from sqlalchemy import Connection, insert

from carbon_runtime.auth import Principal, require_authenticated
from services.registry.adapters import repository as repo
from services.registry.adapters import tables as t
from services.registry.domain import fiscal, ledger
from services.registry.domain.blocks import OperationResult
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
    first = fiscal.itmo_first_transfers(
        batch, source, target, result.affected, repo.first_transferred_ranges(conn, batch.id)
    )
    for start, end in first:
        conn.execute(
            insert(t.itmo_first_transfers).values(
                batch_id=batch.id, start_unit=start, end_unit=end, transfer_id=transfer_id
            )
        )
    onset = fiscal.is_proponent_outbound(batch, source, target)
    onset_year = fiscal.japanese_fiscal_year(occurred_at) if onset else None
    conn.execute(
        insert(t.transfers).values(
            id=transfer_id,
            kind=kind,
            settlement_id=settlement_id,
            trade_id=trade_id,
            batch_id=batch.id,
            from_account_id=source.id,
            from_organization_id=source.organization_id,
            to_account_id=target.id,
            to_organization_id=target.organization_id,
            quantity=result.quantity,
            itmo_first_transfer=bool(first),
            itmo_first_transfer_quantity=sum(end - start + 1 for start, end in first),
            issuer_onset=onset,
            onset_fiscal_year=onset_year,
            blocks=repo.blocks_json(result.affected),
            journal_sequence=journal_sequence,
            occurred_at=occurred_at,
        )
    )
    return types_pb2.TransferAccounting(
        batch_id=batch.id,
        quantity_t=result.quantity,
        itmo_first_transfer=bool(first),
        issuer_onset=onset,
        onset_fiscal_year=onset_year or 0,
    )


def transfer_credits(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.TransferRequest
) -> registry_pb2.TransferResponse:
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
        result = ledger.transfer(blocks, source, target, quantity)
        transfer_id = new_id()
        entry = repo.append_journal(
            conn,
            actor(principal),
            "Transfer",
            {
                "transfer_id": transfer_id,
                "batch_id": batch.id,
                "from_account_id": source.id,
                "to_account_id": target.id,
                "quantity": quantity,
                "units": [[b.start, b.end] for b in result.affected],
            },
        )
        repo.write_result(conn, result)
        repo.check_batch_ledger(conn, batch)
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
                quantity_t=quantity,
                blocks=moved,
                accounting=accounting,
                idempotency_key=request.idempotency_key,
                actor_user_id=actor(principal),
                actor_organization_id=actor_org(principal),
            ),
        )
        return registry_pb2.TransferResponse(
            transfer_id=transfer_id,
            blocks=moved,
            accounting=accounting,
            transferred_at=timestamp(entry.occurred_at),
        )

    return run_idempotent(deps, principal, "Transfer", request, registry_pb2.TransferResponse, effect)
