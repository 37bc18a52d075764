"""Project one other service's event into the read models, once per event id.

The handler claims the event id first (`uow.projection.claim`), in the same transaction as the
event's effect, so a redelivered event changes nothing and a crash keeps either the claim and its
effect or neither. Every projection writes only facts keyed by natural ids (a batch id, a retirement
id, ...) and never reads another event's row, so the result does not depend on delivery order: a
retirement arriving before its batch is stored and joined at query time. Where two events fill in one
row (ProjectCreated/ProjectRegistered, TradeExecuted/TradeSettled) they write disjoint columns through
an upsert, which commutes. Facts are immutable (a correction is a new event), so there is no "stale
update" to guard against with per-aggregate sequence numbers.

An event that breaks a rule a reader must enforce raises MalformedEventError: the bus rolls the
transaction back (claim included) and the caller logs and skips it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from services.reporting.domain import events as ev
from services.reporting.domain.commands import ProjectEvent
from services.reporting.domain.events import MalformedEventError
from services.reporting.service.ports import BufferCancellationRecord, Projection, TransferRecord, UnitOfWork


def handle(cmd: ProjectEvent, uow: UnitOfWork) -> bool:
    """True when the event was applied now, False when it had been already (nothing changes then,
    except that a replay's position moves forward)."""
    return project(cmd, uow.projection)


def project(cmd: ProjectEvent, projection: Projection) -> bool:
    if not projection.claim(cmd.event_id):
        if cmd.position is not None:
            projection.advance_replayed_position(cmd.source, cmd.position)
        return False
    if cmd.event is not None:
        _PROJECTORS[type(cmd.event)](projection, cmd.event)
    projection.record_progress(cmd.source, cmd.event_id, cmd.occurred_at, cmd.position)
    return True


def _ranges_of(blocks: Iterable[ev.UnitBlock], batch_id: str) -> tuple[str, ...]:
    return tuple(f"{b.serial_start}-{b.serial_end}" for b in blocks if b.batch_id == batch_id)


def _transfer(
    transfer_id: str,
    kind: str,
    accounting: ev.TransferAccounting,
    blocks: tuple[ev.UnitBlock, ...],
    *,
    from_account_id: str,
    from_organization_id: str,
    to_account_id: str,
    to_organization_id: str,
    trade_id: str,
    transferred_at: datetime,
) -> TransferRecord:
    return TransferRecord(
        transfer_id=transfer_id,
        kind=kind,
        batch_id=accounting.batch_id,
        from_account_id=from_account_id,
        from_organization_id=from_organization_id,
        to_account_id=to_account_id,
        to_organization_id=to_organization_id,
        quantity_t=accounting.quantity_t,
        serial_ranges=_ranges_of(blocks, accounting.batch_id),
        itmo_first_transfer=accounting.itmo_first_transfer,
        issuer_onset=accounting.issuer_onset,
        onset_fiscal_year=accounting.onset_fiscal_year,
        trade_id=trade_id,
        transferred_at=transferred_at,
    )


def _credits_transferred(projection: Projection, e: ev.CreditsTransferred) -> None:
    projection.add_transfer(
        _transfer(
            e.transfer_id,
            "TRANSFER",
            e.accounting,
            e.blocks,
            from_account_id=e.from_account_id,
            from_organization_id=e.from_organization_id,
            to_account_id=e.to_account_id,
            to_organization_id=e.to_organization_id,
            trade_id="",
            transferred_at=e.transferred_at,
        )
    )


def _credits_settled(projection: Projection, e: ev.CreditsSettled) -> None:
    # One transfer per delivered batch, keyed settlement:batch so a settlement of two batches is two facts.
    for delivery in e.deliveries:
        projection.add_transfer(
            _transfer(
                f"{e.settlement_id}:{delivery.batch_id}",
                "SETTLEMENT",
                delivery,
                e.blocks,
                from_account_id=e.from_account_id,
                from_organization_id=e.from_organization_id,
                to_account_id=e.to_account_id,
                to_organization_id=e.to_organization_id,
                trade_id=e.trade_id,
                transferred_at=e.settled_at,
            )
        )


def _credits_retired(projection: Projection, e: ev.CreditsRetired) -> None:
    if e.retirement_year <= 0:
        # A retirement counts toward a (fiscal) year; without one no report could place it.
        raise MalformedEventError(f"retirement {e.retirement_id} has no retirement year")
    projection.add_retirement(e)


def _buffer_cancelled(projection: Projection, e: ev.BufferCancelled) -> None:
    # Tonnes per batch from the blocks (a pool-wide cancellation names several batches); without blocks
    # the whole quantity is the named batch's.
    per_batch: dict[str, int] = {}
    for block in e.blocks:
        per_batch[block.batch_id] = per_batch.get(block.batch_id, 0) + block.quantity_t
    if not per_batch:
        if not e.batch_id:
            raise MalformedEventError(f"buffer cancellation {e.cancellation_id} names neither a batch nor blocks")
        per_batch[e.batch_id] = e.quantity_t
    if sum(per_batch.values()) != e.quantity_t:
        raise MalformedEventError(f"buffer cancellation {e.cancellation_id}: blocks do not add up to quantity_t")
    for batch_id, quantity_t in sorted(per_batch.items()):
        ranges = _ranges_of(e.blocks, batch_id) or (e.serial_ranges if batch_id == e.batch_id else ())
        projection.add_buffer_cancellation(
            BufferCancellationRecord(
                cancellation_id=e.cancellation_id,
                batch_id=batch_id,
                buffer_account_id=e.buffer_account_id,
                quantity_t=quantity_t,
                serial_ranges=ranges,
                reversal_id=e.reversal_id,
                reason=e.reason,
                cancelled_at=e.cancelled_at,
            )
        )


def _reversal_reported(projection: Projection, e: ev.ReversalReported) -> None:
    if e.reversed_quantity_t <= 0:
        raise MalformedEventError(f"reversal {e.reversal_id} reverses no tonnes")
    projection.add_reversal(e)


def _trade_executed(projection: Projection, e: ev.TradeExecuted) -> None:
    if e.price is None:
        raise MalformedEventError(f"trade {e.trade_id} has no price")
    projection.record_trade_executed(e)


_PROJECTORS: dict[type, Callable[[Projection, Any], None]] = {
    ev.OrganizationCreated: lambda p, e: p.add_organization(e),
    ev.AccountOpened: lambda p, e: p.add_account(e),
    ev.BatchMinted: lambda p, e: p.add_minted_batch(e),
    ev.CreditsTransferred: _credits_transferred,
    ev.CreditsSettled: _credits_settled,
    ev.CreditsRetired: _credits_retired,
    ev.CreditsCancelled: lambda p, e: p.add_cancellation(e),
    ev.CreditsUsedForNdc: lambda p, e: p.add_ndc_use(e),
    ev.BufferCancelled: _buffer_cancelled,
    ev.ProjectCreated: lambda p, e: p.record_project_created(e),
    ev.ProjectRegistered: lambda p, e: p.record_project_registered(e),
    ev.CreditsIssued: lambda p, e: p.add_issued_batch(e),
    ev.ReversalReported: _reversal_reported,
    ev.InstrumentCreated: lambda p, e: p.add_instrument(e),
    ev.TradeExecuted: _trade_executed,
    ev.TradeSettled: lambda p, e: p.record_trade_settled(e),
}
