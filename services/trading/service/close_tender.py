"""CloseTender: the domain's pay-as-bid ranking awards the bids. Each award becomes a trade settled
by the same DvP saga as exchange trades; losing and unfilled bid cash is released, and unsold
credits are unlocked in the registry."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal

from carbon_runtime.errors import not_found
from services.trading.domain.actor import require_role
from services.trading.domain.commands import CloseTender
from services.trading.domain.events import TenderClosed
from services.trading.domain.records import AwardRecord, TenderResultRecord, TradeRecord
from services.trading.domain.session import Clock
from services.trading.service.effects import PostCommit
from services.trading.service.markets import Markets
from services.trading.service.ports import RegistryPort, UnitOfWork
from services.trading.service.settlement import Wake, after_commit
from services.trading.service.tender_views import TenderView, sealed_book, tender_view


def handle(
    cmd: CloseTender,
    uow: UnitOfWork,
    *,
    markets: Markets,
    registry: RegistryPort,
    clock: Clock,
    service_token: Callable[[], str],
    wake_settlement: Wake,
) -> TenderView:
    actor = cmd.actor
    tender_id = cmd.tender_id
    now = clock.now()
    post = PostCommit()
    record = uow.tenders.get(tender_id, for_update=True)
    if record is None:
        raise not_found("TENDER_NOT_FOUND", f"no tender {tender_id!r}")
    if not (
        actor.has_role("EXCHANGE_ADMIN")
        or (actor.has_role("TRADER") and actor.member_of(record.seller_organization_id))
    ):
        require_role(actor, "EXCHANGE_ADMIN")
    instrument = markets.get(record.instrument_id, uow).instrument
    tender = sealed_book(record, instrument.currency)
    result = tender.close(now)
    awarded = {a.bid_id: a for a in result.awards}
    for bid in record.bids:
        award = awarded.get(bid.bid_id)
        paid = award.amount if award else Decimal(0)
        if bid.locked_cash - paid:
            uow.cash.adjust(
                bid.organization_id, instrument.currency, available_delta=bid.locked_cash - paid,
                locked_delta=paid - bid.locked_cash, kind="RELEASE", reference_id=bid.bid_id, at=now,
            )  # fmt: skip
        uow.tenders.award_bid(bid.bid_id, award.quantity_t if award else 0, paid)
    bids = {b.bid_id: b for b in record.bids}
    awards: list[AwardRecord] = []
    awarded_trades: list[TradeRecord] = []
    for award in result.awards:
        b = bids[award.bid_id]
        trade_id = str(uuid.uuid5(uuid.UUID(tender_id), award.bid_id))
        trade = TradeRecord(
            trade_id=trade_id, instrument_id=instrument.id, source="TENDER", engine_seq=None,
            price=award.price, price_ticks=int(award.price / instrument.tick_size), quantity_t=award.quantity_t,
            amount=award.amount, currency=instrument.currency, buy_order_id=award.bid_id,
            sell_order_id=tender_id, sell_lock_id=tender_id, buyer_organization_id=b.organization_id,
            seller_organization_id=record.seller_organization_id, buyer_account_id=b.account_id,
            seller_account_id=record.seller_account_id, aggressor_side=None, settlement_state="PENDING",
            settlement_id=None, delivered_batch_id=None, deliveries=(), executed_at=now, settled_at=None,
        )  # fmt: skip
        uow.trades.add(trade)
        awarded_trades.append(trade)
        post.trade_ids.append(trade_id)
        awards.append(AwardRecord(award.bid_id, award.bidder_id, award.price, award.quantity_t, trade_id))
    if result.unsold_quantity_t:
        uow.unlocks.add(tender_id, result.unsold_quantity_t, now)
        post.unlock = True
    uow.tenders.close(
        tender_id, TenderResultRecord(result.sold_quantity_t, result.average_winning_price, tuple(awards))
    )
    uow.emit(
        TenderClosed(
            tender_id=tender_id,
            instrument_id=instrument.id,
            offered_quantity_t=result.offered_quantity_t,
            awarded_quantity_t=result.sold_quantity_t,
            reserve_price=tender.minimum_price,
            awards=tuple(awards),
        )
    )
    uow.commit()
    if awarded_trades:
        # Committed: the awards are executed trades of the instrument, published like exchange ones.
        markets.publish_trades(instrument.id, awarded_trades)
    after_commit(
        uow, post, registry=registry, clock=clock, service_token=service_token, wake_settlement=wake_settlement
    )
    closed = uow.tenders.get(tender_id)
    assert closed is not None
    return tender_view(closed)
