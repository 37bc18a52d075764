"""SubmitBid: a sealed bid locks price x quantity of the bidder's cash until the tender closes."""

from __future__ import annotations

import uuid

from carbon_runtime.errors import forbidden, insufficient, not_found
from services.trading.domain.actor import trader_organization
from services.trading.domain.commands import SubmitBid
from services.trading.domain.records import BidRecord
from services.trading.domain.session import Clock
from services.trading.service.common import check_account_owner
from services.trading.service.markets import Markets
from services.trading.service.ports import RegistryPort, UnitOfWork
from services.trading.service.tender_views import BidView, sealed_book


def handle(cmd: SubmitBid, uow: UnitOfWork, *, markets: Markets, registry: RegistryPort, clock: Clock) -> BidView:
    organization_id = trader_organization(cmd.actor)
    check_account_owner(registry, cmd.actor, cmd.account_id, organization_id)
    bid_id = str(uuid.uuid4())
    now = clock.now()
    record = uow.tenders.get(cmd.tender_id, for_update=True)
    if record is None:
        raise not_found("TENDER_NOT_FOUND", f"no tender {cmd.tender_id!r}")
    if record.seller_organization_id == organization_id:
        raise forbidden("OWN_TENDER", "the seller cannot bid in its own tender")
    tender = sealed_book(record)
    tender.submit_bid(bid_id, organization_id, cmd.price, cmd.quantity_t, now)
    currency = markets.get(record.instrument_id, uow).instrument.currency
    amount = cmd.price * cmd.quantity_t
    cash = uow.cash.get(organization_id, currency, for_update=True)
    if cash.available < amount:
        raise insufficient("CASH_NOT_AVAILABLE", f"the bid needs {amount} {currency}; {cash.available} is available")
    uow.cash.adjust(
        organization_id, currency, available_delta=-amount, locked_delta=amount,
        kind="LOCK", reference_id=bid_id, at=now,
    )  # fmt: skip
    uow.tenders.add_bid(
        cmd.tender_id,
        BidRecord(
            bid_id=bid_id,
            organization_id=organization_id,
            account_id=cmd.account_id,
            price=cmd.price,
            quantity_t=cmd.quantity_t,
            sequence=tender.bid_count,
            locked_cash=amount,
            submitted_at=now,
        ),
    )
    return BidView(bid_id, cmd.tender_id, cmd.price, cmd.quantity_t)
