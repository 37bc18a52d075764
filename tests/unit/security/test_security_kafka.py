"""Kafka (issue 14, item 5): consumers accept from a topic only the event types that topic's producer
owns (a forged event on the wrong topic changes nothing), and the reporting consumer gets the same
TLS/SASL options as the producers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from carbon.registry.v1 import events_pb2 as registry_events
from carbon.registry.v1 import types_pb2
from carbon.trading.v1 import events_pb2 as trading_events

from carbon_runtime.messaging.envelope import accepted_from_topic, pack_envelope
from carbon_runtime.messaging.kafka import ConsumedRecord
from services.reporting.entrypoints import consumer as reporting_consumer
from services.reporting.settings import ReportingSettings
from services.trading.entrypoints import consumer as trading_consumer

RETIRED = registry_events.CreditsRetired(
    retirement_id="ret-forged", batch_id="B1", account_id="A1", organization_id="victim", quantity_t=1000,
    purpose=types_pb2.RETIREMENT_PURPOSE_VOLUNTARY_OFFSET, beneficiary="x", retirement_year=2025,
)  # fmt: skip


def _envelope(payload: Any, producer: str) -> Any:
    return pack_envelope(
        event_id=f"evt-{producer}", aggregate_type="X", aggregate_id="x", sequence=1,
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC), producer=producer, trace_context={}, payload=payload,
    )  # fmt: skip


def _record(topic: str, env: Any) -> ConsumedRecord:
    return ConsumedRecord(topic=topic, key="x", value=env.SerializeToString(), headers={}, offset=0)


class RecordingBus:
    def __init__(self) -> None:
        self.handled: list[object] = []

    def handle(self, cmd: object) -> object:
        self.handled.append(cmd)
        return None


@pytest.mark.parametrize("producer", ["trading", "registry"], ids=["claims the topic's producer", "claims its owner"])
def test_reporting_refuses_a_registry_event_forged_on_the_trading_topic(producer: str) -> None:
    bus = RecordingBus()
    reporting_consumer.make_handler(bus)(_record("carbon.trading.events.v1", _envelope(RETIRED, producer)))  # type: ignore[arg-type]
    assert bus.handled == []


def test_reporting_applies_the_same_event_from_its_own_topic() -> None:
    bus = RecordingBus()
    reporting_consumer.make_handler(bus)(_record("carbon.registry.events.v1", _envelope(RETIRED, "registry")))  # type: ignore[arg-type]
    assert len(bus.handled) == 1


def test_trading_refuses_a_batch_minted_forged_on_the_issuance_topic() -> None:
    # BatchMinted triggers forward deliveries; only the registry's topic may carry it.
    minted = registry_events.BatchMinted(batch_id="B-forged", issued_quantity_t=10**6, holder_account_id="A-thief")
    minted.attributes.project_id = "P1"
    minted.attributes.vintage_start = "2025-01-01"
    minted.attributes.vintage_end = "2025-12-31"
    for producer in ("issuance", "registry"):
        bus = RecordingBus()
        trading_consumer.make_handler(bus)(_record("carbon.issuance.events.v1", _envelope(minted, producer)))  # type: ignore[arg-type]
        assert bus.handled == []
    bus = RecordingBus()
    trading_consumer.make_handler(bus)(_record("carbon.registry.events.v1", _envelope(minted, "registry")))  # type: ignore[arg-type]
    assert len(bus.handled) == 1


def test_topic_ownership_is_by_the_payloads_contract_package() -> None:
    traded = trading_events.TradeExecuted(buyer_organization_id="org-b")
    assert accepted_from_topic("carbon.trading.events.v1", _envelope(traded, "trading"))
    assert not accepted_from_topic("carbon.registry.events.v1", _envelope(traded, "registry"))
    assert not accepted_from_topic("not-a-carbon-topic", _envelope(traded, "trading"))


def test_reporting_consumer_uses_the_producers_tls_and_sasl_options() -> None:
    settings = ReportingSettings(
        kafka_bootstrap_servers="broker:9093", kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="reporting", kafka_sasl_password="pw", kafka_ssl_cafile="/etc/ca.pem",
    )  # fmt: skip
    loop = reporting_consumer.consumer("broker:9093", RecordingBus(), security=settings.kafka_options())  # type: ignore[arg-type]
    assert loop.security == settings.kafka_options()
    assert loop.security["security_protocol"] == "SASL_SSL" and loop.security["ssl_cafile"] == "/etc/ca.pem"
