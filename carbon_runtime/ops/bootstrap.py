"""The parts every service builds the same way at start-up (never at import time)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, text

from carbon_runtime.messaging.kafka import KafkaPublisher
from carbon_runtime.messaging.outbox import OutboxRelay, OutboxTables
from carbon_runtime.ops import telemetry
from carbon_runtime.ops.logging import configure_logging
from carbon_runtime.ops.process import ServiceProcess, Worker
from carbon_runtime.persistence.db import make_engine
from carbon_runtime.persistence.uow import UnitOfWork
from carbon_runtime.settings import ServiceSettings
from carbon_runtime.transport.auth import TokenVerifier
from carbon_runtime.transport.graphql_runtime import create_http_app
from carbon_runtime.transport.grpc_runtime import client_tls, configure_client_tls


@dataclass
class Core:
    settings: ServiceSettings
    engine: Engine
    outbox: OutboxTables
    verifier: TokenVerifier
    relay: OutboxRelay | None
    workers: list[Worker] = field(default_factory=list)
    on_stop: list[Callable[[], None]] = field(default_factory=list)

    @property
    def topic(self) -> str:
        return f"carbon.{self.settings.service_name}.events.v1"

    @property
    def on_commit(self) -> Callable[[], None] | None:
        """What runs after a unit of work commits events: wake the outbox relay (or, with the crash
        fault on, exit as if killed between commit and publish)."""
        if self.settings.fault_crash_after_commit:
            return _crash_now
        return self.relay.wake if self.relay is not None else None

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.outbox, self.settings.service_name, on_commit=self.on_commit)

    def ready(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False


def _crash_now() -> None:
    # Simulates a process killed between commit and publish (see ServiceSettings.fault_crash_after_commit).
    os._exit(137)


def build_core(settings: ServiceSettings, outbox: OutboxTables, *, configure_process: bool = True) -> Core:
    if configure_process:
        configure_logging(settings.service_name, settings.log_level)
        telemetry.configure_tracing(settings.service_name, settings.otlp_endpoint)
        telemetry.configure_metrics(settings.service_name)
        # Every gRPC client this service builds (GrpcClient, event-log replay) dials its peers with
        # the service's client TLS; without it, mTLS on the peers' servers would lock it out.
        configure_client_tls(client_tls(settings))
    engine = make_engine(settings.database_url)
    verifier = TokenVerifier(settings.auth, production=settings.is_production, service_name=settings.service_name)
    core = Core(settings=settings, engine=engine, outbox=outbox, verifier=verifier, relay=None)
    if settings.kafka_bootstrap_servers:
        publisher = KafkaPublisher(
            settings.kafka_bootstrap_servers, client_id=settings.service_name, security=settings.kafka_options()
        )
        core.relay = OutboxRelay(
            engine, outbox, publisher, core.topic, poll_interval_ms=settings.relay_poll_interval_ms
        )
        core.workers.append(core.relay)
        core.on_stop.append(publisher.close)
    core.on_stop.append(engine.dispose)
    return core


def build_process(
    core: Core,
    schema: Any,
    grpc_register: Callable[[Any], None],
    grpc_service_names: Sequence[str],
    *,
    extras: dict[str, Any] | None = None,
) -> ServiceProcess:
    app = create_http_app(core.settings, schema, core.verifier, ready_check=core.ready, extras=extras)
    return ServiceProcess(
        settings=core.settings,
        http_app=app,
        verifier=core.verifier,
        grpc_register=grpc_register,
        grpc_service_names=grpc_service_names,  # filled by register(); do not copy
        workers=core.workers,
        on_stop=core.on_stop,
    )
