"""ImportRegistryExport (PROGRAM_ADMIN): the same import as `python -m importers.cli`, for CSV files
uploaded through the API. Each file's registry and kind are inferred from its name or header; projects
and batches are imported by this service's own handlers, retirements and cancellations by the
registry (the caller's token is forwarded, so the registry authorizes the same person)."""

from __future__ import annotations

from collections.abc import Sequence

from carbon.issuance.v1 import issuance_pb2
from carbon.registry.v1 import registry_pb2

from carbon_runtime.errors import DomainError, ErrorCode, invalid
from carbon_runtime.transport.auth import Principal
from importers.apply import ImportReport, ServiceUnavailableError, apply_plan
from importers.plan import build_plan_from_files
from services.issuance.domain.actor import Role, require_role
from services.issuance.service.common import actor_of
from services.issuance.service.import_records import ImportDeps, import_batch, import_project

MAX_FILES = 20
MAX_FILE_CHARS = 20_000_000


class _InProcessSink:
    def __init__(self, deps: ImportDeps, principal: Principal) -> None:
        self.deps = deps
        self.principal = principal

    def import_project(self, request: issuance_pb2.ImportProjectRequest) -> issuance_pb2.ImportProjectResponse:
        return import_project(self.deps, self.principal, request)

    def import_batch(self, request: issuance_pb2.ImportBatchRequest) -> issuance_pb2.ImportBatchResponse:
        return import_batch(self.deps, self.principal, request)

    def import_block_event(
        self, request: registry_pb2.ImportBlockEventRequest
    ) -> registry_pb2.ImportBlockEventResponse:
        response = self.deps.registry.import_block_event(request, self.principal.token)
        assert isinstance(response, registry_pb2.ImportBlockEventResponse)
        return response


def import_registry_export(deps: ImportDeps, principal: Principal, files: Sequence[tuple[str, str]]) -> ImportReport:
    require_role(actor_of(principal), Role.PROGRAM_ADMIN, "importRegistryExport")
    if not files or len(files) > MAX_FILES:
        raise invalid("FILES_INVALID", f"give 1-{MAX_FILES} files")
    if any(len(content) > MAX_FILE_CHARS for _, content in files):
        raise invalid("FILE_TOO_LARGE", f"a file is at most {MAX_FILE_CHARS} characters")
    plan = build_plan_from_files(files)
    try:
        return apply_plan(plan, _InProcessSink(deps, principal))
    except ServiceUnavailableError as exc:
        raise DomainError(code=ErrorCode.UNAVAILABLE, reason="REGISTRY_UNAVAILABLE", message=str(exc)) from exc
