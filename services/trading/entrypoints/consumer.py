"""Kafka -> commands: the exchange reacts to issuance's and the registry's events (issue 20).

- issuance.v1.ProjectCreated -> RecordProject: who the project's proponent is (who may offer forwards);
- registry.v1.BatchMinted -> DeliverForwards: the units of a batch now exist in the holder's account,
  so contracts on its project are delivered versus payment.
Every other event is skipped without a write. Each record is applied in its own transaction with its
event id claimed, so a redelivery (after a crash, a rebalance, or offsets committed late) changes
nothing; the consumer commits offsets only after the handler returned.

Protobuf stops here: `decode` turns an envelope into a command with domain values, and rejects what
can never be applied (MalformedEventError: logged and skipped, nothing claimed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from carbon.events.v1 import envelope_pb2
from carbon.issuance.v1 import events_pb2 as issuance_events
from carbon.registry.v1 import events_pb2 as registry_events
from google.protobuf.message import DecodeError

from carbon_runtime.messaging.bus import MessageBus
from carbon_runtime.messaging.envelope import accepted_from_topic
from carbon_runtime.messaging.kafka import ConsumedRecord, KafkaConsumerLoop
from carbon_runtime.ops import telemetry
from services.trading.domain.commands import DeliverForwards, RecordProject
from services.trading.domain.forwards import MintedBatch

log = logging.getLogger(__name__)

GROUP_ID = "trading"
PRODUCERS: tuple[str, ...] = ("issuance", "registry")
TOPICS: tuple[str, ...] = tuple(f"carbon.{producer}.events.v1" for producer in PRODUCERS)

Envelope = envelope_pb2.EventEnvelope
Bus = MessageBus[Any]


class MalformedEventError(ValueError):
    """An event no reader can apply (missing ids, a bad date): skipped, never retried."""


def _date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise MalformedEventError(f"{what} is not an ISO 8601 date: {text!r}") from exc


def _project_created(event_id: str, p: issuance_events.ProjectCreated) -> RecordProject:
    if not p.project_id or not p.proponent_organization_id:
        raise MalformedEventError(f"event {event_id}: ProjectCreated without project or proponent")
    return RecordProject(event_id, p.project_id, p.proponent_organization_id)


def _batch_minted(event_id: str, p: registry_events.BatchMinted) -> DeliverForwards:
    a = p.attributes
    if not p.batch_id or not a.project_id or not p.holder_account_id:
        raise MalformedEventError(f"event {event_id}: BatchMinted without batch, project or holder account")
    batch = MintedBatch(
        batch_id=p.batch_id,
        project_id=a.project_id,
        holder_account_id=p.holder_account_id,
        issuer_organization_id=a.issuer_organization_id,
        vintage_start=_date(a.vintage_start, "vintage_start"),
        vintage_end=_date(a.vintage_end, "vintage_end"),
        issued_quantity_t=int(p.issued_quantity_t),
        buffer_quantity_t=int(p.buffer_quantity_t),
    )
    return DeliverForwards(event_id, batch)


DECODERS: dict[str, Callable[[str, Any], object]] = {
    "carbon.issuance.v1.ProjectCreated": _project_created,
    "carbon.registry.v1.BatchMinted": _batch_minted,
}


def decode(env: Any) -> object | None:
    """The command an envelope asks of the exchange, or None for the events it does not react to."""
    decoder = DECODERS.get(env.event_type)
    if decoder is None:
        return None
    if not env.event_id:
        raise MalformedEventError(f"{env.event_type} without event_id")
    which = env.WhichOneof("payload")
    payload = getattr(env, which) if which else None
    if payload is None or payload.DESCRIPTOR.full_name != env.event_type:
        raise MalformedEventError(f"event {env.event_id}: event_type {env.event_type} does not match its payload")
    return decoder(env.event_id, payload)


def apply_one(bus: Bus, env: Any) -> object | None:
    """Apply one envelope in its own transaction; None when it is not for the exchange or malformed."""
    try:
        cmd = decode(env)
    except MalformedEventError:
        log.exception("skipping event %s that a reader must reject", env.event_id)
        return None
    return None if cmd is None else bus.handle(cmd)


def make_handler(bus: Bus) -> Callable[[ConsumedRecord], None]:
    def handle(record: ConsumedRecord) -> None:
        try:
            env = Envelope.FromString(record.value)
        except DecodeError:
            # A record that is not an envelope can never be applied; retrying it would stall the partition.
            log.error("skipping undecodable record at %s offset %s", record.topic, record.offset)
            return
        if env.event_type not in DECODERS:
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
    return KafkaConsumerLoop(
        bootstrap_servers,
        GROUP_ID,
        TOPICS,
        make_handler(bus),
        session_timeout_ms=session_timeout_ms,
        security=security,
    )
