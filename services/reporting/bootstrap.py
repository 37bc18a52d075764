"""Builds the reporting process from its settings: database, outbox relay, read-model consumer (Kafka),
lag monitor, gRPC (ReportingService + EventLog), GraphQL and the report downloads.

`python -m services.reporting rebuild` wipes the read models and replays every producer's event log.
"""

from __future__ import annotations

from typing import Any

import strawberry

from carbon_runtime.messaging.replay import register_event_log
from carbon_runtime.ops.bootstrap import build_core, build_process
from carbon_runtime.ops.process import ServiceProcess
from carbon_runtime.transport.graphql_runtime import build_schema
from services.reporting.adapters import tables
from services.reporting.adapters.peers import GrpcEventLog, IssuanceTotalsClient, RegistryTotalsClient
from services.reporting.entrypoints import grpc_servicer, http_routes, kafka_consumer
from services.reporting.entrypoints.graphql_schema import ENTITY_TYPES, Query
from services.reporting.entrypoints.metrics import register_lag_metrics
from services.reporting.service import sync
from services.reporting.service.reports import ReportingHandlers
from services.reporting.settings import ReportingSettings


def _schema(settings: ReportingSettings) -> strawberry.federation.Schema:
    return build_schema(settings, Query, types=ENTITY_TYPES)


def event_logs(settings: ReportingSettings) -> dict[str, GrpcEventLog]:
    return {
        "issuance": GrpcEventLog(settings.issuance_grpc_target),
        "registry": GrpcEventLog(settings.registry_grpc_target),
        "trading": GrpcEventLog(settings.trading_grpc_target),
    }


def bootstrap(settings: ReportingSettings | None = None) -> ServiceProcess:
    settings = settings or ReportingSettings()
    core = build_core(settings, tables.outbox)
    logs = event_logs(settings)
    issuance = IssuanceTotalsClient(settings.issuance_grpc_target, settings.auth, deadline_ms=settings.grpc_deadline_ms)
    registry = RegistryTotalsClient(settings.registry_grpc_target, settings.auth, deadline_ms=settings.grpc_deadline_ms)
    handlers = ReportingHandlers(core.engine, core.uow, issuance=issuance, registry=registry)
    lag = sync.LagMonitor(core.engine, logs)
    register_lag_metrics(lag)

    core.workers.append(
        sync.PeriodicWorker("reporting-lag-monitor", lag.refresh_heads, settings.lag_poll_interval_ms / 1000)
    )
    if settings.kafka_bootstrap_servers:
        core.workers.append(
            kafka_consumer.consumer(
                settings.kafka_bootstrap_servers, core.engine, session_timeout_ms=settings.kafka_session_timeout_ms
            )
        )
    elif settings.follow_event_logs_interval_ms:
        core.workers.append(sync.follower(core.engine, logs, settings.follow_event_logs_interval_ms / 1000))
    core.on_stop.extend(log_port.close for log_port in logs.values())
    core.on_stop.extend([issuance.close, registry.close])

    def register(server: Any) -> None:
        register_event_log(server, core.engine, core.outbox, settings.service_name)
        grpc_servicer.register(server, handlers, lag)

    # Health and reflection need the names before the server registers its services at start-up.
    service_names = [grpc_servicer.SERVICE_NAME, "carbon.events.v1.EventLog"]
    process = build_process(
        core,
        _schema(settings),
        register,
        service_names,
        extras={"engine": core.engine, "core": core, "handlers": handlers, "lag": lag},
    )
    http_routes.add_routes(process.http_app, handlers, core.verifier)
    return process


def rebuild(settings: ReportingSettings | None = None) -> dict[str, int]:
    """Wipe the read models and replay every producer's event log (events applied per producer)."""
    from carbon_runtime.persistence.db import make_engine

    settings = settings or ReportingSettings()
    engine = make_engine(settings.database_url)
    logs = event_logs(settings)
    try:
        return sync.rebuild(engine, logs)
    finally:
        for log_port in logs.values():
            log_port.close()
        engine.dispose()


def schema_sdl() -> str:
    return str(_schema(ReportingSettings()).as_str())
