"""Held and pending transfers (domain/safeguards.py): approval by a second ACCOUNT_HOLDER of the
sending organization, cancellation until completion, and completion once the hold has ended (by
the background worker, or lazily when an involved account or the transfer is read).

Row locks follow the registry's order: the transfer row is first read without a lock to learn its
accounts and batch, then accounts, batch, and the transfer row again FOR UPDATE (its status may
have changed in between, e.g. completed by the worker)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from carbon.registry.v1 import events_pb2, registry_pb2
from sqlalchemy import Connection, or_, select, update

from carbon_runtime.errors import DomainError, forbidden, not_found, precondition
from carbon_runtime.transport.auth import Principal, require_authenticated
from services.registry.adapters import repository as repo
from services.registry.adapters import tables as t
from services.registry.domain import ledger, safeguards
from services.registry.domain.blocks import UnitStatus
from services.registry.domain.models import Account
from services.registry.domain.safeguards import TransferStatus
from services.registry.service.common import (
    RegistryDeps,
    UnitOfWorkLike,
    actor,
    actor_org,
    blocks_to_proto,
    can_read_account,
    locked_account,
    locked_batch,
    require_holder_of,
    require_id,
    run_idempotent,
    timestamp,
    transfer_status_to_proto,
)
from services.registry.service.queries import BlockView, block_view
from services.registry.service.transfer_credits import finish_transfer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TransferState:
    """What a reader sees of any transfer: completed at once, held, pending or cancelled."""

    id: str
    from_account_id: str
    to_account_id: str
    quantity: int
    blocks: list[BlockView]
    status: TransferStatus
    completes_at: datetime | None


@dataclass(frozen=True)
class _Locked:
    row: Any
    source: Account
    target: Account


def _held_row(conn: Connection, transfer_id: str, *, for_update: bool = False) -> Any:
    query = select(t.held_transfers).where(t.held_transfers.c.id == transfer_id)
    if for_update:
        query = query.with_for_update()
    return conn.execute(query).first()


def _lock_transfer(conn: Connection, transfer_id: str) -> _Locked:
    row = _held_row(conn, transfer_id)
    if row is None:
        raise not_found(
            safeguards.TRANSFER_NOT_FOUND, f"no held or pending transfer {transfer_id}", transfer_id=transfer_id
        )
    accounts = repo.lock_accounts(conn, [row.from_account_id, row.to_account_id])
    locked_batch(conn, row.batch_id)
    row = _held_row(conn, transfer_id, for_update=True)
    return _Locked(row, locked_account(accounts, row.from_account_id), locked_account(accounts, row.to_account_id))


def _require_open_transfer(row: Any) -> TransferStatus:
    status = TransferStatus(row.status)
    if status not in safeguards.OPEN_STATUSES:
        raise precondition(
            safeguards.TRANSFER_NOT_PENDING,
            f"transfer {row.id} is {status.value}; only held or pending transfers can change",
            transfer_id=row.id,
        )
    return status


def _complete(uow: UnitOfWorkLike, locked: _Locked, now: datetime) -> None:
    """Deliver exactly the units that were locked for the transfer; refused (and left held) while
    either account is not OPEN, e.g. suspended after the transfer was requested."""
    conn = uow.conn
    row = locked.row
    ledger.require_open(locked.source)
    batch = locked_batch(conn, row.batch_id)
    result = ledger.settle(repo.load_blocks(conn, batch.id), row.lock_id, int(row.quantity), locked.target)
    finish_transfer(
        uow,
        transfer_id=row.id,
        batch=batch,
        source=locked.source,
        target=locked.target,
        result=result,
        journal_actor="registry",
        actor_user_id=row.requested_by,
        actor_organization_id=row.from_organization_id,
        idempotency_key=row.idempotency_key,
    )
    conn.execute(
        update(t.held_transfers)
        .where(t.held_transfers.c.id == row.id)
        .values(status=TransferStatus.COMPLETED.value, resolved_at=now)
    )


def approve_transfer_request(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.ApproveTransferRequest
) -> registry_pb2.ApproveTransferResponse:
    """Four eyes: a second ACCOUNT_HOLDER (another user id) of the sending organization approves.
    The transfer then completes at once, or when its hold ends if the target is not trusted.
    Publishes TransferApproved (then CreditsTransferred when it completes at once)."""
    require_authenticated(principal)
    transfer_id = require_id(request.transfer_id, "transfer_id")

    def effect(uow: UnitOfWorkLike) -> registry_pb2.ApproveTransferResponse:
        locked = _lock_transfer(uow.conn, transfer_id)
        require_holder_of(principal, locked.source, "ACCOUNT_HOLDER")
        status = _require_open_transfer(locked.row)
        if status is not TransferStatus.PENDING_APPROVAL:
            raise precondition(
                safeguards.APPROVAL_NOT_REQUIRED,
                f"transfer {transfer_id} is {status.value} and needs no (more) approval",
                transfer_id=transfer_id,
            )
        if actor(principal) == locked.row.requested_by:
            raise forbidden(
                safeguards.APPROVER_IS_INITIATOR,
                "a transfer above the approval threshold needs a second person: you requested it",
                transfer_id=transfer_id,
            )
        now = deps.clock()
        uow.conn.execute(
            update(t.held_transfers)
            .where(t.held_transfers.c.id == transfer_id)
            .values(status=TransferStatus.HELD.value, approved_by=actor(principal))
        )
        repo.append_journal(uow.conn, actor(principal), "TransferApproved", {"transfer_id": transfer_id})
        completes_at = repo.aware(locked.row.completes_at)
        completes_now = safeguards.due(TransferStatus.HELD, completes_at, now)
        outcome = TransferStatus.COMPLETED if completes_now else TransferStatus.HELD
        # The approval is published before the completion it causes: consumers see them in that order.
        uow.add_event(
            "batch",
            locked.row.batch_id,
            events_pb2.TransferApproved(
                transfer_id=transfer_id,
                batch_id=locked.row.batch_id,
                from_account_id=locked.source.id,
                to_account_id=locked.target.id,
                quantity_t=int(locked.row.quantity),
                status=transfer_status_to_proto(outcome),
                completes_at=timestamp(completes_at),
                requested_by_user_id=locked.row.requested_by,
                idempotency_key=request.idempotency_key,
                actor_user_id=actor(principal),
                actor_organization_id=actor_org(principal),
            ),
        )
        if completes_now:
            _complete(uow, locked, now)
        return registry_pb2.ApproveTransferResponse(
            transfer_id=transfer_id, status=transfer_status_to_proto(outcome), completes_at=timestamp(completes_at)
        )

    return run_idempotent(deps, principal, "ApproveTransfer", request, registry_pb2.ApproveTransferResponse, effect)


def approve_transfer(deps: RegistryDeps, principal: Principal, transfer_id: str) -> None:
    """The GraphQL mutation's form (no idempotency key)."""
    approve_transfer_request(deps, principal, registry_pb2.ApproveTransferRequest(transfer_id=transfer_id))


