"""CreateTender, SubmitBid, CloseTender: sealed-bid sales (e.g. government J-Credit tenders).

The seller's credits are locked in the registry when the tender opens (lock id = tender id); each
bid locks price x quantity of the bidder's cash. At close the domain's pay-as-bid ranking awards
the bids; each award becomes a trade settled by the same DvP saga as exchange trades, losing and
unfilled bid cash is released, and unsold credits are unlocked.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from carbon.trading.v1 import events_pb2
from sqlalchemy import Connection, func, select, update

from carbon_runtime.errors import forbidden, insufficient, invalid, not_found
from carbon_runtime.transport.auth import Principal, require_role
from services.trading.adapters import repository as repo
from services.trading.adapters import tables as t
from services.trading.domain.tender import Tender
from services.trading.service.context import PostCommit, TradingContext
from services.trading.service.orders import check_account_owner, delivery_criteria, trader_organization


@dataclass(frozen=True, slots=True)
class AwardView:
    bid_id: str
    organization_id: str
    price: Decimal
    quantity_t: int
    trade_id: str


@dataclass(frozen=True, slots=True)
class TenderView:
    tender_id: str
    instrument_id: str
    seller_organization_id: str
    offered_quantity_t: int
    minimum_price: Decimal
    closes_at: datetime
    status: str
    bid_count: int
    sold_quantity_t: int | None
    average_winning_price: Decimal | None
    awards: list[AwardView] | None


@dataclass(frozen=True, slots=True)
class BidView:
    bid_id: str
    price: Decimal
    quantity_t: int


def _load(conn: Connection, tender_id: str, *, for_update: bool = False) -> tuple[Tender, dict[str, object]]:
    stmt = select(t.tenders).where(t.tenders.c.tender_id == tender_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        raise not_found("TENDER_NOT_FOUND", f"no tender {tender_id!r}")
    instrument = repo.get_instrument(conn, row.instrument_id)
    assert instrument is not None
    tender = Tender(
        tender_id,
        int(row.offered_quantity_t),
        Decimal(row.minimum_price),
        repo.utc(row.closes_at),
        instrument.instrument.tick_size,
    )
    bids = conn.execute(
        select(t.tender_bids).where(t.tender_bids.c.tender_id == tender_id).order_by(t.tender_bids.c.sequence)
    )
    for b in bids:
        # Replaying the stored bids through the domain rebuilds the same sealed book.
        tender.submit_bid(b.bid_id, b.organization_id, Decimal(b.price), int(b.quantity_t), repo.utc(b.submitted_at))
    return tender, dict(row._mapping)


def _view(conn: Connection, tender_id: str) -> TenderView:
    tender, row = _load(conn, tender_id)
    result = json.loads(str(row["result_json"])) if row["result_json"] else None
    return TenderView(
        tender_id=tender_id,
        instrument_id=str(row["instrument_id"]),
        seller_organization_id=str(row["seller_organization_id"]),
        offered_quantity_t=tender.offered_quantity_t,
        minimum_price=tender.minimum_price,
        closes_at=tender.closes_at,
        status=str(row["status"]),
        bid_count=tender.bid_count,
        sold_quantity_t=int(result["sold_t"]) if result else None,
        average_winning_price=Decimal(result["average"]) if result and result["average"] else None,
        awards=[
            AwardView(a["bid_id"], a["org"], Decimal(a["price"]), int(a["q"]), a["trade_id"]) for a in result["awards"]
        ]
        if result
        else None,
    )


def get_tender(ctx: TradingContext, tender_id: str) -> TenderView | None:
    with ctx.db.connect() as conn:
        exists = conn.execute(select(t.tenders.c.tender_id).where(t.tenders.c.tender_id == tender_id)).first()
        return None if exists is None else _view(conn, tender_id)


def list_tenders(ctx: TradingContext, instrument_id: str) -> list[TenderView]:
    with ctx.db.connect() as conn:
        ids = [
            str(r[0])
            for r in conn.execute(
                select(t.tenders.c.tender_id)
                .where(t.tenders.c.instrument_id == instrument_id)
                .order_by(t.tenders.c.created_at)
            )
        ]
        return [_view(conn, i) for i in ids]


def create_tender(
    ctx: TradingContext,
    p: Principal,
    *,
    instrument_id: str,
    seller_account_id: str,
    offered_quantity_t: int,
    minimum_price: Decimal,
    closes_at: datetime,
) -> TenderView:
    organization_id = trader_organization(p)
    market = ctx.market(instrument_id)
    market.instrument.price_to_ticks(minimum_price)
    tender_id = str(uuid.uuid4())
    Tender(tender_id, offered_quantity_t, minimum_price, closes_at, market.instrument.tick_size)  # validates
    if closes_at <= ctx.now():
        raise invalid("CLOSES_IN_PAST", "a tender must close in the future")
    check_account_owner(ctx, p, seller_account_id, organization_id)
    ctx.registry.lock(
        account_id=seller_account_id,
        quantity_t=offered_quantity_t,
        lock_id=tender_id,
        criteria=delivery_criteria(ctx, instrument_id),
        idempotency_key=f"lock-{tender_id}",
        token=p.token,
    )
    with ctx.uow() as uow:
        uow.conn.execute(
            t.tenders.insert().values(
                tender_id=tender_id,
                instrument_id=instrument_id,
                seller_organization_id=organization_id,
                seller_account_id=seller_account_id,
                offered_quantity_t=offered_quantity_t,
                minimum_price=repo.money(minimum_price),
                closes_at=closes_at,
                status="OPEN",
                created_at=ctx.now(),
            )
        )
        return _view(uow.conn, tender_id)


def submit_bid(
    ctx: TradingContext, p: Principal, *, tender_id: str, account_id: str, price: Decimal, quantity_t: int
) -> BidView:
    organization_id = trader_organization(p)
    check_account_owner(ctx, p, account_id, organization_id)
    bid_id = str(uuid.uuid4())
    now = ctx.now()
    with ctx.uow() as uow:
        tender, row = _load(uow.conn, tender_id, for_update=True)
        if row["seller_organization_id"] == organization_id:
            raise forbidden("OWN_TENDER", "the seller cannot bid in its own tender")
        tender.submit_bid(bid_id, organization_id, price, quantity_t, now)
        currency = ctx.market(str(row["instrument_id"])).instrument.currency
        amount = price * quantity_t
        cash = repo.get_cash(uow.conn, organization_id, currency, for_update=True)
        if cash.available < amount:
            raise insufficient(
                "CASH_NOT_AVAILABLE", f"the bid needs {amount} {currency}; {cash.available} is available"
            )
        repo.adjust_cash(
            uow.conn, organization_id, currency, available_delta=-amount, locked_delta=amount,
            kind="LOCK", reference_id=bid_id, at=now,
        )  # fmt: skip
        uow.conn.execute(
            t.tender_bids.insert().values(
                bid_id=bid_id,
                tender_id=tender_id,
                organization_id=organization_id,
                account_id=account_id,
                price=repo.money(price),
                quantity_t=quantity_t,
                sequence=tender.bid_count,
                locked_cash=repo.money(amount),
                submitted_at=now,
            )
        )
    return BidView(bid_id, price, quantity_t)


def close_tender(ctx: TradingContext, p: Principal, tender_id: str) -> TenderView:
    now = ctx.now()
    post = PostCommit()
    awarded_trades: list[repo.TradeRecord] = []
    with ctx.uow() as uow:
        conn = uow.conn
        tender, row = _load(conn, tender_id, for_update=True)
        if not (
            p.has_role("EXCHANGE_ADMIN") or (p.has_role("TRADER") and p.member_of(str(row["seller_organization_id"])))
        ):
            require_role(p, "EXCHANGE_ADMIN")
        result = tender.close(now)
        instrument = ctx.market(str(row["instrument_id"])).instrument
        bids = {b.bid_id: b for b in conn.execute(select(t.tender_bids).where(t.tender_bids.c.tender_id == tender_id))}
        awarded = {a.bid_id: a for a in result.awards}
        awards_json = []
        award_events = []
        for bid_id, b in bids.items():
            award = awarded.get(bid_id)
            locked = Decimal(b.locked_cash)
            paid = award.amount if award else Decimal(0)
            if locked - paid:
                repo.adjust_cash(
                    conn, b.organization_id, instrument.currency, available_delta=locked - paid,
                    locked_delta=paid - locked, kind="RELEASE", reference_id=bid_id, at=now,
                )  # fmt: skip
            conn.execute(
                update(t.tender_bids)
                .where(t.tender_bids.c.bid_id == bid_id)
                .values(awarded_quantity_t=award.quantity_t if award else 0, locked_cash=repo.money(paid))
            )
        for award in result.awards:
            b = bids[award.bid_id]
            trade_id = str(uuid.uuid5(uuid.UUID(tender_id), award.bid_id))
            trade = repo.TradeRecord(
                trade_id=trade_id, instrument_id=instrument.id, source="TENDER", engine_seq=None,
                price=award.price, price_ticks=int(award.price / instrument.tick_size), quantity_t=award.quantity_t,
                amount=award.amount, currency=instrument.currency, buy_order_id=award.bid_id,
                sell_order_id=tender_id, sell_lock_id=tender_id, buyer_organization_id=b.organization_id,
                seller_organization_id=str(row["seller_organization_id"]), buyer_account_id=b.account_id,
                seller_account_id=str(row["seller_account_id"]), aggressor_side=None, settlement_state="PENDING",
                settlement_id=None, delivered_batch_id=None, deliveries=(), executed_at=now, settled_at=None,
            )  # fmt: skip
            repo.insert_trade(conn, trade)
            awarded_trades.append(trade)
            post.trade_ids.append(trade_id)
            awards_json.append(
                {"bid_id": award.bid_id, "org": award.bidder_id, "price": repo.money(award.price),
                 "q": award.quantity_t, "trade_id": trade_id}
            )  # fmt: skip
            award_events.append(
                events_pb2.TenderAward(
                    order_id=award.bid_id, organization_id=award.bidder_id, price_decimal=repo.money(award.price),
                    quantity_t=award.quantity_t, trade_id=trade_id,
                )
            )  # fmt: skip
        if result.unsold_quantity_t:
            repo.add_unlock(conn, tender_id, result.unsold_quantity_t, now)
            post.unlock = True
        average = result.average_winning_price
        conn.execute(
            update(t.tenders)
            .where(t.tenders.c.tender_id == tender_id)
            .values(
                status="CLOSED",
                result_json=json.dumps(
                    {"sold_t": result.sold_quantity_t, "average": repo.money(average) if average is not None else None,
                     "awards": awards_json}
                ),
            )
        )  # fmt: skip
        uow.add_event(
            "instrument",
            instrument.id,
            events_pb2.TenderClosed(
                tender_id=tender_id,
                instrument_id=instrument.id,
                offered_quantity_t=result.offered_quantity_t,
                awarded_quantity_t=result.sold_quantity_t,
                reserve_price_decimal=repo.money(tender.minimum_price),
                awards=award_events,
            ),
        )
    if awarded_trades:
        # Committed: the awards are executed trades of the instrument, published like exchange ones.
        ctx.feed.publish_trades(awarded_trades[0].instrument_id, awarded_trades)
    ctx.after_commit(post)
    with ctx.db.connect() as conn:
        return _view(conn, tender_id)


def tender_volume_t(conn: Connection, instrument_id: str) -> int:
    tr = t.trades
    q = select(func.coalesce(func.sum(tr.c.quantity_t), 0)).where(
        tr.c.instrument_id == instrument_id, tr.c.source == "TENDER"
    )
    return int(conn.execute(q).scalar_one())
