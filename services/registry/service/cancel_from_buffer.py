"""CancelFromBuffer (PROGRAM_ADMIN or SERVICE): cancel buffer units to compensate a reported
reversal of a removal project. Permanent. Without a batch, the program's pool is drawn on oldest
vintage first, possibly across several batches."""

from __future__ import annotations

import json
from typing import Any

from carbon.registry.v1 import events_pb2, registry_pb2
from sqlalchemy import insert

from carbon_runtime.errors import invalid, not_found
from carbon_runtime.transport.auth import Principal, require_role
from services.registry.adapters import repository as repo
from services.registry.adapters import tables as t
from services.registry.domain import ledger
from services.registry.domain.blocks import UnitBlock, held_quantity
from services.registry.domain.ledger import BatchAvailability
from services.registry.domain.models import AccountKind
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
from services.registry.service.permanent_use import serial_ranges


def cancel_from_buffer(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.CancelFromBufferRequest
) -> registry_pb2.CancelFromBufferResponse:
    require_role(principal, "PROGRAM_ADMIN", "SERVICE")
    buffer_id = require_id(request.buffer_account_id, "buffer_account_id")
    reversal_id = require_id(request.reversal_id, "reversal_id")
    quantity = ledger.require_positive_quantity(int(request.quantity_t))
    if not request.batch_id and not request.program_id:
        raise invalid("PROGRAM_REQUIRED", "name the batch, or the program whose buffer pool is drawn on")

    def effect(uow: UnitOfWorkLike) -> registry_pb2.CancelFromBufferResponse:
        conn = uow.conn
        buffer = locked_account(repo.lock_accounts(conn, [buffer_id]), buffer_id)
        ledger.require_kind(buffer, AccountKind.BUFFER)
        program_id = request.program_id or buffer.program_id or ""
        if program_id != buffer.program_id:
            raise invalid(
                ledger.BUFFER_PROGRAM_MISMATCH,
                f"buffer account {buffer.id} is the pool of program {buffer.program_id}, not {program_id}",
            )
        if request.batch_id:
            if repo.get_batch_row(conn, request.batch_id) is None:
                raise not_found("BATCH_NOT_FOUND", f"batch {request.batch_id} does not exist in the registry")
            batch_ids = [request.batch_id]
        else:
            batch_ids = repo.batch_ids_with(conn, account_id=buffer.id)
        rows = repo.lock_batches(conn, batch_ids)
        batches = {bid: repo.batch_from_row(row) for bid, row in rows.items() if row.program_id == program_id}
        blocks: dict[str, list[UnitBlock]] = {bid: repo.load_blocks(conn, bid) for bid in batches}
        plan = ledger.plan_lock_across_batches(
            [BatchAvailability.of(batches[bid], held_quantity(blocks[bid], buffer.id)) for bid in batches], quantity
        )
        cancelled: list[Any] = []
        ranges: list[str] = []
        stored: list[list[Any]] = []
        for allocation in plan:
            batch = batches[allocation.batch_id]
            result = ledger.cancel_from_buffer(blocks[batch.id], buffer, allocation.quantity)
            repo.write_result(conn, result)
            repo.check_batch_ledger(conn, batch, result)
            cancelled.extend(blocks_to_proto(batch, result.affected))
            ranges.extend(serial_ranges(batch, result.affected))
            stored.extend([batch.id, b.start, b.end] for b in result.affected)
        cancellation_id = new_id()
        entry = repo.append_journal(
            conn,
            actor(principal),
            "CancelFromBuffer",
            {
                "cancellation_id": cancellation_id,
                "buffer_account_id": buffer.id,
                "program_id": program_id,
                "quantity": quantity,
                "serial_ranges": ranges,
                "reversal_id": reversal_id,
            },
        )
        conn.execute(
            insert(t.buffer_cancellations).values(
                id=cancellation_id,
                buffer_account_id=buffer.id,
                program_id=program_id,
                batch_id=request.batch_id or None,
                quantity=quantity,
                reversal_id=reversal_id,
                reason=request.reason,
                blocks=json.dumps(stored),
                journal_sequence=entry.sequence,
                occurred_at=entry.occurred_at,
            )
        )
        uow.add_event(
            "account",
            buffer.id,
            events_pb2.BufferCancelled(
                cancellation_id=cancellation_id,
                batch_id=request.batch_id,
                buffer_account_id=buffer.id,
                quantity_t=quantity,
                blocks=cancelled,
                serial_ranges=ranges,
                reversal_id=reversal_id,
                reason=request.reason,
                idempotency_key=request.idempotency_key,
                actor_user_id=actor(principal),
                actor_organization_id=actor_org(principal),
                program_id=program_id,
            ),
        )
        return registry_pb2.CancelFromBufferResponse(cancellation_id=cancellation_id, blocks=cancelled)

    return run_idempotent(deps, principal, "CancelFromBuffer", request, registry_pb2.CancelFromBufferResponse, effect)
