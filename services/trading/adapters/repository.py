"""SQL for the trading tables: rows in, typed records out. Every function runs in the caller's
transaction (a `Connection` from the unit of work), so state, journal and events commit together."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, func, select, update

from services.trading.adapters import tables as t
from services.trading.domain.events import Phase
from services.trading.domain.instruments import (
    CreditCategory,
    CreditType,
    Instrument,
    InstrumentCriteria,
    PriceLimit,
    PriceLimitKind,
)
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
from services.trading.domain.session import SessionSchedule, SessionStep


def utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every instant in this service is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def money(value: Decimal) -> str:
    # Canonical text without exponent, so "1E+3" is never stored for 1000.
    return format(value, "f")


# --- instruments --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InstrumentRecord:
    instrument: Instrument
    schedule: SessionSchedule | None
    mode: str
    created_at: datetime


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


@dataclass(frozen=True, slots=True)
class CashRecord:
    organization_id: str
    currency: str
    available: Decimal
    locked: Decimal


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


@dataclass(frozen=True, slots=True)
class OrderRecord:
    order_id: str
    instrument_id: str
    organization_id: str
    account_id: str
    side: Side
    price: Decimal
    quantity_t: int
    filled_quantity_t: int
    status: str
    time_in_force: TimeInForce
    locked_cash: Decimal
    lock_id: str
    created_at: datetime

    @property
    def remaining_t(self) -> int:
        return self.quantity_t - self.filled_quantity_t


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


def update_order(conn: Connection, order_id: str, at: datetime, **values: Any) -> None:
    for key in ("price", "locked_cash"):
        if key in values and isinstance(values[key], Decimal):
            values[key] = money(values[key])
    conn.execute(update(t.orders).where(t.orders.c.order_id == order_id).values(updated_at=at, **values))


def list_orders(conn: Connection, organization_id: str, instrument_id: str | None, limit: int) -> list[OrderRecord]:
    stmt = select(t.orders).where(t.orders.c.organization_id == organization_id)
    if instrument_id is not None:
        stmt = stmt.where(t.orders.c.instrument_id == instrument_id)
    rows = conn.execute(stmt.order_by(t.orders.c.created_at.desc()).limit(limit))
    return [_order_from_row(r) for r in rows]


# --- trades -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TradeRecord:
    trade_id: str
    instrument_id: str
    source: str
    engine_seq: int | None
    price: Decimal
    price_ticks: int
    quantity_t: int
    amount: Decimal
    currency: str
    buy_order_id: str
    sell_order_id: str
    sell_lock_id: str
    buyer_organization_id: str
    seller_organization_id: str
    buyer_account_id: str
    seller_account_id: str
    aggressor_side: Side | None
    settlement_state: str
    settlement_id: str | None
    delivered_batch_id: str | None
    deliveries: tuple[tuple[str, int], ...]
    executed_at: datetime
    settled_at: datetime | None

    @property
    def settled(self) -> bool:
        return self.settlement_state == "SETTLED"


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


def count_attempts(conn: Connection, trade_id: str) -> int:
    a = t.settlement_attempts
    return int(conn.execute(select(func.count()).select_from(a).where(a.c.trade_id == trade_id)).scalar_one())


# --- registry unlocks owed ----------------------------------------------------------------------


def add_unlock(conn: Connection, lock_id: str, quantity_t: int, at: datetime) -> str:
    unlock_id = str(uuid.uuid4())
    conn.execute(
        t.registry_unlocks.insert().values(
            unlock_id=unlock_id, lock_id=lock_id, quantity_t=quantity_t, state="PENDING", created_at=at
        )
    )
    return unlock_id


@dataclass(frozen=True, slots=True)
class UnlockRecord:
    unlock_id: str
    lock_id: str
    quantity_t: int


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
