"""Builds the reporting process from its settings: database, message bus, outbox relay, read-model
consumer (Kafka, or following the producers' event logs), lag monitor, gRPC (ReportingService +
EventLog), GraphQL and the report downloads.

`python -m services.reporting rebuild` clears the read models and replays every producer's event log.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import strawberry
from sqlalchemy import Engine

from carbon_runtime.messaging.bus import MessageBus
from carbon_runtime.messaging.replay import register_event_log
from carbon_runtime.ops.bootstrap import build_core, build_process
from carbon_runtime.ops.process import ServiceProcess
from carbon_runtime.transport.graphql_runtime import build_schema
from carbon_runtime.transport.grpc_runtime import client_tls
from services.reporting.adapters import tables
from services.reporting.adapters.event_log_client import GrpcEventLog
from services.reporting.adapters.issuance_client import IssuanceTotalsClient
from services.reporting.adapters.read_model import SqlReadModel
from services.reporting.adapters.registry_client import RegistryTotalsClient
from services.reporting.adapters.unit_of_work import ReportingUnitOfWork
from services.reporting.entrypoints import consumer, grpc_server, http_routes
from services.reporting.entrypoints.graphql import ENTITY_TYPES, Query
from services.reporting.entrypoints.metrics import register_lag_metrics
from services.reporting.service.handlers import HANDLERS
from services.reporting.service.lag import LagMonitor
from services.reporting.service.messages import to_messages
from services.reporting.service.ports import IssuedTotals, RegistryTotals
from services.reporting.service.queries import ReportQueries
from services.reporting.settings import ReportingSettings


def _schema(settings: ReportingSettings) -> strawberry.federation.Schema:
    return build_schema(settings, Query, types=ENTITY_TYPES)


def event_logs(settings: ReportingSettings) -> dict[str, GrpcEventLog]:
    tls = client_tls(settings)
    targets = {
        "issuance": settings.issuance_grpc_target,
        "registry": settings.registry_grpc_target,
        "trading": settings.trading_grpc_target,
    }
    return {
        producer: GrpcEventLog(target, producer=producer, auth=settings.auth, tls=tls)
        for producer, target in targets.items()
    }


def build_bus(
    engine: Engine,
    *,
    issuance: IssuedTotals | None = None,
    registry: RegistryTotals | None = None,
    on_commit: Callable[[], None] | None = None,
) -> MessageBus[ReportingUnitOfWork]:
    """The bus over the SQL unit of work; without peers, reconciliation answers UNAVAILABLE."""
    return MessageBus(
        lambda: ReportingUnitOfWork(engine, on_commit),
        HANDLERS,
        to_messages,
        dependencies={"issuance": issuance, "registry": registry, "new_id": lambda: str(uuid.uuid4())},
    )


def bootstrap(settings: ReportingSettings | None = None) -> ServiceProcess:
    settings = settings or ReportingSettings()
    core = build_core(settings, tables.outbox)
    logs = event_logs(settings)
    issuance = IssuanceTotalsClient(settings.issuance_grpc_target, settings.auth, deadline_ms=settings.grpc_deadline_ms)
    registry = RegistryTotalsClient(settings.registry_grpc_target, settings.auth, deadline_ms=settings.grpc_deadline_ms)
    # The runtime's unit of work knows what wakes the outbox relay after a commit (and the crash fault).
    bus = build_bus(core.engine, issuance=issuance, registry=registry, on_commit=core.on_commit)
    read_model = SqlReadModel(core.engine)
    queries = ReportQueries(read_model)
    lag = LagMonitor(read_model, logs)
    register_lag_metrics(lag)

    core.workers.append(
        consumer.PeriodicWorker("reporting-lag-monitor", lag.refresh_heads, settings.lag_poll_interval_ms / 1000)
    )
    if settings.kafka_bootstrap_servers:
        core.workers.append(
            consumer.consumer(
                settings.kafka_bootstrap_servers,
                bus,
                session_timeout_ms=settings.kafka_session_timeout_ms,
                # The producers' TLS/SASL options: production brokers refuse a plaintext consumer.
                security=settings.kafka_options(),
            )
        )
    elif settings.follow_event_logs_interval_ms:
        core.workers.append(consumer.follower(bus, read_model, logs, settings.follow_event_logs_interval_ms / 1000))
    core.on_stop.extend(log_port.close for log_port in logs.values())
    core.on_stop.extend([issuance.close, registry.close])

    def register(server: Any) -> None:
        register_event_log(server, core.engine, core.outbox, settings.service_name)
        grpc_server.register(server, bus, queries, lag)

    # Health and reflection need the names before the server registers its services at start-up.
    service_names = [grpc_server.SERVICE_NAME, "carbon.events.v1.EventLog"]
    process = build_process(
        core,
        _schema(settings),
        register,
        service_names,
        extras={"engine": core.engine, "core": core, "bus": bus, "queries": queries, "lag": lag},
    )
    http_routes.add_routes(process.http_app, bus, queries, core.verifier)
    return process


def rebuild(settings: ReportingSettings | None = None) -> dict[str, int]:
    """Clear the read models and replay every producer's event log (events applied per producer)."""
    from carbon_runtime.persistence.db import make_engine

    settings = settings or ReportingSettings()
    engine = make_engine(settings.database_url)
    logs = event_logs(settings)
    try:
        return consumer.rebuild(build_bus(engine), logs)
    finally:
        for log_port in logs.values():
            log_port.close()
        engine.dispose()


def schema_sdl() -> str:
    return str(_schema(ReportingSettings()).as_str())
