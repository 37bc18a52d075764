"""Builds the issuance process from its settings: database, message bus, outbox relay, registry
client, gRPC, GraphQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Engine

from carbon_runtime.messaging.bus import MessageBus
from carbon_runtime.messaging.replay import register_event_log
from carbon_runtime.ops.bootstrap import build_core, build_process
from carbon_runtime.ops.process import ServiceProcess
from carbon_runtime.transport.graphql_runtime import build_schema
from carbon_runtime.transport.grpc_runtime import GrpcClient
from services.issuance.adapters import tables
from services.issuance.adapters.read_model import ReadModel
from services.issuance.adapters.registry_client import REGISTRY_SERVICE, GrpcRegistry
from services.issuance.adapters.unit_of_work import IssuanceUnitOfWork
from services.issuance.entrypoints.graphql import ENTITY_TYPES, Mutation, Query
from services.issuance.entrypoints.grpc_server import register_issuance_service
from services.issuance.service.handlers import HANDLERS
from services.issuance.service.messages import to_messages
from services.issuance.service.ports import Clock, IdGenerator, ImportRegistryPort, RegistryPort
from services.issuance.settings import IssuanceSettings


def _schema(settings: IssuanceSettings) -> Any:
    return build_schema(settings, Query, Mutation, types=ENTITY_TYPES)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


def build_bus(
    engine: Engine,
    *,
    registry: RegistryPort,
    import_registry: ImportRegistryPort,
    clock: Clock = _utc_now,
    new_id: IdGenerator = _new_id,
    on_commit: Callable[[], None] | None = None,
) -> MessageBus[IssuanceUnitOfWork]:
    """The bus over the SQL unit of work, with the handlers' dependencies (tests pass fakes)."""
    return MessageBus(
        lambda: IssuanceUnitOfWork(engine, on_commit),
        HANDLERS,
        to_messages,
        dependencies={"registry": registry, "import_registry": import_registry, "clock": clock, "new_id": new_id},
    )


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
    # The core knows what wakes the outbox relay after a commit (and the crash-after-commit fault).
    bus = build_bus(core.engine, registry=registry_port, import_registry=import_port, on_commit=core.on_commit)
    reads = ReadModel(core.engine)
    names: list[str] = []

    def register(server: Any) -> None:
        names.append(register_issuance_service(server, reads, bus))
        names.append(register_event_log(server, core.engine, core.outbox, settings.service_name))

    return build_process(
        core,
        _schema(settings),
        register,
        names,
        # The export import forwards imported retirements/cancellations to the registry as they are.
        extras={"engine": core.engine, "bus": bus, "reads": reads, "import_registry": import_port},
    )


def schema_sdl() -> str:
    return str(_schema(IssuanceSettings()).as_str())
