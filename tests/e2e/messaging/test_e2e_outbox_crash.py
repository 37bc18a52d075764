"""A service killed right after committing a state change, before its relay published the event:
after restart the event is published exactly once (the database, not the broker, is the truth)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from carbon.events.v1 import envelope_pb2
from sqlalchemy import MetaData, select

from carbon_runtime.messaging.kafka import ConsumedRecord, KafkaConsumerLoop, LocalBroker, ensure_topics
from carbon_runtime.messaging.outbox import add_outbox_tables
from carbon_runtime.ops.child_process import die_with_parent
from carbon_runtime.persistence.db import make_engine
from tests.support.gql import token
from tooling.devstack import ROOT, StackConfig

pytestmark = pytest.mark.e2e

TOPIC = "carbon.registry.events.v1"
CREATE_ORG = 'mutation($name: String!) { createOrganization(input: {name: $name, country: "JP"}) { id name } }'


def _start_registry(config: StackConfig, extra: dict[str, str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, **config.service_env("registry"), **extra}
    subprocess.run([sys.executable, "-m", "services.registry", "migrate"], env=env, check=True, cwd=ROOT)
    log = open(config.var_dir / "registry.log", "ab")  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "-m", "services.registry", "serve"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=die_with_parent(),  # no registry outlives a killed test run
    )


def _wait_ready(proc: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "registry exited during start-up"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("registry not ready")


def test_event_committed_before_a_crash_is_published_exactly_once_after_restart(tmp_path: Path) -> None:
    config = StackConfig.ephemeral(tmp_path)
    broker = LocalBroker(port=config.broker_port)
    broker.start()
    proc: subprocess.Popen[bytes] | None = None
    consumer: KafkaConsumerLoop | None = None
    try:
        ensure_topics(broker.bootstrap, [TOPIC])
        port = config.http_ports["registry"]
        admin = token("admin", None, "REGISTRY_ADMIN")
        name = f"Crash Test {uuid.uuid4().hex[:6]}"

        proc = _start_registry(config, {"REGISTRY_FAULT_CRASH_AFTER_COMMIT": "true"})
        _wait_ready(proc, port)
        with pytest.raises(httpx.HTTPError):
            httpx.post(
                f"http://127.0.0.1:{port}/graphql",
                json={"query": CREATE_ORG, "variables": {"name": name}},
                headers={"authorization": f"Bearer {admin}"},
                timeout=10,
            )
        assert proc.wait(timeout=10) == 137, "the process died right after its commit"

        engine = make_engine(config.service_env("registry")["REGISTRY_DATABASE_URL"])
        log = add_outbox_tables(MetaData()).event_log
        with engine.connect() as conn:
            rows = conn.execute(select(log.c.event_id, log.c.published_at)).all()
        assert len(rows) == 1 and rows[0].published_at is None, "committed, not yet published"
        committed_event_id = rows[0].event_id

        received: list[envelope_pb2.EventEnvelope] = []

        def collect(rec: ConsumedRecord) -> None:
            received.append(envelope_pb2.EventEnvelope.FromString(rec.value))

        consumer = KafkaConsumerLoop(broker.bootstrap, "crash-test", [TOPIC], collect)
        consumer.start()
        proc = _start_registry(config, {})
        _wait_ready(proc, port)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not received:
            time.sleep(0.2)
        time.sleep(3)  # anything published twice would arrive by now
        assert [e.event_id for e in received] == [committed_event_id]
        assert received[0].organization_created.name == name
        with engine.connect() as conn:
            assert conn.execute(select(log.c.published_at)).scalar() is not None
        engine.dispose()
    finally:
        if consumer is not None:
            consumer.stop()
        if proc is not None and proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=15)
        broker.stop()
