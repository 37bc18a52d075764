"""CreateTender: a sealed-bid sale (e.g. a government J-Credit tender). The seller's credits are
locked in the registry when the tender opens (lock id = tender id)."""

from __future__ import annotations

import uuid

from carbon_runtime.errors import invalid
from services.trading.domain.actor import trader_organization
from services.trading.domain.commands import CreateTender
from services.trading.domain.records import TenderRecord
from services.trading.domain.session import Clock
from services.trading.domain.tender import Tender
from services.trading.service.common import check_account_owner, delivery_criteria
from services.trading.service.markets import Markets
from services.trading.service.ports import RegistryPort, UnitOfWork
from services.trading.service.tender_views import TenderView, tender_view


def handle(cmd: CreateTender, uow: UnitOfWork, *, markets: Markets, registry: RegistryPort, clock: Clock) -> TenderView:
    organization_id = trader_organization(cmd.actor)
    instrument = markets.get(cmd.instrument_id, uow).instrument
    instrument.price_to_ticks(cmd.minimum_price)
    tender_id = str(uuid.uuid4())
    Tender(tender_id, cmd.offered_quantity_t, cmd.minimum_price, cmd.closes_at, instrument.tick_size)  # validates
    if cmd.closes_at <= clock.now():
        raise invalid("CLOSES_IN_PAST", "a tender must close in the future")
    check_account_owner(registry, cmd.actor, cmd.seller_account_id, organization_id)
    registry.lock(
        account_id=cmd.seller_account_id,
        quantity_t=cmd.offered_quantity_t,
        lock_id=tender_id,
        criteria=delivery_criteria(instrument),
        idempotency_key=f"lock-{tender_id}",
        token=cmd.actor.token,
    )
    record = TenderRecord(
        tender_id=tender_id,
        instrument_id=cmd.instrument_id,
        seller_organization_id=organization_id,
        seller_account_id=cmd.seller_account_id,
        offered_quantity_t=cmd.offered_quantity_t,
        minimum_price=cmd.minimum_price,
        closes_at=cmd.closes_at,
        status="OPEN",
        tick_size=instrument.tick_size,
        bids=(),
        result=None,
    )
    uow.tenders.add(record, clock.now())
    stored = uow.tenders.get(tender_id)
    assert stored is not None
    return tender_view(stored)
