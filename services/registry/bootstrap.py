"""Builds the registry process from its settings: database, outbox relay, gRPC, GraphQL, and the
public certificate pages."""

from __future__ import annotations

from typing import Any

from carbon_runtime.messaging.replay import register_event_log
from carbon_runtime.ops.bootstrap import build_core, build_process
from carbon_runtime.ops.process import ServiceProcess
from carbon_runtime.transport.graphql_runtime import build_schema
from services.registry.adapters import tables
from services.registry.entrypoints.graphql_schema import SCHEMA_TYPES, Mutation, Query
from services.registry.entrypoints.grpc_server import register_registry_service
from services.registry.entrypoints.http_routes import add_certificate_routes
from services.registry.service.common import RegistryDeps
from services.registry.service.held_transfers import HeldTransferWorker
from services.registry.settings import RegistrySettings


def bootstrap(settings: RegistrySettings | None = None) -> ServiceProcess:
    settings = settings or RegistrySettings()
    core = build_core(settings, tables.outbox)
    deps = RegistryDeps(engine=core.engine, uow=core.uow, safeguards=settings.safeguard_policy())
    core.workers.append(HeldTransferWorker(deps, settings.held_transfer_poll_interval_ms))
    schema = build_schema(settings, Query, Mutation, types=SCHEMA_TYPES)
    names: list[str] = []

    def register(server: Any) -> None:
        names.append(register_event_log(server, core.engine, core.outbox, settings.service_name))
        names.append(register_registry_service(server, deps))

    process = build_process(
        core, schema, register, names, extras={"engine": core.engine, "core": core, "registry": deps}
    )
    add_certificate_routes(process.http_app, deps)
    return process


def schema_sdl() -> str:
    return str(build_schema(RegistrySettings(), Query, Mutation, types=SCHEMA_TYPES).as_str())
