"""Builds the registry process from its settings: database, message bus with the SQL unit of work,
outbox relay, held-transfer worker, gRPC, GraphQL, and the public certificate pages. Tests build the
same bus with fakes (tests/support/fake_registry_uow.py) or with `build_bus` on their own engine."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from carbon_runtime.messaging.replay import register_event_log
from carbon_runtime.ops.bootstrap import build_core, build_process
from carbon_runtime.ops.process import ServiceProcess
from carbon_runtime.transport.graphql_runtime import build_schema
from services.registry.adapters import tables
from services.registry.adapters.read_model import RegistryReadModel
from services.registry.adapters.unit_of_work import RegistryUnitOfWork
from services.registry.domain.safeguards import SafeguardPolicy
from services.registry.entrypoints.graphql import SCHEMA_TYPES, Mutation, Query
from services.registry.entrypoints.grpc_server import register_registry_service
from services.registry.entrypoints.http_routes import add_certificate_routes
from services.registry.entrypoints.worker import HeldTransferWorker
from services.registry.service import ports
from services.registry.service.handlers import HANDLERS, RegistryBus
from services.registry.service.messages import to_messages
from services.registry.settings import RegistrySettings


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """Upper-case hex: printable inside serials and certificates, unambiguous when read aloud."""
    return uuid.uuid4().hex.upper()


def build_bus(
    uow: Callable[[], ports.RegistryUnitOfWork],
    *,
    safeguards: SafeguardPolicy | None = None,
    clock: Callable[[], datetime] = utcnow,
    ids: Callable[[], str] = new_id,
) -> RegistryBus:
    """The registry's bus over any unit of work (SQL here, in memory in unit tests)."""
    return RegistryBus(
        uow,
        HANDLERS,
        to_messages,
        dependencies={"safeguards": safeguards or SafeguardPolicy(), "clock": clock, "new_id": ids},
    )


def sql_bus(
    engine: Engine,
    *,
    safeguards: SafeguardPolicy | None = None,
    clock: Callable[[], datetime] = utcnow,
    on_commit: Callable[[], None] | None = None,
    producer: str = "registry",
) -> RegistryBus:
    def unit_of_work() -> ports.RegistryUnitOfWork:  # typed: mypy checks the SQL one against the port
        return RegistryUnitOfWork(engine, producer, on_commit)

    return build_bus(unit_of_work, safeguards=safeguards, clock=clock)


def bootstrap(settings: RegistrySettings | None = None) -> ServiceProcess:
    settings = settings or RegistrySettings()
    core = build_core(settings, tables.outbox)
    # The runtime's wiring of what happens after a commit with events (wake the relay; in fault
    # drills, crash between commit and publish), reused for the registry's own unit of work.
    on_commit = core.uow().on_commit
    bus = sql_bus(
        core.engine,
        safeguards=settings.safeguard_policy(),
        on_commit=on_commit,
        producer=settings.service_name,
    )
    reads = RegistryReadModel(core.engine)
    core.workers.append(
        HeldTransferWorker(
            bus, settings.held_transfer_poll_interval_ms, any_due=lambda: reads.any_held_transfer_due(utcnow())
        )
    )
    schema = build_schema(settings, Query, Mutation, types=SCHEMA_TYPES)
    names: list[str] = []

    def register(server: Any) -> None:
        names.append(register_event_log(server, core.engine, core.outbox, settings.service_name))
        names.append(register_registry_service(server, bus, reads))

    process = build_process(
        core, schema, register, names, extras={"engine": core.engine, "core": core, "bus": bus, "reads": reads}
    )
    add_certificate_routes(process.http_app, reads)
    return process


def schema_sdl() -> str:
    return str(build_schema(RegistrySettings(), Query, Mutation, types=SCHEMA_TYPES).as_str())