def cancel_transfer_request(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.CancelTransferRequest
) -> registry_pb2.CancelTransferResponse:
    """An ACCOUNT_HOLDER of the sending organization withdraws a held or pending transfer; its
    units are released to the source account's balance. Publishes TransferCancelled."""
    require_authenticated(principal)
    transfer_id = require_id(request.transfer_id, "transfer_id")

    def effect(uow: UnitOfWorkLike) -> registry_pb2.CancelTransferResponse:
        locked = _lock_transfer(uow.conn, transfer_id)
        require_holder_of(principal, locked.source, "ACCOUNT_HOLDER")
        _require_open_transfer(locked.row)
        batch = locked_batch(uow.conn, locked.row.batch_id)
        result = ledger.unlock(repo.load_blocks(uow.conn, batch.id), locked.row.lock_id)
        repo.write_result(uow.conn, result)
        repo.check_batch_ledger(uow.conn, batch, result)
        uow.conn.execute(
            update(t.held_transfers)
            .where(t.held_transfers.c.id == transfer_id)
            .values(status=TransferStatus.CANCELLED.value, cancelled_by=actor(principal), resolved_at=deps.clock())
        )
        repo.append_journal(
            uow.conn, actor(principal), "TransferCancelled", {"transfer_id": transfer_id, "quantity": result.quantity}
        )
        released = blocks_to_proto(batch, result.affected)
        uow.add_event(
            "batch",
            batch.id,
            events_pb2.TransferCancelled(
                transfer_id=transfer_id,
                batch_id=batch.id,
                from_account_id=locked.source.id,
                to_account_id=locked.target.id,
                quantity_t=result.quantity,
                blocks=released,
                idempotency_key=request.idempotency_key,
                actor_user_id=actor(principal),
                actor_organization_id=actor_org(principal),
            ),
        )
        return registry_pb2.CancelTransferResponse(transfer_id=transfer_id, blocks=released, quantity_t=result.quantity)

    return run_idempotent(deps, principal, "CancelTransfer", request, registry_pb2.CancelTransferResponse, effect)


