"""The ways other services' events reach the read models, all as `ProjectEvent` commands on the bus:

- Kafka: one record = one serialized EventEnvelope, applied in its own transaction with its event id
  claimed (so redeliveries after a crash or a rebalance change nothing);
- the producers' event logs over gRPC (their outboxes, kept for ever, are the truth; Kafka is only the
  fast path): `rebuild` clears the read models and replays every log from position 0 through the same
  projections, so a rebuilt read model is identical to one built live; `catch_up` and `follower` follow
  the logs without Kafka.

Protobuf stops here: `decode` turns an envelope into the domain's event dataclasses, resolving every
default the wire leaves open, and rejects what a reader must reject (MalformedEventError: logged and
skipped, nothing written, the event id not claimed).
"""

from __future__ import annotations

import enum
import functools
import logging
import threading
import time
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol, TypeVar

from carbon.events.v1 import envelope_pb2
from carbon.issuance.v1 import events_pb2 as issuance_events
from carbon.issuance.v1 import types_pb2 as issuance_types
from carbon.registry.v1 import events_pb2 as registry_events
from carbon.registry.v1 import types_pb2 as registry_types
from carbon.trading.v1 import events_pb2 as trading_events
from google.protobuf.message import DecodeError
from google.protobuf.timestamp_pb2 import Timestamp

from carbon_runtime.messaging import decoding
from carbon_runtime.messaging.bus import MessageBus
from carbon_runtime.messaging.envelope import accepted_from_topic
from carbon_runtime.messaging.kafka import ConsumedRecord, KafkaConsumerLoop
from carbon_runtime.ops import telemetry
from carbon_runtime.vocabulary import (
    Authorization,
    CreditBasis,
    CreditCategory,
    CreditType,
    RetirementPurpose,
    proto_prefix,
)
from services.reporting.domain import events as ev
from services.reporting.domain.commands import ClearReadModel, ProjectEvent, ProjectEvents
from services.reporting.domain.events import MalformedEventError
from services.reporting.service.ports import ReadModel

log = logging.getLogger(__name__)

GROUP_ID = "reporting"
PRODUCERS: tuple[str, ...] = ("issuance", "registry", "trading")
TOPICS: tuple[str, ...] = tuple(f"carbon.{producer}.events.v1" for producer in PRODUCERS)

Envelope = envelope_pb2.EventEnvelope
Bus = MessageBus[Any]


class EventLog(Protocol):
    """One producer's event log (carbon.events.v1.EventLog), as adapters/event_log_client.py serves it."""

    def replay(self, from_position: int) -> Iterator[tuple[int, Any]]:
        """(position, EventEnvelope) in position order, starting after `from_position`."""
        ...

    def head(self) -> int: ...


# --- protobuf -> domain ----------------------------------------------------------------------------------


E = TypeVar("E", bound=enum.StrEnum)


def _enum(kind: type[E], proto_enum: Any, number: int) -> E:
    """A shared-vocabulary enum from its proto value; UNSPECIFIED (or unknown) is malformed."""
    try:
        name = str(proto_enum.Name(number))
    except ValueError as exc:
        raise MalformedEventError(f"enum number {number} is not a {kind.__name__}") from exc
    prefix = proto_prefix(kind.__name__)
    if not name.startswith(prefix) or name.endswith("_UNSPECIFIED"):
        raise MalformedEventError(f"enum value {name} is not valid on the wire")
    return kind(name.removeprefix(prefix))


def _date(text: str, what: str) -> date:
    if not text:
        raise MalformedEventError(f"{what} is empty")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise MalformedEventError(f"{what} is not an ISO 8601 date: {text!r}") from exc


def _optional_date(text: str, what: str) -> date | None:
    return _date(text, what) if text else None


def _instant(ts: Timestamp, fallback: datetime) -> datetime:
    if ts.seconds == 0 and ts.nanos == 0:
        return fallback
    return ts.ToDatetime(tzinfo=UTC)


