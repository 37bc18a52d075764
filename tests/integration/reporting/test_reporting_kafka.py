"""The Kafka path: the reporting consumer (group "reporting") applies real records from a local broker,
including a redelivered record, and ends with the same read model as direct projection."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from carbon_runtime.messaging.kafka import KafkaPublisher, LocalBroker, ensure_topics
from carbon_runtime.persistence.db import make_engine
from services.reporting.adapters import read_model
from services.reporting.bootstrap import build_bus
from services.reporting.entrypoints import consumer
from tests.integration.reporting.support import build_scenario
from tests.support.databases import DatabaseTemplates


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def state(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return read_model.snapshot(conn)


@pytest.mark.e2e
def test_consumer_applies_broker_records_once_and_matches_direct_projection(
    tmp_path: Path, database_templates: DatabaseTemplates
) -> None:
    events = build_scenario()
    # Two SQLite databases at the reporting head, copied from the session's template.
    expected_engine = make_engine(database_templates.new_url("reporting", "sqlite", tmp_path))
    for item in events:
        consumer.apply_one(build_bus(expected_engine), item.envelope)
    expected = state(expected_engine)
    expected_engine.dispose()

    url = database_templates.new_url("reporting", "sqlite", tmp_path)
    engine = make_engine(url)
    broker = LocalBroker(port=free_port(), log_path=tmp_path / "broker.log")
    broker.start()
    try:
        ensure_topics(broker.bootstrap, consumer.TOPICS)
        publisher = KafkaPublisher(broker.bootstrap, client_id="test-producers")
        # Every record once, plus the first few again (at-least-once delivery after a relay crash).
        for item in [*events, *events[:4]]:
            env = item.envelope
            publisher.publish(f"carbon.{item.producer}.events.v1", env.aggregate_id, env.SerializeToString(), [])
        publisher.flush()
        publisher.close()

        loop = consumer.consumer(broker.bootstrap, build_bus(engine), session_timeout_ms=6000)
        loop.start()
        try:
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline and state(engine) != expected:
                time.sleep(0.5)
            assert state(engine) == expected
        finally:
            loop.stop()
    finally:
        broker.stop()
        engine.dispose()
