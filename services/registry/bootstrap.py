"""Builds the registry process from its settings: database, outbox relay, gRPC, GraphQL."""

from __future__ import annotations

from typing import Any

from carbon_runtime.bootstrap import build_core, build_process
from carbon_runtime.graphql_runtime import build_schema
from carbon_runtime.process import ServiceProcess
from carbon_runtime.replay import register_event_log
from services.registry.adapters import tables
from services.registry.entrypoints.graphql_schema import CreditBatch, Query
from services.registry.settings import RegistrySettings


def bootstrap(settings: RegistrySettings | None = None) -> ServiceProcess:
    settings = settings or RegistrySettings()
    core = build_core(settings, tables.outbox)
    schema = build_schema(settings, Query, types=[CreditBatch])
    names: list[str] = []

    def register(server: Any) -> None:
        names.append(register_event_log(server, core.engine, core.outbox, settings.service_name))

    return build_process(core, schema, register, names, extras={"engine": core.engine, "core": core})


def schema_sdl() -> str:
    return str(build_schema(RegistrySettings(), Query, types=[CreditBatch]).as_str())
