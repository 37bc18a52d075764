"""OfferForward (TRADER of the project's proponent): a forward contract on tonnes not issued yet.

Nothing is locked on an offer: the seller's credits do not exist yet and the buyer has not agreed.
The project's proponent is known from issuance's ProjectCreated events (entrypoints/consumer.py);
a project the exchange has not heard of yet is UNAVAILABLE (retry once issuance's event arrived).
"""

from __future__ import annotations

import uuid

from carbon_runtime.errors import DomainError, ErrorCode, forbidden, invalid
from services.trading.domain.actor import trader_organization
from services.trading.domain.commands import OfferForward
from services.trading.domain.events import ForwardOffered
from services.trading.domain.forwards import ForwardRecord, ForwardStatus, validate_offer
from services.trading.domain.session import Clock
from services.trading.service.bounds import require_money_in_range
from services.trading.service.common import check_account_owner
from services.trading.service.ports import RegistryPort, UnitOfWork


def handle(cmd: OfferForward, uow: UnitOfWork, *, registry: RegistryPort, clock: Clock) -> ForwardRecord:
    actor = cmd.actor
    organization_id = trader_organization(actor)
    now = clock.now()
    validate_offer(
        quantity_t=cmd.quantity_t,
        price_per_tonne=cmd.price_per_tonne,
        currency=cmd.currency,
        vintage_from=cmd.vintage_from,
        vintage_to=cmd.vintage_to,
        delivery_deadline=cmd.delivery_deadline,
        prepayment_share=cmd.prepayment_share,
        today=now.date(),
    )
    require_money_in_range(cmd.price_per_tonne, "input.pricePerTonne")
    require_money_in_range(cmd.price_per_tonne * cmd.quantity_t, "input.quantity")
    if cmd.buyer_organization_id == organization_id:
        raise invalid("BUYER_IS_SELLER", "the buyer must be another organization", field="input.buyerOrganizationId")
    proponent = uow.forwards.proponent_of(cmd.project_id)
    if proponent is None:
        raise DomainError(
            ErrorCode.UNAVAILABLE,
            "PROJECT_NOT_YET_KNOWN",
            f"the exchange has not yet received project {cmd.project_id!r} from issuance; retry shortly",
        )
    if proponent != organization_id:
        raise forbidden("NOT_PROPONENT", "forwards on a project are offered by its proponent organization")
    check_account_owner(registry, actor, cmd.seller_account_id, organization_id)
    forward = ForwardRecord(
        forward_id=str(uuid.uuid4()),
        project_id=cmd.project_id,
        seller_organization_id=organization_id,
        seller_account_id=cmd.seller_account_id,
        buyer_organization_id=cmd.buyer_organization_id,
        quantity_t=cmd.quantity_t,
        price_per_tonne=cmd.price_per_tonne,
        currency=cmd.currency,
        vintage_from=cmd.vintage_from,
        vintage_to=cmd.vintage_to,
        delivery_deadline=cmd.delivery_deadline,
        prepayment_share=cmd.prepayment_share,
        status=ForwardStatus.OFFERED,
        offered_at=now,
        offered_by=actor.name,
    )
    uow.forwards.add(forward)
    uow.emit(ForwardOffered(forward, cmd.idempotency_key or "", actor.name, organization_id))
    return forward
