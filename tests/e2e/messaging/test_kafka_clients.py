"""Operators' Kafka tools read the platform's events from the dev broker (issue 22).

confluent-kafka (librdkafka, the client most operator tools are built on) reads a few registry events
and checks what a consumer relies on: the key is the aggregate id (one aggregate's events stay in one
partition), the value is a `carbon.events.v1.EventEnvelope` and the headers carry the W3C trace
context (`traceparent`) of the request that caused the event, plus `event_type`. Which client
versions work against the dev broker is in docs/operations.md.

One dev stack without the gateway (the events are produced by calling the registry subgraph).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from carbon.events.v1 import envelope_pb2
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition, libversion

from tests.support.gql import token
from tooling.devstack import DevStack, StackConfig

pytestmark = pytest.mark.e2e

TOPIC = "carbon.registry.events.v1"
TRACE_ID = uuid.uuid4().hex  # 32 hex digits, like a W3C trace id
TRACEPARENT = f"00-{TRACE_ID}-{uuid.uuid4().hex[:16]}-01"
W3C_TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    config = StackConfig.ephemeral(Path(tmp_path_factory.mktemp("kafka-stack")))
    config.start_gateway = False
    with DevStack(config) as s:
        yield s


@pytest.fixture(scope="module")
def produced(stack: DevStack) -> dict[str, str]:
    """An organization and an account created in the registry, each request with our traceparent:
    aggregate id -> event type the registry publishes for it."""
    url = f"http://127.0.0.1:{stack.config.http_ports['registry']}/graphql"
    headers = {"authorization": f"Bearer {token('kafka-clients', None, 'REGISTRY_ADMIN')}", "traceparent": TRACEPARENT}

    def call(query: str, variables: dict[str, Any]) -> Any:
        body = httpx.post(url, json={"query": query, "variables": variables}, headers=headers, timeout=30).json()
        assert not body.get("errors"), body
        return body["data"]

    org = call(
        "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id } }",
        {"i": {"name": f"Kafka Clients {uuid.uuid4().hex[:6]}", "country": "JP"}},
    )["createOrganization"]["id"]
    account = call("mutation($o: ID!) { openAccount(input: {organizationId: $o}) { id } }", {"o": org})["openAccount"][
        "id"
    ]
    return {org: "carbon.registry.v1.OrganizationCreated", account: "carbon.registry.v1.AccountOpened"}


def read_events(bootstrap: str, wanted: set[str], timeout_s: float = 30.0) -> dict[str, Any]:
    """Read the topic from the beginning with confluent-kafka until a record keyed by each wanted
    aggregate id arrived; partitions are assigned, so no consumer group is involved."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"kafka-clients-{uuid.uuid4()}",
            "enable.auto.commit": False,
            "client.id": "kafka-clients-test",
        }
    )
    found: dict[str, Any] = {}
    try:
        deadline = time.monotonic() + timeout_s
        partitions: list[int] = []
        while not partitions and time.monotonic() < deadline:
            metadata = consumer.list_topics(TOPIC, timeout=5)
            partitions = sorted(metadata.topics[TOPIC].partitions) if TOPIC in metadata.topics else []
        assert partitions, f"{TOPIC} has no partitions"
        consumer.assign([TopicPartition(TOPIC, p, OFFSET_BEGINNING) for p in partitions])
        while set(found) < wanted and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None:
                continue
            assert message.error() is None, message.error()
            key = (message.key() or b"").decode()
            if key in wanted:
                found[key] = message
    finally:
        consumer.close()
    return found


def test_confluent_kafka_reads_events_with_aggregate_keys_and_trace_headers(
    stack: DevStack, produced: dict[str, str]
) -> None:
    messages = read_events(stack.broker.bootstrap, set(produced))

    assert set(messages) == set(produced), (
        f"librdkafka {libversion()[0]} did not read every event from the dev broker: "
        f"missing {set(produced) - set(messages)}"
    )
    for aggregate_id, event_type in produced.items():
        message = messages[aggregate_id]
        envelope = envelope_pb2.EventEnvelope.FromString(message.value())
        headers = {k: (v or b"").decode() for k, v in message.headers() or []}
        assert envelope.aggregate_id == aggregate_id  # the key is the aggregate id
        assert envelope.event_type == event_type
        assert envelope.producer == "registry"
        assert headers["event_type"] == event_type
        assert W3C_TRACEPARENT.match(headers["traceparent"]), headers
        # The trace of the request that caused the event, so a consumer continues it.
        assert headers["traceparent"].split("-")[1] == TRACE_ID
        assert dict(envelope.trace_context)["traceparent"] == headers["traceparent"]
