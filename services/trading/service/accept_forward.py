"""AcceptForward (TRADER of the buyer): price x quantity of the buyer's cash leaves `available`; the
prepayment share goes to the seller's available cash at once and the rest stays locked in escrow
until deliveries release it. The contract joins its project's fill order (acceptance order)."""

from __future__ import annotations

from decimal import Decimal

from carbon_runtime.errors import forbidden, insufficient, not_found
from services.trading.domain import forwards as fw
from services.trading.domain.actor import trader_organization
from services.trading.domain.commands import AcceptForward
from services.trading.domain.events import ForwardAccepted
from services.trading.domain.forwards import ForwardRecord
from services.trading.domain.session import Clock
from services.trading.service.common import check_account_owner
from services.trading.service.ports import RegistryPort, UnitOfWork


def handle(cmd: AcceptForward, uow: UnitOfWork, *, registry: RegistryPort, clock: Clock) -> ForwardRecord:
    actor = cmd.actor
    organization_id = trader_organization(actor)
    forward = uow.forwards.get(cmd.forward_id, for_update=True)
    if forward is None or (
        not actor.member_of(forward.buyer_organization_id) and not actor.member_of(forward.seller_organization_id)
    ):
        raise not_found("FORWARD_NOT_FOUND", f"no forward contract {cmd.forward_id!r}")
    if forward.buyer_organization_id != organization_id:
        raise forbidden("NOT_BUYER", "a forward contract is accepted by a trader of its buyer")
    check_account_owner(registry, actor, cmd.delivery_account_id, organization_id)
    now = clock.now()
    accepted = fw.accept(
        forward, delivery_account_id=cmd.delivery_account_id, seq=uow.forwards.next_accepted_seq(), at=now
    )
    total = accepted.total_amount
    cash = uow.cash.get(organization_id, accepted.currency, for_update=True)
    if cash.available < total:
        raise insufficient(
            "CASH_NOT_AVAILABLE",
            f"accepting needs {total} {accepted.currency} in escrow but {cash.available} is available",
            needed=str(total),
            available=str(cash.available),
        )
    uow.cash.adjust(
        organization_id, accepted.currency, available_delta=-total, locked_delta=accepted.escrow_amount,
        kind="FORWARD_ESCROW", reference_id=accepted.forward_id, at=now,
    )  # fmt: skip
    if accepted.prepayment_amount:
        uow.cash.adjust(
            accepted.seller_organization_id, accepted.currency, available_delta=accepted.prepayment_amount,
            locked_delta=Decimal(0), kind="FORWARD_PREPAYMENT", reference_id=accepted.forward_id, at=now,
        )  # fmt: skip
    uow.forwards.save(accepted)
    uow.emit(ForwardAccepted(accepted, cmd.idempotency_key or "", actor.name, organization_id))
    return accepted
