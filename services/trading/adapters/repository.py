"""SQL for the trading tables: rows in, typed records out. The only module of the service that
writes SQL. Each repository runs on the connection it is given: the unit of work's (one transaction
for state, journal and events) or, for the read model, a read-only connection of its own."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, func, select, update

from carbon_runtime.vocabulary import CreditCategory, CreditType
from services.trading.adapters import tables as t
from services.trading.domain.events import Phase
from services.trading.domain.forwards import DeliveryState, ForwardDeliveryRecord, ForwardRecord, ForwardStatus
from services.trading.domain.instruments import (
    Instrument,
    InstrumentCriteria,
    PriceLimit,
    PriceLimitKind,
)
from services.trading.domain.listing import InstrumentRecord
from services.trading.domain.orders import (
    AdvanceClock,
    AmendOrder,
    CancelOrder,
    Command,
    JournalEntry,
    PlaceOrder,
    Side,
    TimeInForce,
)
from services.trading.domain.records import (
    AwardRecord,
    BidRecord,
    CashRecord,
    OrderRecord,
    OtcReportRecord,
    TenderRecord,
    TenderResultRecord,
    TradeRecord,
    UnlockRecord,
    money,
)
from services.trading.domain.session import SessionSchedule, SessionStep


def utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every instant in this service is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- instruments --------------------------------------------------------------------------------


def criteria_to_json(c: InstrumentCriteria) -> str:
    return json.dumps(
        {
            "program_ids": sorted(c.program_ids) if c.program_ids is not None else None,
            "credit_types": sorted(x.value for x in c.credit_types) if c.credit_types is not None else None,
            "categories": sorted(x.value for x in c.categories) if c.categories is not None else None,
            "vintage_from": c.vintage_from.isoformat() if c.vintage_from else None,
            "vintage_to": c.vintage_to.isoformat() if c.vintage_to else None,
            "corresponding_adjustment_required": c.corresponding_adjustment_required,
            "batch_id": c.batch_id,
        },
        sort_keys=True,
    )


def criteria_from_json(text: str) -> InstrumentCriteria:
    d = json.loads(text)
    return InstrumentCriteria(
        program_ids=frozenset(d["program_ids"]) if d["program_ids"] is not None else None,
        credit_types=frozenset(CreditType(x) for x in d["credit_types"]) if d["credit_types"] is not None else None,
        categories=frozenset(CreditCategory(x) for x in d["categories"]) if d["categories"] is not None else None,
        vintage_from=date.fromisoformat(d["vintage_from"]) if d["vintage_from"] else None,
        vintage_to=date.fromisoformat(d["vintage_to"]) if d["vintage_to"] else None,
        corresponding_adjustment_required=bool(d["corresponding_adjustment_required"]),
        batch_id=d["batch_id"],
    )


def schedule_to_json(s: SessionSchedule) -> str:
    offset = s.tz.utcoffset(None)
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    steps = [
        {"at": step.at.strftime("%H:%M:%S"), "phase": step.phase.value, "then": step.then.value if step.then else None}
        for step in s.steps
    ]
    return json.dumps({"utc_offset_minutes": minutes, "steps": steps})


def schedule_from_json(text: str) -> SessionSchedule:
    d = json.loads(text)
    tz = timezone(timedelta(minutes=int(d["utc_offset_minutes"])))
    steps = tuple(
        SessionStep(time.fromisoformat(s["at"]), Phase(s["phase"]), Phase(s["then"]) if s["then"] else None)
        for s in d["steps"]
    )
    return SessionSchedule(steps=steps, tz=tz)


def insert_instrument(conn: Connection, record: InstrumentRecord, created_by: str) -> None:
    i = record.instrument
    conn.execute(
        t.instruments.insert().values(
            instrument_id=i.id,
            name=i.name,
            currency=i.currency,
            tick_size=money(i.tick_size),
            lot_size_t=i.lot_size_t,
            criteria_json=criteria_to_json(i.criteria),
            reference_price=money(i.reference_price) if i.reference_price is not None else None,
            price_limit_kind=i.price_limit.kind.value if i.price_limit else None,
            price_limit_amount=money(i.price_limit.amount) if i.price_limit else None,
            schedule_json=schedule_to_json(record.schedule) if record.schedule else None,
            mode=record.mode,
            created_by=created_by,
            created_at=record.created_at,
        )
    )


def _instrument_from_row(row: Row[Any]) -> InstrumentRecord:
    limit = (
        PriceLimit(PriceLimitKind(row.price_limit_kind), Decimal(row.price_limit_amount))
        if row.price_limit_kind
        else None
    )
    instrument = Instrument(
        id=row.instrument_id,
        name=row.name,
        currency=row.currency,
        criteria=criteria_from_json(row.criteria_json),
        tick_size=Decimal(row.tick_size),
        lot_size_t=int(row.lot_size_t),
        reference_price=Decimal(row.reference_price) if row.reference_price is not None else None,
        price_limit=limit,
    )
    schedule = schedule_from_json(row.schedule_json) if row.schedule_json else None
    return InstrumentRecord(instrument, schedule, row.mode, utc(row.created_at))


def list_instruments(conn: Connection) -> list[InstrumentRecord]:
    rows = conn.execute(select(t.instruments).order_by(t.instruments.c.created_at, t.instruments.c.instrument_id))
    return [_instrument_from_row(r) for r in rows]


def get_instrument(conn: Connection, instrument_id: str) -> InstrumentRecord | None:
    row = conn.execute(select(t.instruments).where(t.instruments.c.instrument_id == instrument_id)).first()
    return None if row is None else _instrument_from_row(row)


# --- engine journal -----------------------------------------------------------------------------


def command_to_json(command: Command) -> str:
    if isinstance(command, PlaceOrder):
        return json.dumps(
            {
                "type": "place",
                "order_id": command.order_id,
                "participant_id": command.participant_id,
                "account_id": command.account_id,
                "side": command.side.value,
                "price_ticks": command.price_ticks,
                "quantity": command.quantity,
                "tif": command.time_in_force.value,
            }
        )
    if isinstance(command, CancelOrder):
        return json.dumps({"type": "cancel", "order_id": command.order_id, "participant_id": command.participant_id})
    if isinstance(command, AmendOrder):
        return json.dumps(
            {
                "type": "amend",
                "order_id": command.order_id,
                "participant_id": command.participant_id,
                "new_price_ticks": command.new_price_ticks,
                "new_quantity": command.new_quantity,
            }
        )
    return json.dumps({"type": "advance"})


def command_from_json(text: str) -> Command:
    d = json.loads(text)
    kind = d["type"]
    if kind == "place":
        return PlaceOrder(
            d["order_id"],
            d["participant_id"],
            d["account_id"],
            Side(d["side"]),
            int(d["price_ticks"]),
            int(d["quantity"]),
            TimeInForce(d["tif"]),
        )
    if kind == "cancel":
        return CancelOrder(d["order_id"], d["participant_id"])
    if kind == "amend":
        return AmendOrder(d["order_id"], d["participant_id"], d["new_price_ticks"], d["new_quantity"])
    return AdvanceClock()


def append_journal(conn: Connection, instrument_id: str, seq: int, entry: JournalEntry) -> None:
    conn.execute(
        t.engine_journal.insert().values(
            instrument_id=instrument_id, seq=seq, at=entry.at, command_json=command_to_json(entry.command)
        )
    )


def load_journal(conn: Connection, instrument_id: str) -> list[JournalEntry]:
    j = t.engine_journal
    rows = conn.execute(select(j.c.at, j.c.command_json).where(j.c.instrument_id == instrument_id).order_by(j.c.seq))
    return [JournalEntry(utc(r.at), command_from_json(r.command_json)) for r in rows]


# --- cash ---------------------------------------------------------------------------------------


def get_cash(conn: Connection, organization_id: str, currency: str, *, for_update: bool = False) -> CashRecord:
    c = t.cash_accounts
    stmt = select(c).where(c.c.organization_id == organization_id, c.c.currency == currency)
    if for_update:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        return CashRecord(organization_id, currency, Decimal(0), Decimal(0))
    return CashRecord(organization_id, currency, Decimal(row.available), Decimal(row.locked))


def adjust_cash(
    conn: Connection,
    organization_id: str,
    currency: str,
    *,
    available_delta: Decimal,
    locked_delta: Decimal,
    kind: str,
    reference_id: str,
    at: datetime,
) -> CashRecord:
    """Apply deltas to one cash account (creating it at zero) and journal the movement. Callers check
    sufficiency first; a negative result here is a bug, so it raises rather than storing it."""
    current = get_cash(conn, organization_id, currency, for_update=True)
    # A zero delta leaves the stored text as it was (no "0" turning into "0.0").
    available = current.available + available_delta if available_delta else current.available
    locked = current.locked + locked_delta if locked_delta else current.locked
    if available < 0 or locked < 0:
        raise AssertionError(f"cash of {organization_id} would go negative: {available} / {locked}")
    c = t.cash_accounts
    exists = conn.execute(
        select(c.c.organization_id).where(c.c.organization_id == organization_id, c.c.currency == currency)
    ).first()
    if exists is None:
        conn.execute(
            c.insert().values(
                organization_id=organization_id,
                currency=currency,
                available=money(available),
                locked=money(locked),
                updated_at=at,
            )
        )
    else:
        conn.execute(
            update(c)
            .where(c.c.organization_id == organization_id, c.c.currency == currency)
            .values(available=money(available), locked=money(locked), updated_at=at)
        )
    for amount, suffix in ((available_delta, "available"), (locked_delta, "locked")):
        if amount:
            conn.execute(
                t.cash_movements.insert().values(
                    movement_id=str(uuid.uuid4()),
                    organization_id=organization_id,
                    currency=currency,
                    kind=f"{kind}:{suffix}",
                    amount=money(amount),
                    reference_id=reference_id,
                    at=at,
                )
            )
    return CashRecord(organization_id, currency, available, locked)


# --- orders -------------------------------------------------------------------------------------


def insert_order(conn: Connection, o: OrderRecord, created_by: str) -> None:
    conn.execute(
        t.orders.insert().values(
            order_id=o.order_id,
            instrument_id=o.instrument_id,
            organization_id=o.organization_id,
            account_id=o.account_id,
            side=o.side.value,
            price=money(o.price),
            quantity_t=o.quantity_t,
            filled_quantity_t=o.filled_quantity_t,
            status=o.status,
            time_in_force=o.time_in_force.value,
            locked_cash=money(o.locked_cash),
            lock_id=o.lock_id,
            created_by=created_by,
            created_at=o.created_at,
            updated_at=o.created_at,
        )
    )


def _order_from_row(r: Row[Any]) -> OrderRecord:
    return OrderRecord(
        order_id=r.order_id,
        instrument_id=r.instrument_id,
        organization_id=r.organization_id,
        account_id=r.account_id,
        side=Side(r.side),
        price=Decimal(r.price),
        quantity_t=int(r.quantity_t),
        filled_quantity_t=int(r.filled_quantity_t),
        status=r.status,
        time_in_force=TimeInForce(r.time_in_force),
        locked_cash=Decimal(r.locked_cash),
        lock_id=r.lock_id,
        created_at=utc(r.created_at),
    )


def get_order(conn: Connection, order_id: str, *, for_update: bool = False) -> OrderRecord | None:
    stmt = select(t.orders).where(t.orders.c.order_id == order_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    return None if row is None else _order_from_row(row)


def update_order(
    conn: Connection,
    order_id: str,
    at: datetime,
    *,
    price: Decimal | None = None,
    quantity_t: int | None = None,
    filled_quantity_t: int | None = None,
    status: str | None = None,
    locked_cash: Decimal | None = None,
) -> None:
    values: dict[str, Any] = {"updated_at": at}
    if price is not None:
        values["price"] = money(price)
    if quantity_t is not None:
        values["quantity_t"] = quantity_t
    if filled_quantity_t is not None:
        values["filled_quantity_t"] = filled_quantity_t
    if status is not None:
        values["status"] = status
    if locked_cash is not None:
        values["locked_cash"] = money(locked_cash)
    conn.execute(update(t.orders).where(t.orders.c.order_id == order_id).values(**values))


# --- trades -------------------------------------------------------------------------------------


def next_trade_seq(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(t.trades.c.seq), 0))).scalar_one()) + 1


def insert_trade(conn: Connection, tr: TradeRecord) -> None:
    conn.execute(
        t.trades.insert().values(
            trade_id=tr.trade_id,
            instrument_id=tr.instrument_id,
            source=tr.source,
            engine_seq=tr.engine_seq,
            price=money(tr.price),
            price_ticks=tr.price_ticks,
            quantity_t=tr.quantity_t,
            amount=money(tr.amount),
            currency=tr.currency,
            buy_order_id=tr.buy_order_id,
            sell_order_id=tr.sell_order_id,
            sell_lock_id=tr.sell_lock_id,
            buyer_organization_id=tr.buyer_organization_id,
            seller_organization_id=tr.seller_organization_id,
            buyer_account_id=tr.buyer_account_id,
            seller_account_id=tr.seller_account_id,
            aggressor_side=tr.aggressor_side.value if tr.aggressor_side else None,
            settlement_state=tr.settlement_state,
            executed_at=tr.executed_at,
            seq=next_trade_seq(conn),
        )
    )


def _trade_from_row(r: Row[Any]) -> TradeRecord:
    deliveries = tuple((str(b), int(q)) for b, q in json.loads(r.deliveries_json)) if r.deliveries_json else ()
    return TradeRecord(
        trade_id=r.trade_id,
        instrument_id=r.instrument_id,
        source=r.source,
        engine_seq=int(r.engine_seq) if r.engine_seq is not None else None,
        price=Decimal(r.price),
        price_ticks=int(r.price_ticks),
        quantity_t=int(r.quantity_t),
        amount=Decimal(r.amount),
        currency=r.currency,
        buy_order_id=r.buy_order_id,
        sell_order_id=r.sell_order_id,
        sell_lock_id=r.sell_lock_id,
        buyer_organization_id=r.buyer_organization_id,
        seller_organization_id=r.seller_organization_id,
        buyer_account_id=r.buyer_account_id,
        seller_account_id=r.seller_account_id,
        aggressor_side=Side(r.aggressor_side) if r.aggressor_side else None,
        settlement_state=r.settlement_state,
        settlement_id=r.settlement_id,
        delivered_batch_id=r.delivered_batch_id,
        deliveries=deliveries,
        executed_at=utc(r.executed_at),
        settled_at=utc(r.settled_at) if r.settled_at is not None else None,
    )


def get_trade(conn: Connection, trade_id: str, *, for_update: bool = False) -> TradeRecord | None:
    stmt = select(t.trades).where(t.trades.c.trade_id == trade_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    return None if row is None else _trade_from_row(row)


def list_trades(conn: Connection, instrument_id: str, limit: int) -> list[TradeRecord]:
    rows = conn.execute(
        select(t.trades).where(t.trades.c.instrument_id == instrument_id).order_by(t.trades.c.seq.desc()).limit(limit)
    )
    return [_trade_from_row(r) for r in rows]


def settled_quantity_of_batch(conn: Connection, batch_id: str) -> int:
    """Tonnes of one batch delivered by settled trades (exchange, tender and OTC)."""
    rows = conn.execute(
        select(t.trades.c.deliveries_json).where(
            t.trades.c.settlement_state == "SETTLED", t.trades.c.deliveries_json.contains(batch_id)
        )
    )
    total = 0
    for (raw,) in rows:
        total += sum(int(q) for b, q in json.loads(raw) if str(b) == batch_id)
    return total


def exchange_trades_in_order(conn: Connection, instrument_id: str) -> list[TradeRecord]:
    rows = conn.execute(
        select(t.trades)
        .where(t.trades.c.instrument_id == instrument_id, t.trades.c.source == "EXCHANGE")
        .order_by(t.trades.c.engine_seq)
    )
    return [_trade_from_row(r) for r in rows]


def trade_ids_of_order(conn: Connection, order_id: str) -> list[str]:
    tr = t.trades
    rows = conn.execute(
        select(tr.c.trade_id)
        .where((tr.c.buy_order_id == order_id) | (tr.c.sell_order_id == order_id))
        .order_by(tr.c.seq)
    )
    return [str(r[0]) for r in rows]


def pending_trade_ids(conn: Connection, limit: int = 100) -> list[str]:
    rows = conn.execute(
        select(t.trades.c.trade_id)
        .where(t.trades.c.settlement_state == "PENDING")
        .order_by(t.trades.c.seq)
        .limit(limit)
    )
    return [str(r[0]) for r in rows]


def mark_trade_settled(
    conn: Connection, trade_id: str, settlement_id: str, deliveries: Sequence[tuple[str, int]], at: datetime
) -> None:
    conn.execute(
        update(t.trades)
        .where(t.trades.c.trade_id == trade_id)
        .values(
            settlement_state="SETTLED",
            settlement_id=settlement_id,
            delivered_batch_id=deliveries[0][0] if deliveries else None,
            deliveries_json=json.dumps([[b, q] for b, q in deliveries]),
            settled_at=at,
        )
    )


def record_attempt(conn: Connection, trade_id: str, outcome: str, detail: str, at: datetime) -> None:
    conn.execute(
        t.settlement_attempts.insert().values(
            attempt_id=str(uuid.uuid4()), trade_id=trade_id, outcome=outcome, detail=detail, at=at
        )
    )


# --- registry unlocks owed ----------------------------------------------------------------------


def add_unlock(conn: Connection, lock_id: str, quantity_t: int, at: datetime) -> str:
    unlock_id = str(uuid.uuid4())
    conn.execute(
        t.registry_unlocks.insert().values(
            unlock_id=unlock_id, lock_id=lock_id, quantity_t=quantity_t, state="PENDING", created_at=at
        )
    )
    return unlock_id


def pending_unlocks(conn: Connection, limit: int = 100) -> list[UnlockRecord]:
    u = t.registry_unlocks
    rows = conn.execute(select(u).where(u.c.state == "PENDING").order_by(u.c.created_at).limit(limit))
    return [UnlockRecord(r.unlock_id, r.lock_id, int(r.quantity_t)) for r in rows]


def finish_unlock(conn: Connection, unlock_id: str, error: str | None, at: datetime) -> None:
    u = t.registry_unlocks
    if error is None:
        conn.execute(update(u).where(u.c.unlock_id == unlock_id).values(state="DONE", done_at=at, last_error=None))
    else:
        conn.execute(update(u).where(u.c.unlock_id == unlock_id).values(last_error=error))


# --- tenders ------------------------------------------------------------------------------------


def insert_tender(conn: Connection, tender: TenderRecord, created_at: datetime) -> None:
    conn.execute(
        t.tenders.insert().values(
            tender_id=tender.tender_id,
            instrument_id=tender.instrument_id,
            seller_organization_id=tender.seller_organization_id,
            seller_account_id=tender.seller_account_id,
            offered_quantity_t=tender.offered_quantity_t,
            minimum_price=money(tender.minimum_price),
            closes_at=tender.closes_at,
            status=tender.status,
            created_at=created_at,
        )
    )


def _result_from_json(text: str | None) -> TenderResultRecord | None:
    if not text:
        return None
    d = json.loads(text)
    return TenderResultRecord(
        sold_quantity_t=int(d["sold_t"]),
        average_winning_price=Decimal(d["average"]) if d["average"] else None,
        awards=tuple(
            AwardRecord(a["bid_id"], a["org"], Decimal(a["price"]), int(a["q"]), a["trade_id"]) for a in d["awards"]
        ),
    )


def _result_to_json(result: TenderResultRecord) -> str:
    average = result.average_winning_price
    return json.dumps(
        {"sold_t": result.sold_quantity_t, "average": money(average) if average is not None else None,
         "awards": [{"bid_id": a.bid_id, "org": a.organization_id, "price": money(a.price), "q": a.quantity_t,
                     "trade_id": a.trade_id} for a in result.awards]}
    )  # fmt: skip


def get_tender(conn: Connection, tender_id: str, *, for_update: bool = False) -> TenderRecord | None:
    stmt = (
        select(t.tenders, t.instruments.c.tick_size)
        .join(t.instruments, t.instruments.c.instrument_id == t.tenders.c.instrument_id)
        .where(t.tenders.c.tender_id == tender_id)
    )
    if for_update:
        stmt = stmt.with_for_update(of=t.tenders)
    row = conn.execute(stmt).first()
    if row is None:
        return None
    bids = conn.execute(
        select(t.tender_bids).where(t.tender_bids.c.tender_id == tender_id).order_by(t.tender_bids.c.sequence)
    )
    return TenderRecord(
        tender_id=row.tender_id,
        instrument_id=row.instrument_id,
        seller_organization_id=row.seller_organization_id,
        seller_account_id=row.seller_account_id,
        offered_quantity_t=int(row.offered_quantity_t),
        minimum_price=Decimal(row.minimum_price),
        closes_at=utc(row.closes_at),
        status=row.status,
        tick_size=Decimal(row.tick_size),
        bids=tuple(
            BidRecord(
                bid_id=b.bid_id,
                organization_id=b.organization_id,
                account_id=b.account_id,
                price=Decimal(b.price),
                quantity_t=int(b.quantity_t),
                sequence=int(b.sequence),
                locked_cash=Decimal(b.locked_cash),
                submitted_at=utc(b.submitted_at),
            )
            for b in bids
        ),
        result=_result_from_json(row.result_json),
    )


def tender_ids(conn: Connection, instrument_id: str) -> list[str]:
    rows = conn.execute(
        select(t.tenders.c.tender_id).where(t.tenders.c.instrument_id == instrument_id).order_by(t.tenders.c.created_at)
    )
    return [str(r[0]) for r in rows]


def insert_bid(conn: Connection, tender_id: str, bid: BidRecord) -> None:
    conn.execute(
        t.tender_bids.insert().values(
            bid_id=bid.bid_id,
            tender_id=tender_id,
            organization_id=bid.organization_id,
            account_id=bid.account_id,
            price=money(bid.price),
            quantity_t=bid.quantity_t,
            sequence=bid.sequence,
            locked_cash=money(bid.locked_cash),
            submitted_at=bid.submitted_at,
        )
    )


def award_bid(conn: Connection, bid_id: str, awarded_quantity_t: int, locked_cash: Decimal) -> None:
    conn.execute(
        update(t.tender_bids)
        .where(t.tender_bids.c.bid_id == bid_id)
        .values(awarded_quantity_t=awarded_quantity_t, locked_cash=money(locked_cash))
    )


def close_tender(conn: Connection, tender_id: str, result: TenderResultRecord) -> None:
    conn.execute(
        update(t.tenders)
        .where(t.tenders.c.tender_id == tender_id)
        .values(status="CLOSED", result_json=_result_to_json(result))
    )


def tender_volume_t(conn: Connection, instrument_id: str) -> int:
    tr = t.trades
    q = select(func.coalesce(func.sum(tr.c.quantity_t), 0)).where(
        tr.c.instrument_id == instrument_id, tr.c.source == "TENDER"
    )
    return int(conn.execute(q).scalar_one())


# --- OTC reports --------------------------------------------------------------------------------


def insert_otc_report(conn: Connection, r: OtcReportRecord) -> None:
    conn.execute(
        t.otc_reports.insert().values(
            report_id=r.report_id,
            instrument_id=r.instrument_id,
            seller_organization_id=r.seller_organization_id,
            seller_account_id=r.seller_account_id,
            buyer_account_id=r.buyer_account_id,
            batch_id=r.batch_id,
            price=money(r.price),
            quantity_t=r.quantity_t,
            settled_in_registry=r.settled_in_registry,
            transfer_id=r.transfer_id,
            traded_at=r.traded_at,
            reported_at=r.reported_at,
        )
    )


def otc_prices(conn: Connection, instrument_id: str) -> list[tuple[Decimal, int]]:
    """(price, tonnes) of every OTC trade reported for the instrument."""
    o = t.otc_reports
    rows = conn.execute(select(o.c.price, o.c.quantity_t).where(o.c.instrument_id == instrument_id))
    return [(Decimal(r.price), int(r.quantity_t)) for r in rows]


# --- repositories: the service's ports, on one connection ----------------------------------------


# --- forward contracts ---------------------------------------------------------------------------


def _forward_values(f: ForwardRecord) -> dict[str, Any]:
    return {
        "project_id": f.project_id,
        "seller_organization_id": f.seller_organization_id,
        "seller_account_id": f.seller_account_id,
        "buyer_organization_id": f.buyer_organization_id,
        "delivery_account_id": f.delivery_account_id,
        "quantity_t": f.quantity_t,
        "delivered_quantity_t": f.delivered_quantity_t,
        "price_per_tonne": money(f.price_per_tonne),
        "currency": f.currency,
        "vintage_from": f.vintage_from,
        "vintage_to": f.vintage_to,
        "delivery_deadline": f.delivery_deadline,
        "prepayment_share": money(f.prepayment_share),
        "status": f.status.value,
        "escrow_locked": money(f.escrow_locked),
        "accepted_seq": f.accepted_seq,
        "accepted_at": f.accepted_at,
        "cancel_requested_by": f.cancel_requested_by,
        "offered_by": f.offered_by,
        "offered_at": f.offered_at,
        "closed_at": f.closed_at,
    }


def _delivery_values(d: ForwardDeliveryRecord) -> dict[str, Any]:
    return {
        "forward_id": d.forward_id,
        "batch_id": d.batch_id,
        "quantity_t": d.quantity_t,
        "amount": money(d.amount),
        "state": d.state.value,
        "settlement_id": d.settlement_id,
        "error": d.error,
        "created_at": d.created_at,
        "delivered_at": d.delivered_at,
    }


def _optional_utc(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def _delivery_from_row(r: Row[Any]) -> ForwardDeliveryRecord:
    return ForwardDeliveryRecord(
        delivery_id=r.delivery_id,
        forward_id=r.forward_id,
        batch_id=r.batch_id,
        quantity_t=int(r.quantity_t),
        amount=Decimal(r.amount),
        state=DeliveryState(r.state),
        created_at=utc(r.created_at),
        settlement_id=r.settlement_id,
        delivered_at=_optional_utc(r.delivered_at),
        error=r.error,
    )


def _forward_from_row(r: Row[Any], deliveries: tuple[ForwardDeliveryRecord, ...]) -> ForwardRecord:
    return ForwardRecord(
        forward_id=r.forward_id,
        project_id=r.project_id,
        seller_organization_id=r.seller_organization_id,
        seller_account_id=r.seller_account_id,
        buyer_organization_id=r.buyer_organization_id,
        quantity_t=int(r.quantity_t),
        price_per_tonne=Decimal(r.price_per_tonne),
        currency=r.currency,
        vintage_from=r.vintage_from,
        vintage_to=r.vintage_to,
        delivery_deadline=r.delivery_deadline,
        prepayment_share=Decimal(r.prepayment_share),
        status=ForwardStatus(r.status),
        offered_at=utc(r.offered_at),
        offered_by=r.offered_by,
        delivered_quantity_t=int(r.delivered_quantity_t),
        delivery_account_id=r.delivery_account_id,
        accepted_seq=None if r.accepted_seq is None else int(r.accepted_seq),
        accepted_at=_optional_utc(r.accepted_at),
        escrow_locked=Decimal(r.escrow_locked),
        cancel_requested_by=r.cancel_requested_by,
        closed_at=_optional_utc(r.closed_at),
        deliveries=deliveries,
    )


def _forwards(conn: Connection, rows: Sequence[Row[Any]]) -> list[ForwardRecord]:
    if not rows:
        return []
    d = t.forward_deliveries
    ids = [r.forward_id for r in rows]
    by_forward: dict[str, list[ForwardDeliveryRecord]] = {i: [] for i in ids}
    for row in conn.execute(select(d).where(d.c.forward_id.in_(ids)).order_by(d.c.created_at, d.c.delivery_id)):
        by_forward[row.forward_id].append(_delivery_from_row(row))
    return [_forward_from_row(r, tuple(by_forward[r.forward_id])) for r in rows]


def get_forward(conn: Connection, forward_id: str, *, for_update: bool = False) -> ForwardRecord | None:
    f = t.forward_contracts
    stmt = select(f).where(f.c.forward_id == forward_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    return None if row is None else _forwards(conn, [row])[0]


def insert_forward(conn: Connection, forward: ForwardRecord) -> None:
    conn.execute(t.forward_contracts.insert().values(forward_id=forward.forward_id, **_forward_values(forward)))
    for delivery in forward.deliveries:
        conn.execute(
            t.forward_deliveries.insert().values(delivery_id=delivery.delivery_id, **_delivery_values(delivery))
        )


def save_forward(conn: Connection, forward: ForwardRecord) -> None:
    f, d = t.forward_contracts, t.forward_deliveries
    conn.execute(update(f).where(f.c.forward_id == forward.forward_id).values(**_forward_values(forward)))
    known = set(conn.execute(select(d.c.delivery_id).where(d.c.forward_id == forward.forward_id)).scalars())
    for delivery in forward.deliveries:
        values = _delivery_values(delivery)
        if delivery.delivery_id in known:
            conn.execute(update(d).where(d.c.delivery_id == delivery.delivery_id).values(**values))
        else:
            conn.execute(d.insert().values(delivery_id=delivery.delivery_id, **values))


def forwards_where(conn: Connection, *conditions: Any, for_update: bool = False) -> list[ForwardRecord]:
    f = t.forward_contracts
    stmt = select(f).where(*conditions).order_by(f.c.accepted_seq, f.c.offered_at, f.c.forward_id)
    if for_update:
        stmt = stmt.with_for_update()
    return _forwards(conn, list(conn.execute(stmt)))


def forwards_of_organization(conn: Connection, organization_id: str) -> list[ForwardRecord]:
    """Contracts the organization sells or buys, newest offer first."""
    f = t.forward_contracts
    found = forwards_where(
        conn, (f.c.seller_organization_id == organization_id) | (f.c.buyer_organization_id == organization_id)
    )
    return sorted(found, key=lambda x: (x.offered_at, x.forward_id), reverse=True)


def forwards_of_project(conn: Connection, project_id: str) -> list[ForwardRecord]:
    f = t.forward_contracts
    return forwards_where(conn, f.c.project_id == project_id)


def forward_volumes(conn: Connection, currency: str, project_id: str | None) -> list[tuple[Decimal, int, int]]:
    """(price per tonne, contracted t, delivered t) of every accepted contract not cancelled."""
    f = t.forward_contracts
    stmt = select(f.c.price_per_tonne, f.c.quantity_t, f.c.delivered_quantity_t).where(
        f.c.currency == currency,
        f.c.accepted_seq.is_not(None),
        f.c.status != ForwardStatus.CANCELLED.value,
    )
    if project_id is not None:
        stmt = stmt.where(f.c.project_id == project_id)
    return [(Decimal(r.price_per_tonne), int(r.quantity_t), int(r.delivered_quantity_t)) for r in conn.execute(stmt)]


def next_accepted_seq(conn: Connection) -> int:
    f = t.forward_contracts
    return int(conn.execute(select(func.coalesce(func.max(f.c.accepted_seq), 0))).scalar_one()) + 1


def forwards_with_pending_deliveries(conn: Connection, limit: int = 100) -> list[str]:
    d = t.forward_deliveries
    stmt = select(d.c.forward_id).where(d.c.state == DeliveryState.PENDING.value).distinct().limit(limit)
    return sorted(conn.execute(stmt).scalars())


def active_forwards_due(conn: Connection, today: date) -> list[str]:
    f = t.forward_contracts
    stmt = select(f.c.forward_id).where(f.c.status == ForwardStatus.ACTIVE.value, f.c.delivery_deadline < today)
    return list(conn.execute(stmt.order_by(f.c.forward_id)).scalars())


def claim(conn: Connection, key: str, at: datetime) -> bool:
    c = t.consumed_events
    if conn.execute(select(c.c.claim_key).where(c.c.claim_key == key)).first() is not None:
        return False
    conn.execute(c.insert().values(claim_key=key, claimed_at=at))
    return True


def record_project(conn: Connection, project_id: str, proponent_organization_id: str) -> None:
    p = t.forward_projects
    if conn.execute(select(p.c.project_id).where(p.c.project_id == project_id)).first() is None:
        conn.execute(p.insert().values(project_id=project_id, proponent_organization_id=proponent_organization_id))


def proponent_of(conn: Connection, project_id: str) -> str | None:
    p = t.forward_projects
    value = conn.execute(select(p.c.proponent_organization_id).where(p.c.project_id == project_id)).scalar()
    return None if value is None else str(value)


class ForwardRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, forward: ForwardRecord) -> None:
        insert_forward(self.conn, forward)

    def get(self, forward_id: str, *, for_update: bool = False) -> ForwardRecord | None:
        return get_forward(self.conn, forward_id, for_update=for_update)

    def save(self, forward: ForwardRecord) -> None:
        save_forward(self.conn, forward)

    def active_on_project(self, project_id: str) -> list[ForwardRecord]:
        f = t.forward_contracts
        return forwards_where(
            self.conn, f.c.project_id == project_id, f.c.status == ForwardStatus.ACTIVE.value, for_update=True
        )

    def next_accepted_seq(self) -> int:
        return next_accepted_seq(self.conn)

    def with_pending_deliveries(self, limit: int = 100) -> list[str]:
        return forwards_with_pending_deliveries(self.conn, limit)

    def active_due(self, today: date) -> list[str]:
        return active_forwards_due(self.conn, today)

    def claim(self, key: str, at: datetime) -> bool:
        return claim(self.conn, key, at)

    def record_project(self, project_id: str, proponent_organization_id: str) -> None:
        record_project(self.conn, project_id, proponent_organization_id)

    def proponent_of(self, project_id: str) -> str | None:
        return proponent_of(self.conn, project_id)


class InstrumentRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, record: InstrumentRecord, created_by: str) -> None:
        insert_instrument(self.conn, record, created_by)

    def get(self, instrument_id: str) -> InstrumentRecord | None:
        return get_instrument(self.conn, instrument_id)

    def list(self) -> list[InstrumentRecord]:
        return list_instruments(self.conn)


class JournalRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append(self, instrument_id: str, seq: int, entry: JournalEntry) -> None:
        append_journal(self.conn, instrument_id, seq, entry)

    def load(self, instrument_id: str) -> list[JournalEntry]:
        return load_journal(self.conn, instrument_id)


class CashRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, organization_id: str, currency: str, *, for_update: bool = False) -> CashRecord:
        return get_cash(self.conn, organization_id, currency, for_update=for_update)

    def adjust(
        self,
        organization_id: str,
        currency: str,
        *,
        available_delta: Decimal,
        locked_delta: Decimal,
        kind: str,
        reference_id: str,
        at: datetime,
    ) -> CashRecord:
        return adjust_cash(
            self.conn, organization_id, currency, available_delta=available_delta, locked_delta=locked_delta,
            kind=kind, reference_id=reference_id, at=at,
        )  # fmt: skip


class OrderRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, order: OrderRecord, created_by: str) -> None:
        insert_order(self.conn, order, created_by)

    def get(self, order_id: str, *, for_update: bool = False) -> OrderRecord | None:
        return get_order(self.conn, order_id, for_update=for_update)

    def update(
        self,
        order_id: str,
        at: datetime,
        *,
        price: Decimal | None = None,
        quantity_t: int | None = None,
        filled_quantity_t: int | None = None,
        status: str | None = None,
        locked_cash: Decimal | None = None,
    ) -> None:
        update_order(
            self.conn, order_id, at, price=price, quantity_t=quantity_t, filled_quantity_t=filled_quantity_t,
            status=status, locked_cash=locked_cash,
        )  # fmt: skip


class TradeRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, trade: TradeRecord) -> None:
        insert_trade(self.conn, trade)

    def get(self, trade_id: str, *, for_update: bool = False) -> TradeRecord | None:
        return get_trade(self.conn, trade_id, for_update=for_update)

    def ids_of_order(self, order_id: str) -> list[str]:
        return trade_ids_of_order(self.conn, order_id)

    def exchange_trades_in_order(self, instrument_id: str) -> list[TradeRecord]:
        return exchange_trades_in_order(self.conn, instrument_id)

    def pending_ids(self, limit: int = 100) -> list[str]:
        return pending_trade_ids(self.conn, limit)

    def mark_settled(
        self, trade_id: str, settlement_id: str, deliveries: Sequence[tuple[str, int]], at: datetime
    ) -> None:
        mark_trade_settled(self.conn, trade_id, settlement_id, deliveries, at)

    def record_attempt(self, trade_id: str, outcome: str, detail: str, at: datetime) -> None:
        record_attempt(self.conn, trade_id, outcome, detail, at)


class UnlockRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, lock_id: str, quantity_t: int, at: datetime) -> str:
        return add_unlock(self.conn, lock_id, quantity_t, at)

    def pending(self, limit: int = 100) -> list[UnlockRecord]:
        return pending_unlocks(self.conn, limit)

    def finish(self, unlock_id: str, error: str | None, at: datetime) -> None:
        finish_unlock(self.conn, unlock_id, error, at)


class TenderRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, tender: TenderRecord, created_at: datetime) -> None:
        insert_tender(self.conn, tender, created_at)

    def get(self, tender_id: str, *, for_update: bool = False) -> TenderRecord | None:
        return get_tender(self.conn, tender_id, for_update=for_update)

    def add_bid(self, tender_id: str, bid: BidRecord) -> None:
        insert_bid(self.conn, tender_id, bid)

    def award_bid(self, bid_id: str, awarded_quantity_t: int, locked_cash: Decimal) -> None:
        award_bid(self.conn, bid_id, awarded_quantity_t, locked_cash)

    def close(self, tender_id: str, result: TenderResultRecord) -> None:
        close_tender(self.conn, tender_id, result)


class OtcReportRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, report: OtcReportRecord) -> None:
        insert_otc_report(self.conn, report)
