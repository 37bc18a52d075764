"""CreateInstrument (EXCHANGE_ADMIN): a standardised contract and, optionally, its session schedule
(call auctions at fixed times instead of continuous matching). Its engine is built on first use."""

from __future__ import annotations

import datetime as dt
import uuid

from carbon_runtime.errors import invalid
from services.trading.domain.actor import require_role
from services.trading.domain.commands import CreateInstrument, ScheduleSpec
from services.trading.domain.events import InstrumentCreated, Phase
from services.trading.domain.instruments import Instrument
from services.trading.domain.listing import InstrumentRecord
from services.trading.domain.records import ListedInstrument
from services.trading.domain.session import Clock, SessionSchedule, SessionStep
from services.trading.service.bounds import require_money_in_range
from services.trading.service.ports import UnitOfWork


def session_schedule(spec: ScheduleSpec) -> SessionSchedule:
    try:
        steps = tuple(
            SessionStep(dt.time.fromisoformat(step.at), Phase(step.phase), Phase(step.then) if step.then else None)
            for step in spec.steps
        )
    except ValueError as exc:
        raise invalid("SCHEDULE_MALFORMED", f"schedule steps need HH:MM times and phase names: {exc}") from None
    return SessionSchedule(steps=steps, tz=dt.timezone(dt.timedelta(minutes=spec.utc_offset_minutes)))


def handle(cmd: CreateInstrument, uow: UnitOfWork, *, clock: Clock) -> ListedInstrument:
    require_role(cmd.actor, "EXCHANGE_ADMIN")
    if not cmd.name.strip():
        raise invalid("NAME_EMPTY", "an instrument needs a name")
    require_money_in_range(cmd.tick_size, "tickSize", "TICK_SIZE_OUT_OF_RANGE")
    instrument = Instrument(
        id=str(uuid.uuid4()),
        name=cmd.name.strip(),
        currency=cmd.currency,
        criteria=cmd.criteria,
        tick_size=cmd.tick_size,
        lot_size_t=cmd.lot_size_t,
        reference_price=cmd.reference_price,
        price_limit=cmd.price_limit,
    )
    schedule = session_schedule(cmd.schedule) if cmd.schedule is not None else None
    mode = "CALL_AUCTION" if schedule is not None else "CONTINUOUS"
    record = InstrumentRecord(instrument, schedule, mode, clock.now())
    uow.instruments.add(record, cmd.actor.name)
    uow.emit(
        InstrumentCreated(
            instrument=instrument,
            mode=mode,
            idempotency_key=cmd.idempotency_key or "",
            actor_user_id=cmd.actor.name,
            actor_organization_id=cmd.actor.organization_id or "",
        )
    )
    return record.listing()
