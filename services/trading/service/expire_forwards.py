"""ExpireForwards (the forward worker, on its clock): an ACTIVE contract whose delivery deadline has
passed with tonnes undelivered becomes SHORTFALL, and the escrow still locked goes back to the
buyer's available cash. A contract with a delivery still being settled waits for it (that delivery
was allocated before the deadline and counts). Each contract ends in its own transaction."""

from __future__ import annotations

from carbon_runtime.errors import DomainError
from services.trading.domain import forwards as fw
from services.trading.domain.commands import ExpireForwards
from services.trading.domain.events import ForwardFellShort
from services.trading.domain.session import Clock
from services.trading.service.ports import UnitOfWork


def handle(cmd: ExpireForwards, uow: UnitOfWork, *, clock: Clock) -> list[str]:
    now = clock.now()
    ended: list[str] = []
    for forward_id in uow.forwards.active_due(now.date()):
        forward = uow.forwards.get(forward_id, for_update=True)
        if forward is None or not fw.is_due(forward, now.date()):
            continue
        try:
            short = fw.shortfall(forward, now)
        except DomainError:
            continue
        returned = forward.escrow_locked
        if returned:
            uow.cash.adjust(
                forward.buyer_organization_id, forward.currency, available_delta=returned, locked_delta=-returned,
                kind="FORWARD_SHORTFALL_RELEASE", reference_id=forward.forward_id, at=now,
            )  # fmt: skip
        uow.forwards.save(short)
        uow.emit(ForwardFellShort(short, forward.quantity_t - forward.delivered_quantity_t, returned))
        uow.commit()
        ended.append(forward_id)
    return ended