def cancel_transfer(deps: RegistryDeps, principal: Principal, transfer_id: str) -> None:
    """The GraphQL mutation's form (no idempotency key)."""
    cancel_transfer_request(deps, principal, registry_pb2.CancelTransferRequest(transfer_id=transfer_id))


def complete_due_transfers(deps: RegistryDeps, *, account_id: str | None = None, limit: int = 100) -> int:
    """Complete HELD transfers whose hold has ended (all, or those touching one account); returns
    how many completed. One that cannot complete yet (an account not OPEN) stays held."""
    now = deps.clock()
    query = (
        select(t.held_transfers.c.id)
        .where(
            t.held_transfers.c.status == TransferStatus.HELD.value,
            t.held_transfers.c.completes_at <= now,
        )
        .order_by(t.held_transfers.c.completes_at)
        .limit(limit)
    )
    if account_id is not None:
        query = query.where(
            or_(t.held_transfers.c.from_account_id == account_id, t.held_transfers.c.to_account_id == account_id)
        )
    with deps.engine.connect() as conn:
        due_ids = [row.id for row in conn.execute(query)]
    completed = 0
    for transfer_id in due_ids:
        try:
            with deps.uow() as uow:
                locked = _lock_transfer(uow.conn, transfer_id)
                status = TransferStatus(locked.row.status)
                if not safeguards.due(status, repo.aware(locked.row.completes_at), now):
                    continue  # completed or cancelled concurrently
                _complete(uow, locked, now)
                completed += 1
        except DomainError as err:
            log.info("held transfer %s cannot complete yet: %s", transfer_id, err.message)
    return completed


def transfer_state(deps: RegistryDeps, transfer_id: str) -> TransferState | None:
    """Any transfer by id; completes it first if its hold has ended (lazy completion)."""
    with deps.engine.connect() as conn:
        held = _held_row(conn, transfer_id)
    if held is not None and TransferStatus(held.status) is TransferStatus.HELD:
        complete_due_transfers(deps, account_id=held.from_account_id)
    with deps.engine.connect() as conn:
        held = _held_row(conn, transfer_id)
        done = conn.execute(select(t.transfers).where(t.transfers.c.id == transfer_id)).first()
        row = done if done is not None else held
        if row is None:
            return None
        batch = repo.batch_from_row(repo.get_batch_row(conn, row.batch_id))
        if done is not None:
            ranges = repo.blocks_from_json(done.blocks)
            blocks = [block_view(batch, start, end, UnitStatus.HELD.value) for start, end in ranges]
        else:
            blocks = [
                block_view(batch, block.start, block.end, block.status.value)
                for block in repo.load_blocks(conn, batch.id)
                if block.lock_id == held.lock_id
            ]
    status = TransferStatus(held.status) if held is not None else TransferStatus.COMPLETED
    completes_at = repo.aware(held.completes_at) if held is not None else None
    return TransferState(
        id=row.id,
        from_account_id=row.from_account_id,
        to_account_id=row.to_account_id,
        quantity=int(row.quantity),
        blocks=blocks,
        status=status,
        completes_at=completes_at,
    )


def readable_transfer(deps: RegistryDeps, principal: Principal, transfer_id: str) -> TransferState | None:
    """Held and pending transfers are visible to readers of either account, like their balances."""
    require_authenticated(principal)
    state = transfer_state(deps, transfer_id)
    if state is None:
        return None
    with deps.engine.connect() as conn:
        organizations = {
            row.organization_id
            for account_id in (state.from_account_id, state.to_account_id)
            if (row := repo.get_account_row(conn, account_id)) is not None
        }
    if not any(can_read_account(principal, organization) for organization in organizations):
        raise forbidden(ledger.NOT_AUTHORIZED, f"you may not read transfer {transfer_id}", transfer_id=transfer_id)
    return state


class HeldTransferWorker:
    """Completes due held transfers in the background (a process worker: start/stop)."""

    def __init__(self, deps: RegistryDeps, interval_ms: int) -> None:
        self.deps = deps
        self.interval_s = interval_ms / 1000
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="held-transfers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                complete_due_transfers(self.deps)
            except Exception:  # the worker must outlive a database hiccup; the next round retries
                log.exception("completing held transfers failed")
