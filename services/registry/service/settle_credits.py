"""Settle (SERVICE or EXCHANGE_ADMIN): deliver locked units to the buyer's holding account in one
transaction, so a settled trade never leaves units neither locked nor delivered. Each batch
delivered is reported with its ITMO first-transfer and issuer-onset facts."""

from __future__ import annotations

from typing import Any

from carbon.registry.v1 import events_pb2, registry_pb2, types_pb2
from sqlalchemy import insert

from carbon_runtime.transport.auth import Principal, require_role
from services.registry.adapters import repository as repo
from services.registry.adapters import tables as t
from services.registry.domain import ledger
from services.registry.service.common import (
    RegistryDeps,
    UnitOfWorkLike,
    actor,
    actor_org,
    blocks_to_proto,
    locked_account,
    new_id,
    require_id,
    run_idempotent,
)
from services.registry.service.locked_units import load_locked_units
from services.registry.service.transfer_credits import record_ownership_change


def settle_credits(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.SettleRequest
) -> registry_pb2.SettleResponse:
    require_role(principal, "SERVICE", "EXCHANGE_ADMIN")
    lock_id = require_id(request.lock_id, "lock_id")
    to_id = require_id(request.to_account_id, "to_account_id")
    trade_id = require_id(request.trade_id, "trade_id")
    quantity = ledger.require_positive_quantity(int(request.quantity_t))

    def effect(uow: UnitOfWorkLike) -> registry_pb2.SettleResponse:
        conn = uow.conn
        units = load_locked_units(conn, lock_id, to_id)
        target = locked_account(units.accounts, to_id)
        source = locked_account(units.accounts, units.lock_row.account_id)
        plan = units.plan(quantity)
        settlement_id = new_id()
        entry = repo.append_journal(
            conn,
            actor(principal),
            "Settle",
            {
                "settlement_id": settlement_id,
                "lock_id": lock_id,
                "trade_id": trade_id,
                "to_account_id": target.id,
                "quantity": quantity,
                "allocations": [[a.batch_id, a.quantity] for a in plan],
            },
        )
        delivered: list[Any] = []
        deliveries: list[types_pb2.TransferAccounting] = []
        for index, allocation in enumerate(plan, start=1):
            batch = units.batches[allocation.batch_id]
            result = ledger.settle(units.blocks[batch.id], lock_id, allocation.quantity, target)
            repo.write_result(conn, result)
            repo.check_batch_ledger(conn, batch, result)
            deliveries.append(
                record_ownership_change(
                    conn,
                    transfer_id=f"{settlement_id}-{index}",
                    kind="SETTLEMENT",
                    batch=batch,
                    source=source,
                    target=target,
                    result=result,
                    journal_sequence=entry.sequence,
                    occurred_at=entry.occurred_at,
                    settlement_id=settlement_id,
                    trade_id=trade_id,
                )
            )
            delivered.extend(blocks_to_proto(batch, result.affected))
        conn.execute(
            insert(t.settlements).values(
                id=settlement_id,
                lock_id=lock_id,
                trade_id=trade_id,
                to_account_id=target.id,
                quantity=quantity,
                journal_sequence=entry.sequence,
                occurred_at=entry.occurred_at,
            )
        )
        remaining = units.remaining - quantity
        uow.add_event(
            "lock",
            lock_id,
            events_pb2.CreditsSettled(
                settlement_id=settlement_id,
                lock_id=lock_id,
                trade_id=trade_id,
                from_account_id=source.id,
                from_organization_id=source.organization_id,
                to_account_id=target.id,
                to_organization_id=target.organization_id,
                quantity_t=quantity,
                blocks=delivered,
                deliveries=deliveries,
                remaining_locked_t=remaining,
                idempotency_key=request.idempotency_key,
                actor_user_id=actor(principal),
                actor_organization_id=actor_org(principal),
            ),
        )
        return registry_pb2.SettleResponse(
            settlement_id=settlement_id, blocks=delivered, deliveries=deliveries, remaining_locked_t=remaining
        )

    return run_idempotent(deps, principal, "Settle", request, registry_pb2.SettleResponse, effect)
