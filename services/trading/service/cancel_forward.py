"""CancelForward (TRADER of either party). An offer ends at once (withdrawn by the seller, declined
by the buyer). An ACTIVE contract ends by mutual agreement only: the first party's cancel is recorded,
the other party's confirms it, and the escrow still locked goes back to the buyer's available cash.
Tonnes already delivered and cash already paid stay where they are."""

from __future__ import annotations

from carbon_runtime.errors import not_found
from services.trading.domain import forwards as fw
from services.trading.domain.actor import trader_organization
from services.trading.domain.commands import CancelForward
from services.trading.domain.events import ForwardCancelled
from services.trading.domain.forwards import ForwardRecord, ForwardStatus
from services.trading.domain.session import Clock
from services.trading.service.ports import UnitOfWork


def handle(cmd: CancelForward, uow: UnitOfWork, *, clock: Clock) -> ForwardRecord:
    organization_id = trader_organization(cmd.actor)
    forward = uow.forwards.get(cmd.forward_id, for_update=True)
    if forward is None or organization_id not in forward.parties():
        raise not_found("FORWARD_NOT_FOUND", f"no forward contract {cmd.forward_id!r}")
    now = clock.now()
    updated = fw.cancel(forward, organization_id, now)
    if updated.status is ForwardStatus.CANCELLED:
        returned = forward.escrow_locked
        if returned:
            uow.cash.adjust(
                forward.buyer_organization_id, forward.currency, available_delta=returned, locked_delta=-returned,
                kind="FORWARD_ESCROW_RELEASE", reference_id=forward.forward_id, at=now,
            )  # fmt: skip
        uow.emit(ForwardCancelled(updated, returned, cmd.actor.name, organization_id))
    uow.forwards.save(updated)
    return updated
