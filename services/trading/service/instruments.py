"""CreateInstrument (EXCHANGE_ADMIN) and DepositFunds (EXCHANGE_ADMIN)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal

from carbon.registry.v1 import types_pb2 as registry_types_pb2
from carbon.trading.v1 import events_pb2, types_pb2

from carbon_runtime.errors import invalid, not_found
from carbon_runtime.persistence import idempotency
from carbon_runtime.transport.auth import Principal, require_role
from services.trading.adapters import repository as repo
from services.trading.adapters import tables
from services.trading.adapters.registry_grpc import criteria_to_proto
from services.trading.domain.instruments import Instrument, InstrumentCriteria, PriceLimit
from services.trading.domain.session import SessionSchedule
from services.trading.service.bounds import require_money_in_range
from services.trading.service.context import TradingContext, actor_of
from services.trading.service.orders import delivery_criteria


@dataclass(frozen=True, slots=True)
class InstrumentSpec:
    name: str
    currency: str
    tick_size: Decimal
    criteria: InstrumentCriteria
    lot_size_t: int = 1
    reference_price: Decimal | None = None
    price_limit: PriceLimit | None = None
    schedule: SessionSchedule | None = None


def _scope(p: Principal) -> str:
    return p.organization_id or f"user:{p.user_id}"


def create_instrument(
    ctx: TradingContext, p: Principal, spec: InstrumentSpec, idempotency_key: str | None = None
) -> repo.InstrumentRecord:
    require_role(p, "EXCHANGE_ADMIN")
    if not spec.name.strip():
        raise invalid("NAME_EMPTY", "an instrument needs a name")
    require_money_in_range(spec.tick_size, "tickSize", "TICK_SIZE_OUT_OF_RANGE")
    instrument_id = str(uuid.uuid4())
    instrument = Instrument(
        id=instrument_id,
        name=spec.name.strip(),
        currency=spec.currency,
        criteria=spec.criteria,
        tick_size=spec.tick_size,
        lot_size_t=spec.lot_size_t,
        reference_price=spec.reference_price,
        price_limit=spec.price_limit,
    )
    mode = "CALL_AUCTION" if spec.schedule is not None else "CONTINUOUS"
    record = repo.InstrumentRecord(instrument, spec.schedule, mode, ctx.now())
    req_hash = idempotency.request_hash(
        "CreateInstrument",
        [spec.name, spec.currency, repo.money(spec.tick_size), repo.criteria_to_json(spec.criteria), spec.lot_size_t],
    )
    with ctx.uow() as uow:
        if idempotency_key:
            stored = idempotency.lookup(
                uow.conn, tables.idempotency_keys, _scope(p), idempotency_key, "CreateInstrument", req_hash
            )
            if stored is not None:
                existing = repo.get_instrument(uow.conn, json.loads(stored)["instrument_id"])
                assert existing is not None
                return existing
        repo.insert_instrument(uow.conn, record, actor_of(p))
        if idempotency_key:
            idempotency.store(
                uow.conn, tables.idempotency_keys, _scope(p), idempotency_key, "CreateInstrument", req_hash,
                json.dumps({"instrument_id": instrument_id}).encode(),
            )  # fmt: skip
        uow.add_event(
            "instrument",
            instrument_id,
            events_pb2.InstrumentCreated(
                instrument_id=instrument_id,
                name=instrument.name,
                currency=instrument.currency,
                tick_size_decimal=repo.money(instrument.tick_size),
                criteria=_criteria_proto_for(instrument),
                mode=types_pb2.TRADING_MODE_CALL_AUCTION
                if mode == "CALL_AUCTION"
                else types_pb2.TRADING_MODE_CONTINUOUS,
                idempotency_key=idempotency_key or "",
                actor_user_id=actor_of(p),
                actor_organization_id=p.organization_id or "",
            ),
        )
    ctx.add_market(instrument, spec.schedule)
    return record


def _criteria_proto_for(instrument: Instrument) -> registry_types_pb2.DeliveryCriteria:
    from services.trading.service.ports import DeliveryCriteria

    c = instrument.criteria
    return criteria_to_proto(
        DeliveryCriteria(
            program_ids=tuple(sorted(c.program_ids)) if c.program_ids else (),
            credit_types=tuple(sorted(x.value for x in c.credit_types)) if c.credit_types else (),
            categories=tuple(sorted(x.value for x in c.categories)) if c.categories else (),
            vintage_from=c.vintage_from,
            vintage_to=c.vintage_to,
            corresponding_adjustment_required=c.corresponding_adjustment_required,
            batch_id=c.batch_id,
        )
    )


def instrument_proto(record: repo.InstrumentRecord) -> types_pb2.Instrument:
    from services.trading.service.effects import ts

    i = record.instrument
    return types_pb2.Instrument(
        instrument_id=i.id,
        name=i.name,
        currency=i.currency,
        tick_size_decimal=repo.money(i.tick_size),
        criteria=_criteria_proto_for(i),
        mode=types_pb2.TRADING_MODE_CALL_AUCTION
        if record.mode == "CALL_AUCTION"
        else types_pb2.TRADING_MODE_CONTINUOUS,
        reference_price_decimal=repo.money(i.reference_price) if i.reference_price is not None else "",
        created_at=ts(record.created_at),
    )


def deposit_funds(
    ctx: TradingContext, p: Principal, organization_id: str, currency: str, amount: Decimal
) -> repo.CashRecord:
    require_role(p, "EXCHANGE_ADMIN")
    if not amount.is_finite() or amount <= 0:
        raise invalid("AMOUNT_NOT_POSITIVE", "a deposit must be a positive amount")
    require_money_in_range(amount, "amount")
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise invalid("CURRENCY_INVALID", "currency must be an ISO 4217 code such as JPY")
    if not organization_id:
        raise invalid("ORGANIZATION_REQUIRED", "organizationId is required")
    with ctx.uow() as uow:
        return repo.adjust_cash(
            uow.conn,
            organization_id,
            currency,
            available_delta=amount,
            locked_delta=Decimal(0),
            kind="DEPOSIT",
            reference_id=str(uuid.uuid4()),
            at=ctx.now(),
        )


def cash_balance(ctx: TradingContext, p: Principal, organization_id: str, currency: str) -> repo.CashRecord:
    """Members of the organization, AUDITOR, REGISTRY_ADMIN (and the exchange's EXCHANGE_ADMIN)."""
    from carbon_runtime.errors import forbidden
    from carbon_runtime.transport.auth import require_authenticated

    require_authenticated(p)
    if not (p.member_of(organization_id) or p.has_role("AUDITOR", "REGISTRY_ADMIN", "EXCHANGE_ADMIN")):
        raise forbidden("NOT_AUTHORIZED", "only members of the organization may read its cash balance")
    with ctx.db.connect() as conn:
        return repo.get_cash(conn, organization_id, currency)


def get_instrument(ctx: TradingContext, instrument_id: str) -> repo.InstrumentRecord:
    with ctx.db.connect() as conn:
        record = repo.get_instrument(conn, instrument_id)
    if record is None:
        raise not_found("INSTRUMENT_NOT_FOUND", f"no instrument {instrument_id!r}")
    return record


__all__ = ["InstrumentSpec", "cash_balance", "create_instrument", "delivery_criteria", "deposit_funds"]
