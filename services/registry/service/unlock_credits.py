"""Unlock (SERVICE or EXCHANGE_ADMIN): release locked units back to HELD in the same account, e.g.
when a sell order is cancelled. Without a quantity everything still locked is released."""

from __future__ import annotations

from typing import Any

from carbon.registry.v1 import events_pb2, registry_pb2

from carbon_runtime.transport.auth import Principal, require_role
from services.registry.adapters import repository as repo
from services.registry.domain import ledger
from services.registry.service.common import (
    RegistryDeps,
    UnitOfWorkLike,
    actor,
    actor_org,
    blocks_to_proto,
    require_id,
    run_idempotent,
)
from services.registry.service.locked_units import load_locked_units


def unlock_credits(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.UnlockRequest
) -> registry_pb2.UnlockResponse:
    require_role(principal, "SERVICE", "EXCHANGE_ADMIN")
    lock_id = require_id(request.lock_id, "lock_id")
    wanted = ledger.require_positive_quantity(int(request.quantity_t)) if request.HasField("quantity_t") else None

    def effect(uow: UnitOfWorkLike) -> registry_pb2.UnlockResponse:
        conn = uow.conn
        units = load_locked_units(conn, lock_id)
        quantity = units.remaining if wanted is None else wanted
        if quantity == 0:
            # Nothing is reserved any more (filled or released): releasing "everything" is a no-op.
            return registry_pb2.UnlockResponse(blocks=[], remaining_locked_t=0)
        affected: list[Any] = []
        for allocation in units.plan(quantity):
            batch = units.batches[allocation.batch_id]
            result = ledger.unlock(units.blocks[batch.id], lock_id, allocation.quantity)
            repo.write_result(conn, result)
            repo.check_batch_ledger(conn, batch, result)
            affected.extend(blocks_to_proto(batch, result.affected))
        remaining = units.remaining - quantity
        repo.append_journal(
            conn,
            actor(principal),
            "Unlock",
            {"lock_id": lock_id, "quantity": quantity, "remaining_locked": remaining},
        )
        uow.add_event(
            "lock",
            lock_id,
            events_pb2.CreditsUnlocked(
                lock_id=lock_id,
                account_id=units.lock_row.account_id,
                quantity_t=quantity,
                blocks=affected,
                remaining_locked_t=remaining,
                idempotency_key=request.idempotency_key,
                actor_user_id=actor(principal),
                actor_organization_id=actor_org(principal),
            ),
        )
        return registry_pb2.UnlockResponse(blocks=affected, remaining_locked_t=remaining)

    return run_idempotent(deps, principal, "Unlock", request, registry_pb2.UnlockResponse, effect)
