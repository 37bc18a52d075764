"""Builds the issuance process from its settings: database, outbox relay, registry client, gRPC, GraphQL."""

from __future__ import annotations

from typing import Any, cast

from carbon_runtime.messaging.replay import register_event_log
from carbon_runtime.ops.bootstrap import build_core, build_process
from carbon_runtime.ops.process import ServiceProcess
from carbon_runtime.transport.graphql_runtime import build_schema
from carbon_runtime.transport.grpc_runtime import GrpcClient
from services.issuance.adapters import tables
from services.issuance.adapters.read_model import ReadModel
from services.issuance.adapters.registry_client import REGISTRY_SERVICE, GrpcRegistry
from services.issuance.adapters.repositories import SqlUnitOfWork
from services.issuance.entrypoints.graphql_schema import ENTITY_TYPES, Mutation, Query
from services.issuance.entrypoints.grpc_server import register_issuance_service
from services.issuance.service.common import Deps
from services.issuance.service.import_records import ImportDeps
from services.issuance.service.ports import ImportRegistryPort, RegistryPort
from services.issuance.settings import IssuanceSettings


def _schema(settings: IssuanceSettings) -> Any:
    return build_schema(settings, Query, Mutation, types=ENTITY_TYPES)


def bootstrap(
    settings: IssuanceSettings | None = None,
    *,
    registry: RegistryPort | None = None,
    import_registry: ImportRegistryPort | None = None,
) -> ServiceProcess:
    """`registry` / `import_registry` replace the gRPC registry client (tests); by default one is built
    for the target in settings, connected lazily so the issuance service starts while the registry is down."""
    settings = settings or IssuanceSettings()
    core = build_core(settings, tables.outbox)
    grpc_registry: GrpcRegistry | None = None
    if registry is None or import_registry is None:
        client = GrpcClient(settings.registry_grpc_target, retry_services=[REGISTRY_SERVICE])
        core.on_stop.append(client.close)
        grpc_registry = GrpcRegistry(client, settings.auth, settings.service_name)
    registry_port: RegistryPort = registry if registry is not None else cast(GrpcRegistry, grpc_registry)
    import_port: ImportRegistryPort = (
        import_registry if import_registry is not None else cast(GrpcRegistry, grpc_registry)
    )
    deps = Deps(uow=lambda: SqlUnitOfWork(core.uow()), registry=registry_port)
    imports = ImportDeps(uow=deps.uow, registry=import_port)
    reads = ReadModel(core.engine)
    names: list[str] = []

    def register(server: Any) -> None:
        names.append(register_issuance_service(server, reads, imports))
        names.append(register_event_log(server, core.engine, core.outbox, settings.service_name))

    return build_process(
        core,
        _schema(settings),
        register,
        names,
        extras={"engine": core.engine, "deps": deps, "reads": reads, "imports": imports},
    )


def schema_sdl() -> str:
    return str(_schema(IssuanceSettings()).as_str())
