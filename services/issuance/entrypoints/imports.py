"""ImportRegistryExport (PROGRAM_ADMIN): the same import as `python -m importers.cli`, for CSV files
uploaded through the API. Each file's registry and kind are inferred from its name or header; the
importer (importers.apply, which speaks the gRPC messages) sends projects and batches through this
service's bus as ImportProject/ImportBatch commands, mapped as the gRPC server maps them, and forwards
retirements and cancellations to the registry (the caller's token goes with them, so the registry
authorizes the same person)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from carbon.issuance.v1 import issuance_pb2
from carbon.registry.v1 import registry_pb2
from google.protobuf.message import Message

from carbon_runtime.errors import DomainError, ErrorCode, invalid
from carbon_runtime.messaging.bus import MessageBus
from carbon_runtime.transport.auth import Principal
from importers.apply import ImportReport, ServiceUnavailableError, apply_plan
from importers.plan import build_plan_from_files
from services.issuance.domain.actor import Role, require_role
from services.issuance.entrypoints import grpc_server
from services.issuance.entrypoints.caller import actor_of

MAX_FILES = 20
MAX_FILE_CHARS = 20_000_000


class BlockEventForwarder(Protocol):
    """The registry's ImportBlockEvent, as the registry client offers it (proto in, proto out)."""

    def import_block_event(self, request: Message, token: str | None) -> Message: ...


class _BusSink:
    def __init__(self, bus: MessageBus[Any], forwarder: BlockEventForwarder, principal: Principal) -> None:
        self.bus = bus
        self.forwarder = forwarder
        self.principal = principal

    def import_project(self, request: issuance_pb2.ImportProjectRequest) -> issuance_pb2.ImportProjectResponse:
        cmd = grpc_server.import_project_command(request, self.principal)
        return grpc_server.import_project_response(self.bus.handle(cmd))

    def import_batch(self, request: issuance_pb2.ImportBatchRequest) -> issuance_pb2.ImportBatchResponse:
        cmd = grpc_server.import_batch_command(request, self.principal)
        return grpc_server.import_batch_response(self.bus.handle(cmd))

    def import_block_event(
        self, request: registry_pb2.ImportBlockEventRequest
    ) -> registry_pb2.ImportBlockEventResponse:
        response = self.forwarder.import_block_event(request, self.principal.token)
        assert isinstance(response, registry_pb2.ImportBlockEventResponse)
        return response


def import_registry_export(
    bus: MessageBus[Any], forwarder: BlockEventForwarder, principal: Principal, files: Sequence[tuple[str, str]]
) -> ImportReport:
    require_role(actor_of(principal), Role.PROGRAM_ADMIN, "importRegistryExport")
    if not files or len(files) > MAX_FILES:
        raise invalid("FILES_INVALID", f"give 1-{MAX_FILES} files")
    if any(len(content) > MAX_FILE_CHARS for _, content in files):
        raise invalid("FILE_TOO_LARGE", f"a file is at most {MAX_FILE_CHARS} characters")
    plan = build_plan_from_files(files)
    try:
        return apply_plan(plan, _BusSink(bus, forwarder, principal))
    except ServiceUnavailableError as exc:
        raise DomainError(code=ErrorCode.UNAVAILABLE, reason="REGISTRY_UNAVAILABLE", message=str(exc)) from exc
