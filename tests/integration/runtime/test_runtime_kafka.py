"""Outbox relay -> real Kafka-compatible broker (Tansu) -> idempotent consumer, with trace headers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from carbon.events.v1 import envelope_pb2
from carbon.registry.v1 import events_pb2
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, func, insert, select

from carbon_runtime.messaging.kafka import ConsumedRecord, KafkaConsumerLoop, KafkaPublisher, LocalBroker, ensure_topics
from carbon_runtime.messaging.outbox import OutboxRelay, add_outbox_tables, claim_event
from carbon_runtime.ops import telemetry
from carbon_runtime.persistence.db import make_engine
from carbon_runtime.persistence.uow import UnitOfWork
from tooling.devstack import free_port

pytestmark = pytest.mark.e2e

producer_md = MetaData()
producer_outbox = add_outbox_tables(producer_md)
consumer_md = MetaData()
consumer_outbox = add_outbox_tables(consumer_md)
effects = Table("effects", consumer_md, Column("org_id", String(50), primary_key=True), Column("n", Integer))

TOPIC = "carbon.registry.events.v1"


@pytest.fixture(scope="module")
def broker() -> Iterator[LocalBroker]:
    b = LocalBroker(port=free_port())
    b.start()
    ensure_topics(b.bootstrap, [TOPIC])
    yield b
    b.stop()


def _engines(tmp_path: Path) -> tuple[Engine, Engine]:
    p = make_engine(f"sqlite:///{tmp_path}/producer.db")
    c = make_engine(f"sqlite:///{tmp_path}/consumer.db")
    producer_md.create_all(p)
    consumer_md.create_all(c)
    return p, c


def test_events_flow_through_the_broker_once_per_effect_even_when_delivered_twice(
    broker: LocalBroker, tmp_path: Path
) -> None:
    telemetry.configure_tracing("test", None)
    producer_db, consumer_db = _engines(tmp_path)
    seen_traceparents: list[str] = []
    lock = threading.Lock()

    def handle(rec: ConsumedRecord) -> None:
        env = envelope_pb2.EventEnvelope.FromString(rec.value)
        with lock:
            seen_traceparents.append(rec.headers.get("traceparent", ""))
        with consumer_db.begin() as conn:
            if not claim_event(conn, consumer_outbox, "test-consumer", env.event_id):
                return
            conn.execute(insert(effects).values(org_id=env.organization_created.organization_id, n=1))

    with telemetry.tracer().start_as_current_span("request") as span:
        trace_id = format(span.get_span_context().trace_id, "032x")
        for i in range(5):
            with UnitOfWork(producer_db, producer_outbox, "registry") as uow:
                uow.add_event("Organization", f"org-{i}", events_pb2.OrganizationCreated(organization_id=f"org-{i}"))

    publisher = KafkaPublisher(broker.bootstrap, "test")
    relay = OutboxRelay(producer_db, producer_outbox, publisher, TOPIC)
    assert relay.drain() == 5
    # Simulate a relay that crashed after publishing but before marking: everything goes out again.
    for pos_env in producer_db.connect().execute(select(producer_outbox.event_log.c.envelope)).all():
        publisher.publish(TOPIC, "dup", bytes(pos_env[0]), [])
    publisher.flush()

    loop = KafkaConsumerLoop(broker.bootstrap, f"g-{free_port()}", [TOPIC], handle, session_timeout_ms=6000)
    loop.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with lock:
                if len(seen_traceparents) >= 10:
                    break
            time.sleep(0.1)
    finally:
        loop.stop()
        publisher.close()
    assert len(seen_traceparents) == 10, "every delivery, duplicates included, reached the consumer"
    with consumer_db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(effects)).scalar() == 5, "one effect per event"
    assert any(trace_id in tp for tp in seen_traceparents), "trace context travels in Kafka headers"
