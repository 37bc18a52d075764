"""The read models are built only from events and converge whatever the delivery order or duplication;
a rebuild from the producers' event logs (gRPC replay) gives the same read model."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, MetaData, select

from carbon_runtime.messaging.outbox import add_outbox_tables
from carbon_runtime.messaging.replay import register_event_log
from carbon_runtime.persistence.db import make_engine
from carbon_runtime.settings import AuthSettings
from carbon_runtime.transport.auth import TokenVerifier
from carbon_runtime.transport.grpc_runtime import CarbonServerInterceptor
from carbon_runtime.vocabulary import CreditCategory
from services.reporting.adapters import read_model, tables
from services.reporting.adapters.event_log_client import GrpcEventLog
from services.reporting.adapters.read_model import SqlReadModel
from services.reporting.bootstrap import build_bus
from services.reporting.domain.commands import ClearReadModel
from services.reporting.domain.facts import InstitutionalUse
from services.reporting.entrypoints import consumer
from services.reporting.service.lag import LagMonitor
from services.reporting.service.queries import ReportQueries
from tests.integration.reporting.support import (
    BATCH_JCREDIT,
    BATCH_VCS,
    Logged,
    build_scenario,
    producer_event_log,
)
from tests.support.fake_reporting_uow import FakeReadModel, FakeReportingUnitOfWork, bus_over

EVENTS = build_scenario()


@pytest.fixture
def engine(reporting_database_url: str) -> Iterator[Engine]:
    eng = make_engine(reporting_database_url)
    yield eng
    eng.dispose()


def apply_each(engine: Engine, events: list[Logged]) -> None:
    for item in events:
        consumer.apply_one(build_bus(engine), item.envelope)


def state(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return read_model.snapshot(conn)


def test_projection_builds_batches_retirements_transfers_and_trades_from_events(engine: Engine) -> None:
    apply_each(engine, EVENTS)
    with engine.connect() as conn:
        batches = read_model.load_batches(conn)
        retirements = {r.retirement_id: r for r in read_model.load_retirements(conn)}
        transfers = {t.transfer_id: t for t in read_model.load_transfers(conn)}
        trades = read_model.load_trades(conn)
        out = read_model.out_of_circulation_by_batch(conn)
    jcredit = batches[BATCH_JCREDIT].facts
    assert jcredit.project_name == "Rooftop Solar Osaka"
    assert jcredit.first_crediting_period_start is not None
    # The crediting period start (2022-04-01), not the platform registration (2022-03-01): Table 9 (issue 13).
    assert jcredit.first_crediting_period_start.isoformat() == "2022-04-01"
    assert jcredit.serial_start == "BATCH-JCREDIT-1-000001"
    assert jcredit.co_benefits == (7, 13)
    assert batches[BATCH_JCREDIT].known_to_issuance and batches[BATCH_JCREDIT].known_to_registry
    assert retirements["ret-vol"].offset_emissions_tco2e == Decimal("14.75")
    assert retirements["ret-shk"].retired_at == datetime(2024, 7, 1, 3, 0, tzinfo=UTC)
    assert set(transfers) == {"tr-1", f"set-1:{BATCH_VCS}"}
    assert [(t.trade_id, t.batch_id, t.quantity_t, t.price, t.currency, t.settled) for t in trades] == [
        ("trade-1", BATCH_VCS, 20, Decimal("1500.50"), "JPY", True)
    ]
    # VCS: 20 t cancelled by its holder + 20 t cancelled from the buffer pool after the reversal.
    assert out == {BATCH_JCREDIT: 105, BATCH_VCS: 40}


def test_redelivered_event_is_applied_once(engine: Engine) -> None:
    first = EVENTS[0].envelope
    assert consumer.apply_one(build_bus(engine), first) is True
    assert consumer.apply_one(build_bus(engine), first) is False
    with engine.connect() as conn:
        applied = conn.execute(select(tables.source_progress.c.applied_events)).scalar()
    assert applied == 1


def test_event_with_unspecified_enum_is_rejected_without_effect(engine: Engine) -> None:
    from carbon.registry.v1 import events_pb2 as reg

    from carbon_runtime.messaging.envelope import pack_envelope

    bad = pack_envelope(
        event_id="00000000-0000-0000-0000-000000000001",
        aggregate_type="account",
        aggregate_id="acc-x",
        sequence=1,
        occurred_at=datetime(2024, 1, 1, tzinfo=UTC),
        producer="registry",
        trace_context={},
        payload=reg.AccountOpened(account_id="acc-x", organization_id="org"),  # kind UNSPECIFIED
    )
    assert consumer.apply_one(build_bus(engine), bad) is False
    with engine.connect() as conn:
        assert conn.execute(select(tables.accounts)).all() == []


def test_retirement_arriving_before_its_batch_joins_once_the_batch_arrives(engine: Engine) -> None:
    retirement = next(e for e in EVENTS if e.envelope.event_type.endswith("CreditsRetired"))
    consumer.apply_one(build_bus(engine), retirement.envelope)
    queries = ReportQueries(SqlReadModel(engine))
    assert queries.eligibility(BATCH_JCREDIT) == ()
    apply_each(engine, [e for e in EVENTS if e is not retirement])
    decisions = {d.use: d.eligible for d in queries.eligibility(BATCH_JCREDIT)}
    assert decisions[InstitutionalUse.SHK_MANDATORY] is True
    assert decisions[InstitutionalUse.SBTI_NEUTRALIZATION] is False


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    order=st.permutations(list(range(len(EVENTS)))),
    duplicates=st.lists(st.integers(min_value=0, max_value=len(EVENTS) - 1), max_size=8),
)
def test_read_model_converges_under_shuffled_and_duplicated_delivery(
    engine: Engine, order: list[int], duplicates: list[int]
) -> None:
    expected = _expected_state(engine)
    build_bus(engine).handle(ClearReadModel())
    delivery = [EVENTS[i] for i in order] + [EVENTS[i] for i in duplicates]
    apply_each(engine, delivery)
    assert state(engine) == expected


_EXPECTED: dict[str, dict[str, Any]] = {}


def _expected_state(engine: Engine) -> dict[str, Any]:
    key = engine.dialect.name
    if key not in _EXPECTED:
        build_bus(engine).handle(ClearReadModel())
        apply_each(engine, EVENTS)
        _EXPECTED[key] = state(engine)
    return _EXPECTED[key]


class EventLogServers:
    """One grpc.aio EventLog server per producer, each backed by a real event_log table."""

    def __init__(self, engines: dict[str, Engine]) -> None:
        self.engines = engines
        self.targets: dict[str, str] = {}
        self.loop = asyncio.new_event_loop()
        self.servers: list[Any] = []
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    async def _start(self) -> None:
        for producer, eng in self.engines.items():
            verifier = TokenVerifier(AuthSettings(), production=False, service_name=producer)
            server = grpc.aio.server(interceptors=[CarbonServerInterceptor(verifier)])
            register_event_log(server, eng, add_outbox_tables(MetaData()), producer)
            port = server.add_insecure_port("127.0.0.1:0")
            await server.start()
            self.servers.append(server)
            self.targets[producer] = f"127.0.0.1:{port}"

    async def _stop(self) -> None:
        for server in self.servers:
            await server.stop(grace=None)

    def __enter__(self) -> EventLogServers:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


@pytest.fixture
def producer_logs(tmp_path: Path) -> Iterator[dict[str, str]]:
    engines = {}
    for producer in consumer.PRODUCERS:
        eng = make_engine(f"sqlite:///{tmp_path / producer}.db")
        producer_event_log(eng, EVENTS, producer)
        engines[producer] = eng
    with EventLogServers(engines) as servers:
        yield servers.targets
    for eng in engines.values():
        eng.dispose()


def test_rebuild_from_event_log_replay_equals_live_projection(engine: Engine, producer_logs: dict[str, str]) -> None:
    apply_each(engine, EVENTS)
    live = state(engine)
    logs = {
        producer: GrpcEventLog(target, producer=producer, auth=AuthSettings())
        for producer, target in producer_logs.items()
    }
    try:
        applied = consumer.rebuild(build_bus(engine), logs)
        assert applied == {p: sum(1 for e in EVENTS if e.producer == p) for p in consumer.PRODUCERS}
        assert state(engine) == live

        monitor = LagMonitor(SqlReadModel(engine), logs)
        monitor.refresh_heads()
        lags = {lag.source: lag for lag in monitor.lag()}
        assert all(lag.pending_events == 0 and lag.lag_ms == 0 for lag in lags.values())
        assert lags["registry"].head_position == sum(1 for e in EVENTS if e.producer == "registry")
    finally:
        for log_port in logs.values():
            log_port.close()


def test_lag_counts_events_not_yet_applied_and_catch_up_applies_them(
    engine: Engine, producer_logs: dict[str, str]
) -> None:
    logs = {
        producer: GrpcEventLog(target, producer=producer, auth=AuthSettings())
        for producer, target in producer_logs.items()
    }
    try:
        monitor = LagMonitor(SqlReadModel(engine), logs)
        monitor.refresh_heads()
        trading_total = sum(1 for e in EVENTS if e.producer == "trading")
        before = {lag.source: lag for lag in monitor.lag()}
        assert before["trading"].pending_events == trading_total
        assert consumer.catch_up(build_bus(engine), SqlReadModel(engine), "trading", logs["trading"]) == trading_total
        assert consumer.catch_up(build_bus(engine), SqlReadModel(engine), "trading", logs["trading"]) == 0
        after = {lag.source: lag for lag in monitor.lag()}
        assert after["trading"].pending_events == 0
        assert after["trading"].applied_position == trading_total
        assert after["registry"].pending_events > 0
    finally:
        for log_port in logs.values():
            log_port.close()


def test_statistics_price_index_uses_settled_trades_of_known_batches(engine: Engine) -> None:
    apply_each(engine, EVENTS)
    queries = ReportQueries(SqlReadModel(engine))
    points = queries.price_index(CreditCategory.GLOBAL)
    assert [(p.day.isoformat(), p.vwap, p.volume_t) for p in points] == [("2024-07-02", Decimal("1500.50"), 20)]
    assert queries.price_index(CreditCategory.NDC_CONTRIBUTING) == ()
    stats = queries.market_statistics()
    assert sum(row.quantity_t for row in stats.issuance) == 1500
    assert sum(row.quantity_t for row in stats.retirements) == 115


def test_in_memory_unit_of_work_joins_the_same_facts_as_sql(engine: Engine) -> None:
    """The unit tests' fake read model must tell the same story as the SQL one for the same events."""
    fake = FakeReportingUnitOfWork()
    fake_bus = bus_over(fake)
    for item in EVENTS:
        fake_bus.handle(consumer.decode(item.envelope))
    apply_each(engine, EVENTS)
    with SqlReadModel(engine).read() as sql, FakeReadModel(fake).read() as memory:
        assert memory.batches() == sql.batches()
        assert memory.retirements() == sql.retirements()
        assert memory.transfers() == sql.transfers()
        assert memory.cancellations() == sql.cancellations()
        assert memory.ndc_uses() == sql.ndc_uses()
        assert memory.trades() == sql.trades()
        assert memory.organizations() == sql.organizations()
        assert memory.reversals() == sql.reversals()
        assert memory.buffer_cancellations() == sql.buffer_cancellations()
        assert memory.out_of_circulation_by_batch() == sql.out_of_circulation_by_batch()
        assert {s: p.applied_events for s, p in memory.source_progress().items()} == {
            s: p.applied_events for s, p in sql.source_progress().items()
        }
