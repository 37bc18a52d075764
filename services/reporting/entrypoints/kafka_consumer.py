"""The Kafka path into the read models: one record = one serialized EventEnvelope, applied in its own
transaction with its event id claimed (so redeliveries after a crash or a rebalance change nothing)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from google.protobuf.message import DecodeError
from sqlalchemy import Engine

from carbon_runtime.messaging.kafka import ConsumedRecord, KafkaConsumerLoop
from carbon_runtime.ops import telemetry
from services.reporting.service import projector, sync

log = logging.getLogger(__name__)

GROUP_ID = "reporting"
TOPICS: tuple[str, ...] = tuple(f"carbon.{producer}.events.v1" for producer in projector.PRODUCERS)


def make_handler(engine: Engine) -> Callable[[ConsumedRecord], None]:
    def handle(record: ConsumedRecord) -> None:
        try:
            env = projector.Envelope.FromString(record.value)
        except DecodeError:
            # A record that is not an envelope can never be applied; retrying it would stall the partition.
            log.error("skipping undecodable record at %s offset %s", record.topic, record.offset)
            return
        with telemetry.kafka_consume_span(record.topic, record.headers, env.event_id):
            # Database errors propagate: the loop reconnects and the record is delivered again.
            sync.apply_one(engine, env)

    return handle


def consumer(bootstrap_servers: str, engine: Engine, *, session_timeout_ms: int = 6000) -> KafkaConsumerLoop:
    return KafkaConsumerLoop(
        bootstrap_servers, GROUP_ID, TOPICS, make_handler(engine), session_timeout_ms=session_timeout_ms
    )
