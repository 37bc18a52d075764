"""Lock (TRADER of the owning organization, or SERVICE for the exchange): reserve HELD units that
meet the delivery criteria, possibly across batches, oldest vintage first. Locked units leave the
account's balance until settled or unlocked; the lock id is the caller's (e.g. the order id)."""

from __future__ import annotations

from datetime import date
from typing import Any

from carbon.registry.v1 import events_pb2, registry_pb2, types_pb2
from sqlalchemy import insert, select

from carbon_runtime.errors import conflict, forbidden, invalid
from carbon_runtime.transport.auth import Principal, require_authenticated
from services.registry.adapters import repository as repo
from services.registry.adapters import tables as t
from services.registry.domain import ledger
from services.registry.domain.blocks import UnitBlock, held_quantity
from services.registry.domain.ledger import BatchAvailability
from services.registry.domain.models import Batch
from services.registry.service.common import (
    RegistryDeps,
    UnitOfWorkLike,
    actor,
    actor_org,
    blocks_to_proto,
    category_name,
    credit_type_name,
    locked_account,
    require_id,
    run_idempotent,
)


def _bound(text: str, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise invalid("DATE_MALFORMED", f"{field} must be an ISO 8601 date YYYY-MM-DD", field=field) from None


def criteria_filter(criteria: types_pb2.DeliveryCriteria) -> Any:
    """A predicate over batch rows; every restriction that is set must hold."""
    programs = set(criteria.program_ids)
    credit_types = {credit_type_name(v) for v in criteria.credit_types}
    categories = {category_name(v) for v in criteria.categories}
    vintage_from = _bound(criteria.vintage_from, "vintage_from")
    vintage_to = _bound(criteria.vintage_to, "vintage_to")

    def matches(row: Any) -> bool:
        return (
            (not programs or row.program_id in programs)
            and (not credit_types or row.credit_type in credit_types)
            and (not categories or row.category in categories)
            and (vintage_from is None or row.vintage_start >= vintage_from)
            and (vintage_to is None or row.vintage_end <= vintage_to)
            and (not criteria.corresponding_adjustment_required or bool(row.corresponding_adjustment))
            and (not criteria.batch_id or row.id == criteria.batch_id)
        )

    return matches


def lock_credits(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.LockRequest
) -> registry_pb2.LockResponse:
    require_authenticated(principal)
    account_id = require_id(request.account_id, "account_id")
    lock_id = require_id(request.lock_id, "lock_id")
    if len(lock_id) > 200:
        raise invalid(ledger.LOCK_ID_INVALID, "lock_id is at most 200 characters")
    quantity = ledger.require_positive_quantity(int(request.quantity_t))
    matches = criteria_filter(request.criteria)

    def effect(uow: UnitOfWorkLike) -> registry_pb2.LockResponse:
        conn = uow.conn
        account = locked_account(repo.lock_accounts(conn, [account_id]), account_id)
        if not (
            principal.has_role("SERVICE")
            or (principal.has_role("TRADER") and principal.member_of(account.organization_id))
        ):
            raise forbidden(
                ledger.NOT_AUTHORIZED,
                f"only TRADER members of the organization owning account {account.id} may lock its credits",
                account_id=account.id,
            )
        if conn.execute(select(t.locks.c.id).where(t.locks.c.id == lock_id)).first() is not None:
            raise conflict(ledger.LOCK_ID_IN_USE, f"lock id {lock_id!r} is already in use", lock_id=lock_id)
        candidates = [
            row
            for batch_id in repo.batch_ids_with(conn, account_id=account.id)
            if (row := repo.get_batch_row(conn, batch_id)) is not None and matches(row)
        ]
        rows = repo.lock_batches(conn, [row.id for row in candidates])
        batches: dict[str, Batch] = {bid: repo.batch_from_row(row) for bid, row in rows.items()}
        blocks: dict[str, list[UnitBlock]] = {bid: repo.load_blocks(conn, bid) for bid in batches}
        plan = ledger.plan_lock_across_batches(
            [BatchAvailability.of(batches[bid], held_quantity(blocks[bid], account.id)) for bid in batches],
            quantity,
        )
        affected: list[Any] = []
        for allocation in plan:
            batch = batches[allocation.batch_id]
            result = ledger.lock(blocks[batch.id], account, allocation.quantity, lock_id)
            repo.write_result(conn, result)
            repo.check_batch_ledger(conn, batch, result)
            affected.extend(blocks_to_proto(batch, result.affected))
        repo.append_journal(
            conn,
            actor(principal),
            "Lock",
            {
                "lock_id": lock_id,
                "account_id": account.id,
                "quantity": quantity,
                "allocations": [[a.batch_id, a.quantity] for a in plan],
            },
        )
        conn.execute(
            insert(t.locks).values(
                id=lock_id,
                account_id=account.id,
                organization_id=account.organization_id,
                locked_quantity=quantity,
                criteria=request.criteria.SerializeToString(),
                created_at=repo.utcnow(),
            )
        )
        uow.add_event(
            "lock",
            lock_id,
            events_pb2.CreditsLocked(
                lock_id=lock_id,
                account_id=account.id,
                quantity_t=quantity,
                criteria=request.criteria,
                blocks=affected,
                idempotency_key=request.idempotency_key,
                actor_user_id=actor(principal),
                actor_organization_id=actor_org(principal),
            ),
        )
        return registry_pb2.LockResponse(lock_id=lock_id, blocks=affected)

    return run_idempotent(deps, principal, "Lock", request, registry_pb2.LockResponse, effect)