def _decimal(text: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise MalformedEventError(f"{text!r} is not a decimal") from exc
    if not value.is_finite():
        raise MalformedEventError(f"{text!r} is not a finite decimal")
    return value


def _attributes(attrs: issuance_types.CreditAttributes) -> ev.CreditAttributes:
    return ev.CreditAttributes(
        project_id=attrs.project_id,
        program_id=attrs.program_id,
        methodology_id=attrs.methodology_id,
        country=attrs.country,
        vintage_start=_date(attrs.vintage_start, "vintage_start"),
        vintage_end=_date(attrs.vintage_end, "vintage_end"),
        credit_type=_enum(CreditType, issuance_types.CreditType, attrs.credit_type),
        basis=_enum(CreditBasis, issuance_types.CreditBasis, attrs.basis),
        category=_enum(CreditCategory, issuance_types.CreditCategory, attrs.category),
        corresponding_adjustment=attrs.corresponding_adjustment,
        authorization=_enum(Authorization, issuance_types.Authorization, attrs.authorization),
        co_benefits=tuple(int(goal) for goal in attrs.co_benefits),
        issuer_organization_id=attrs.issuer_organization_id,
    )


def _blocks(blocks: Iterable[registry_types.UnitBlock]) -> tuple[ev.UnitBlock, ...]:
    return tuple(ev.UnitBlock(b.batch_id, b.serial_start, b.serial_end, int(b.quantity_t)) for b in blocks)


def _accounting(a: registry_types.TransferAccounting, *, batch_id: str, quantity_t: int) -> ev.TransferAccounting:
    return ev.TransferAccounting(
        batch_id=batch_id,
        quantity_t=quantity_t,
        itmo_first_transfer=a.itmo_first_transfer,
        issuer_onset=a.issuer_onset,
        onset_fiscal_year=a.onset_fiscal_year,
    )


# Hand-written decoders, only for events whose proto and domain shapes differ (a renamed field, a field
# taken from a nested message): (proto payload, the envelope's occurred_at) -> domain event. Every other
# consumed event is decoded by field name (carbon_runtime.messaging.decoding) into the class of the same
# name in domain/events.ConsumedEvent, so consuming a new event takes its dataclass and its projection.
Decoder = Callable[[Any, datetime], ev.ConsumedEvent]


def _batch_minted(p: registry_events.BatchMinted, at: datetime) -> ev.BatchMinted:
    return ev.BatchMinted(
        batch_id=p.batch_id,
        attributes=_attributes(p.attributes),
        issued_quantity_t=p.issued_quantity_t,
        buffer_quantity_t=p.buffer_quantity_t,
        serial_start=p.serial_start,
        serial_end=p.serial_end,
        minted_at=at,
    )


def _credits_transferred(p: registry_events.CreditsTransferred, at: datetime) -> ev.CreditsTransferred:
    return ev.CreditsTransferred(
        transfer_id=p.transfer_id,
        from_account_id=p.from_account_id,
        from_organization_id=p.from_organization_id,
        to_account_id=p.to_account_id,
        to_organization_id=p.to_organization_id,
        # The accounting block is the authority on onset; batch and quantity are on the event itself too.
        accounting=_accounting(p.accounting, batch_id=p.batch_id, quantity_t=p.quantity_t),
        blocks=_blocks(p.blocks),
        transferred_at=at,
    )


def _credits_settled(p: registry_events.CreditsSettled, at: datetime) -> ev.CreditsSettled:
    return ev.CreditsSettled(
        settlement_id=p.settlement_id,
        trade_id=p.trade_id,
        from_account_id=p.from_account_id,
        from_organization_id=p.from_organization_id,
        to_account_id=p.to_account_id,
        to_organization_id=p.to_organization_id,
        deliveries=tuple(_accounting(d, batch_id=d.batch_id, quantity_t=d.quantity_t) for d in p.deliveries),
        blocks=_blocks(p.blocks),
        settled_at=at,
    )


def _credits_retired(p: registry_events.CreditsRetired, at: datetime) -> ev.CreditsRetired:
    return ev.CreditsRetired(
        retirement_id=p.retirement_id,
        batch_id=p.batch_id,
        account_id=p.account_id,
        organization_id=p.organization_id,
        quantity_t=p.quantity_t,
        serial_ranges=tuple(p.serial_ranges),
        purpose=_enum(RetirementPurpose, registry_types.RetirementPurpose, p.purpose),
        beneficiary=p.beneficiary,
        retirement_year=p.retirement_year,
        offset_emissions_tco2e=_decimal(p.offset_emissions_decimal),
        activity_description=p.activity_description,
        retired_at=_instant(p.retired_at, at),
        counts_toward_japan_ndc=p.counts_toward_japan_ndc,
    )


def _project_registered(p: issuance_events.ProjectRegistered, at: datetime) -> ev.ProjectRegistered:
    registered_on = _optional_date(p.registered_on, "registered_on") or at.date()
    return ev.ProjectRegistered(project_id=p.project_id, registered_on=registered_on)


def _credits_issued(p: issuance_events.CreditsIssued, at: datetime) -> ev.CreditsIssued:
    return ev.CreditsIssued(
        batch_id=p.batch_id,
        attributes=_attributes(p.attributes),
        project_name=p.project_name,
        program_name=p.program_name,
        methodology_title=p.methodology_title,
        issued_quantity_t=p.issued_quantity_t,
        buffer_quantity_t=p.buffer_quantity_t,
        serial_start=p.serial_start,
        serial_end=p.serial_end,
        holder_account_id=p.holder_account_id,
        issued_at=at,
    )


def _trade_executed(p: trading_events.TradeExecuted, at: datetime) -> ev.TradeExecuted:
    trade = p.trade
    return ev.TradeExecuted(
        trade_id=trade.trade_id,
        instrument_id=trade.instrument_id,
        price=_decimal(trade.price_decimal),
        quantity_t=trade.quantity_t,
        buyer_organization_id=p.buyer_organization_id,
        seller_organization_id=p.seller_organization_id,
        executed_at=_instant(trade.executed_at, at),
    )


def _trade_settled(p: trading_events.TradeSettled, at: datetime) -> ev.TradeSettled:
    return ev.TradeSettled(
        trade_id=p.trade_id,
        settlement_id=p.settlement_id,
        amount=_decimal(p.amount_decimal),
        currency=p.currency or None,
        deliveries=tuple(ev.DeliveredBatch(d.batch_id, d.quantity_t) for d in p.deliveries),
        settled_at=at,
    )


DECODERS: dict[str, Decoder] = {
    "carbon.registry.v1.BatchMinted": _batch_minted,
    "carbon.registry.v1.CreditsTransferred": _credits_transferred,
    "carbon.registry.v1.CreditsSettled": _credits_settled,
    "carbon.registry.v1.CreditsRetired": _credits_retired,
    "carbon.issuance.v1.ProjectRegistered": _project_registered,
    "carbon.issuance.v1.CreditsIssued": _credits_issued,
    "carbon.trading.v1.TradeExecuted": _trade_executed,
    "carbon.trading.v1.TradeSettled": _trade_settled,
}


def decode(env: Envelope, *, position: int | None = None) -> ProjectEvent:
    """The command that projects one envelope. Event types reporting does not project become a command
    without an event: still claimed and counted, so the progress per producer counts its whole log."""
    if not env.event_id:
        raise MalformedEventError("event without event_id")
    which = env.WhichOneof("payload")
    if which is None:
        raise MalformedEventError(f"event {env.event_id} has no payload")
    payload = getattr(env, which)
    if payload.DESCRIPTOR.full_name != env.event_type:
        raise MalformedEventError(f"event {env.event_id}: event_type {env.event_type} does not match its payload")
    # An envelope without a time is stamped on arrival (never seen from this platform's producers).
    occurred_at = _instant(env.occurred_at, datetime.now(UTC))
    return ProjectEvent(
        event_id=env.event_id,
        source=env.producer or "unknown",
        occurred_at=occurred_at,
        event=_decode_payload(env.event_type, payload, occurred_at),
        position=position,
    )


@functools.cache
def _consumed_by_name() -> dict[str, type[Any]]:
    return {cls.__name__: cls for cls in typing.get_args(ev.ConsumedEvent)}


def _decode_payload(event_type: str, payload: Any, occurred_at: datetime) -> ev.ConsumedEvent | None:
    """The domain event reporting projects for this payload, or None for an event it does not project."""
    decoder = DECODERS.get(event_type)
    if decoder is not None:
        return decoder(payload, occurred_at)
    cls = _consumed_by_name().get(event_type.rsplit(".", 1)[-1])
    if cls is None:
        return None
    try:
        event: ev.ConsumedEvent = decoding.decode_as(cls, payload, occurred_at)
    except decoding.MalformedEventError as exc:
        raise MalformedEventError(str(exc)) from exc
    return event


# --- applying ----------------------------------------------------------------------------------------


def apply_one(bus: Bus, env: Envelope, *, position: int | None = None) -> bool:
    """Apply one envelope in its own transaction; False when it had been applied already or is malformed."""
    try:
        applied: bool = bus.handle(decode(env, position=position))
    except MalformedEventError:
        log.exception("skipping event %s that a reader must reject", env.event_id)
        return False
    return applied


def apply_serialized(bus: Bus, value: bytes, *, position: int | None = None) -> bool:
    """Apply one serialized EventEnvelope in its own transaction (the Kafka path)."""
    return apply_one(bus, Envelope.FromString(value), position=position)


def apply_many(bus: Bus, items: Iterable[tuple[int | None, Envelope]], *, batch_size: int = 200) -> int:
    """Apply (position, envelope) pairs in transactions of `batch_size` events; returns events applied."""
    applied = 0
    batch: list[tuple[int | None, Envelope]] = []

    def flush() -> None:
        nonlocal applied
        if not batch:
            return
        commands: list[ProjectEvent] = []
        for position, env in batch:
            try:
                commands.append(decode(env, position=position))
            except MalformedEventError:
                log.exception("skipping event %s that a reader must reject", env.event_id)
        try:
            applied += int(bus.handle(ProjectEvents(tuple(commands))))
        except MalformedEventError:
            # The whole batch rolled back: apply it one by one so only the malformed event is skipped.
            for cmd in commands:
                try:
                    applied += bool(bus.handle(cmd))
                except MalformedEventError:
                    log.exception("skipping event %s that a reader must reject", cmd.event_id)
        batch.clear()

    for item in items:
        batch.append(item)
        if len(batch) >= batch_size:
            flush()
    flush()
    return applied


def rebuild(bus: Bus, logs: Mapping[str, EventLog]) -> dict[str, int]:
    """Clear the read models and replay every producer's log from the start. Returns events applied per log."""
    bus.handle(ClearReadModel())
    return {source: apply_many(bus, log_port.replay(0)) for source, log_port in logs.items()}


def replayed_position(read_model: ReadModel, source: str) -> int:
    with read_model.read() as facts:
        progress = facts.source_progress().get(source)
    return 0 if progress is None else progress.replayed_position


def catch_up(bus: Bus, read_model: ReadModel, source: str, log_port: EventLog) -> int:
    """Apply what the producer recorded after the last replayed position (following without Kafka)."""
    return apply_many(bus, log_port.replay(replayed_position(read_model, source)))


class PeriodicWorker:
    """Runs `tick` every `interval_s` in a daemon thread until stopped (a carbon_runtime Worker)."""

    def __init__(self, name: str, tick: Callable[[], None], interval_s: float) -> None:
        self.name = name
        self.tick = tick
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_forever(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.tick()
            except Exception:
                log.exception("%s failed; retrying", self.name)
            self._stop.wait(max(0.0, self.interval_s - (time.monotonic() - started)))

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def follower(bus: Bus, read_model: ReadModel, logs: Mapping[str, EventLog], interval_s: float) -> PeriodicWorker:
    """Follows the producers' logs over gRPC (for stacks without a broker)."""

    def tick() -> None:
        for source, log_port in logs.items():
            try:
                catch_up(bus, read_model, source, log_port)
            except Exception:
                log.debug("catch-up from %s failed", source, exc_info=True)

    return PeriodicWorker("reporting-log-follower", tick, interval_s)


# --- Kafka -------------------------------------------------------------------------------------------


def make_handler(bus: Bus) -> Callable[[ConsumedRecord], None]:
    def handle(record: ConsumedRecord) -> None:
        try:
            env = Envelope.FromString(record.value)
        except DecodeError:
            # A record that is not an envelope can never be applied; retrying it would stall the partition.
            log.error("skipping undecodable record at %s offset %s", record.topic, record.offset)
            return
        if not accepted_from_topic(record.topic, env):
            # A topic carries only its producer's own event types (a forged event on the wrong topic).
            log.error("refusing event %s (%s) on topic %s", env.event_id, env.event_type, record.topic)
            return
        with telemetry.kafka_consume_span(record.topic, record.headers, env.event_id):
            # Database errors propagate: the loop reconnects and the record is delivered again.
            apply_one(bus, env)

    return handle


def consumer(
    bootstrap_servers: str,
    bus: Bus,
    *,
    session_timeout_ms: int = 6000,
    security: dict[str, object] | None = None,
) -> KafkaConsumerLoop:
    """`security`: the same TLS/SASL options as the service's producers (ServiceSettings.kafka_options);
    without them production brokers refuse the connection and the reports silently stop."""
    return KafkaConsumerLoop(
        bootstrap_servers,
        GROUP_ID,
        TOPICS,
        make_handler(bus),
        session_timeout_ms=session_timeout_ms,
        security=security,
    )
