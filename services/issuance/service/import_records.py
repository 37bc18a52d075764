"""ImportProject and ImportBatch (PROGRAM_ADMIN): projects and batches bridged in from an external
registry (Verra, Gold Standard, ACR, CAR, ART TREES).

An imported project was validated and registered by its origin registry, so it starts REGISTERED,
with its origin project id. Its methodology is the program's methodology of the same code when the
reference data has it, otherwise one is created for the program (reference data, PROGRAM_ADMIN), so
no record is dropped for want of a methodology.

An imported batch is recorded as issued: the registry first mints it with its origin serial range
(ImportBatch, refused as DOUBLE_REGISTRATION when another record claimed those units); only then is
the batch written here, with CreditsIssued carrying every attribute so read models see it. Ids
derive from the import record's key, so a retry after a crash re-sends the identical order, the
registry answers with its first result and the batch is written once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date

from carbon.issuance.v1 import events_pb2, issuance_pb2, types_pb2
from google.protobuf import json_format

from carbon_runtime.errors import conflict, invalid, precondition
from carbon_runtime.persistence import idempotency
from carbon_runtime.transport.auth import Principal
from services.issuance.domain.actor import Role, require_role
from services.issuance.domain.countries import validate_country
from services.issuance.domain.project import Project, ProjectStatus
from services.issuance.domain.reference_data import CreditBasis, CreditType, Methodology, MethodologyFamily, Sector
from services.issuance.service.common import (
    PROJECT,
    _utc_now,
    actor_fields,
    actor_of,
    authorization_name,
    project_created_event,
)
from services.issuance.service.issue_credits import ISSUED, credit_attributes, serial_token
from services.issuance.service.ports import (
    BatchRecord,
    Clock,
    ImportedOrigin,
    ImportMintOrder,
    ImportRegistryPort,
    MintOrder,
    UnitOfWorkFactory,
)

IMPORT_KEY_REUSED = "IMPORT_KEY_REUSED"
_MAX_CODE = 60


@dataclass
class ImportDeps:
    uow: UnitOfWorkFactory
    registry: ImportRegistryPort
    clock: Clock = field(default=_utc_now)


def import_organization_id(origin_registry: str) -> str:
    """The registry's platform organization for an origin registry; imported credits belong to it."""
    return f"IMPORT-{origin_registry}"


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length].upper()


def _normalized(code: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", code.upper())


def methodology_code(text: str) -> str:
    """The code a methodology is stored under: the exported text with whitespace collapsed and
    trailing punctuation dropped, shortened with a digest suffix when longer than the column."""
    cleaned = re.sub(r"\s+", " ", text).strip().rstrip(".;,")
    if len(cleaned) <= _MAX_CODE:
        return cleaned
    return f"{cleaned[: _MAX_CODE - 9]}~{_digest(cleaned, 8)}"


def _request_args(request: object) -> dict[str, object]:
    arguments: dict[str, object] = json_format.MessageToDict(request, preserving_proto_field_name=True)  # type: ignore[arg-type]
    arguments.pop("idempotency_key", None)
    return arguments


# ----------------------------------------------------------------------------------------------
# ImportProject


def _methodology_for(
    existing: list[Methodology], request: issuance_pb2.ImportProjectRequest
) -> tuple[Methodology, bool]:
    program_id = request.program_id
    text = request.methodology_code.strip()
    code = methodology_code(text) if text else "UNSPECIFIED"
    wanted = _normalized(code)
    for methodology in existing:
        if _normalized(methodology.code) == wanted:
            return methodology, False
    try:
        credit_type = CreditType(types_pb2.CreditType.Name(request.credit_type).removeprefix("CREDIT_TYPE_"))
        basis = CreditBasis(types_pb2.CreditBasis.Name(request.basis).removeprefix("CREDIT_BASIS_"))
        sector = Sector(request.sector)
        family = MethodologyFamily(request.family)
    except ValueError:
        raise invalid(
            "METHODOLOGY_ATTRIBUTES_REQUIRED",
            f"methodology {code!r} is not in program {program_id}; give credit type, basis, sector and family "
            "so it can be created",
        ) from None
    stated = f"Not stated in the export ({request.project_type or 'unknown project type'})"
    title = (text or stated)[:300]
    methodology = Methodology(
        methodology_id=f"{program_id}:{code}",
        program_id=program_id,
        code=code,
        title=title,
        credit_type=credit_type,
        basis=basis,
        sector=sector,
        family=family,
    )
    return methodology, True


def import_project(
    deps: ImportDeps, principal: Principal, request: issuance_pb2.ImportProjectRequest
) -> issuance_pb2.ImportProjectResponse:
    actor = actor_of(principal)
    require_role(actor, Role.PROGRAM_ADMIN, "importProject")
    origin_registry = request.origin_registry
    if not re.fullmatch(r"[A-Z][A-Z_]{1,19}", origin_registry):
        raise invalid("ORIGIN_REGISTRY_INVALID", "origin_registry must be a registry name such as VERRA or ACR")
    origin_project_id = request.origin_project_id.strip()
    if not origin_project_id or len(origin_project_id) > 120:
        raise invalid("ORIGIN_PROJECT_ID_INVALID", "origin_project_id must be 1-120 characters")
    validate_country(request.country)
    now = deps.clock()
    with deps.uow() as uow:
        settings = uow.get_program(request.program_id)
        found = uow.project_by_origin(request.program_id, origin_project_id)
        if found is not None:
            project = uow.get_project(found)
            return issuance_pb2.ImportProjectResponse(
                project_id=found, methodology_id=project.methodology.methodology_id, created=False
            )
        methodology, methodology_created = _methodology_for(list(uow.methodologies_of(request.program_id)), request)
        if methodology_created:
            uow.save_methodology(methodology, new=True)
        project = Project.imported(
            # Derived from the origin id, so two racing imports of one project collide on the key.
            project_id="IMP" + _digest(f"{request.program_id}|{origin_project_id}", 29),
            actor=actor,
            at=now,
            name=request.name.strip()[:300] or origin_project_id,
            program=settings.program,
            methodology=methodology,
            host_country=request.country,
            proponent_org_id=import_organization_id(origin_registry),
            origin_project_id=origin_project_id,
        )
        uow.add_project(project, actor.user_id)
        registered_on = now.date()
        uow.set_registered_on(project.project_id, registered_on)
        uow.add_event(PROJECT, project.project_id, project_created_event(project, actor, request.idempotency_key))
        uow.add_event(
            PROJECT,
            project.project_id,
            events_pb2.ProjectRegistered(
                project_id=project.project_id,
                program_id=project.program.program_id,
                registered_on=registered_on.isoformat(),
                **actor_fields(actor),
            ),
        )
        return issuance_pb2.ImportProjectResponse(
            project_id=project.project_id,
            methodology_id=methodology.methodology_id,
            created=True,
            methodology_created=methodology_created,
        )


# ----------------------------------------------------------------------------------------------
# ImportBatch


def _date(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise invalid("DATE_MALFORMED", f"{name} must be an ISO 8601 date YYYY-MM-DD", field=name) from None


def _response(record: BatchRecord) -> issuance_pb2.ImportBatchResponse:
    return issuance_pb2.ImportBatchResponse(
        batch_id=record.batch_id, serial_start=record.serial_start or "", serial_end=record.serial_end or ""
    )


def import_batch(
    deps: ImportDeps, principal: Principal, request: issuance_pb2.ImportBatchRequest
) -> issuance_pb2.ImportBatchResponse:
    actor = actor_of(principal)
    require_role(actor, Role.PROGRAM_ADMIN, "importBatch")
    key = request.idempotency_key
    if not key or len(key) > 200:
        raise invalid("IDEMPOTENCY_KEY_REQUIRED", "an imported batch needs its record's key (1-200 characters)")
    if request.issued_quantity_t <= 0 or not 0 <= request.buffer_quantity_t <= request.issued_quantity_t:
        raise invalid("QUANTITY_INVALID", "issued tonnes must be positive and the buffer share within them")
    vintage_start = _date(request.vintage_start, "vintage_start")
    vintage_end = _date(request.vintage_end, "vintage_end")
    if vintage_end < vintage_start:
        raise invalid("VINTAGE_INVALID", "the vintage must not end before it starts")
    issued_on = _date(request.issued_on, "issued_on") if request.issued_on else None
    has_units = request.origin_unit_start > 0
    if has_units and request.origin_unit_end - request.origin_unit_start + 1 != request.issued_quantity_t:
        raise invalid("ORIGIN_RANGE_QUANTITY_MISMATCH", "the origin serial range must hold the issued tonnes")
    if request.country:
        validate_country(request.country)
    request_hash = idempotency.request_hash("ImportBatch", _request_args(request))

    with deps.uow() as uow:
        stored = uow.imported_batch(key)
        if stored is not None:
            if stored[1] != request_hash:
                raise conflict(IMPORT_KEY_REUSED, f"import record {key} was already imported with other arguments")
            existing = uow.get_batch(stored[0])
            assert existing is not None
            return _response(existing)
        project = uow.get_project(request.project_id)
        if project.origin_project_id is None or project.status is not ProjectStatus.REGISTERED:
            raise precondition(
                "PROJECT_NOT_IMPORTED", f"project {request.project_id} is not a registered imported project"
            )
        settings = uow.get_program(project.program.program_id)

    batch_id = "IMP" + _digest(key, 24)
    country = request.country or project.host_country
    program_id = project.program.program_id
    order = MintOrder(
        issuance_id="IMP-" + _digest(key, 40),
        batch_id=batch_id,
        idempotency_key=key,
        serial_prefix=(
            f"{serial_token(program_id)[:10]}-{country}-{serial_token(request.project_id)[:32]}"
            f"-{vintage_start.year:04d}-{batch_id}"
        ),
        issued_quantity_t=int(request.issued_quantity_t),
        buffer_quantity_t=int(request.buffer_quantity_t),
        holder_account_id="",
        buffer_account_id=(settings.buffer_account_id or "") if request.buffer_quantity_t else "",
        project_id=request.project_id,
        program_id=program_id,
        methodology_id=project.methodology.methodology_id,
        country=country,
        vintage_start=vintage_start,
        vintage_end=vintage_end,
        credit_type=project.credit_type.value,
        basis=project.basis.value,
        category=project.category.value,
        corresponding_adjustment=project.corresponding_adjustment,
        authorization=authorization_name(project.authorization),
        co_benefits=project.co_benefits,
        issuer_organization_id=project.proponent_org_id,
    )
    minted = deps.registry.import_batch(
        ImportMintOrder(
            order=order,
            origin_registry=request.origin_registry,
            origin_batch_id=request.origin_batch_id,
            origin_project_id=project.origin_project_id,
            numbering_scope=request.numbering_scope if has_units else "",
            origin_unit_start=int(request.origin_unit_start),
            origin_unit_end=int(request.origin_unit_end),
            origin_serial_start=request.origin_serial_start,
            origin_serial_end=request.origin_serial_end,
            origin_serial=request.origin_serial,
        ),
        principal.token,
    )

    with deps.uow() as uow:
        stored = uow.imported_batch(key)
        if stored is not None:  # a concurrent import of the same record wrote it first
            existing = uow.get_batch(stored[0])
            assert existing is not None
            return _response(existing)
        now = deps.clock()
        record = BatchRecord(
            batch_id=batch_id,
            issuance_id=order.issuance_id,
            state=ISSUED,
            monitoring_report_id="MR" + batch_id,
            holder_account_id=minted.holder_account_id,
            idempotency_key=key,
            order=order,
            project_name=project.name,
            program_name=project.program.name,
            methodology_title=project.methodology.title,
            registered_on=uow.registered_on(project.project_id),
            requested_by=actor.user_id,
            requested_by_org=actor.organization_id,
            requested_at=now,
            serial_start=minted.serial_start,
            serial_end=minted.serial_end,
            issued_at=now,
        )
        origin = ImportedOrigin(
            import_key=key,
            origin_registry=request.origin_registry,
            origin_batch_id=request.origin_batch_id or None,
            origin_serial=request.origin_serial or None,
            issued_on=issued_on,
            request_hash=request_hash,
        )
        uow.add_imported_batch(record, origin, now)
        uow.add_event(
            PROJECT,
            project.project_id,
            events_pb2.CreditsIssued(
                batch_id=batch_id,
                issuance_id=order.issuance_id,
                monitoring_report_id=record.monitoring_report_id,
                attributes=credit_attributes(order),
                project_name=record.project_name,
                program_name=record.program_name,
                methodology_title=record.methodology_title,
                issued_quantity_t=order.issued_quantity_t,
                buffer_quantity_t=order.buffer_quantity_t,
                serial_start=minted.serial_start,
                serial_end=minted.serial_end,
                holder_account_id=minted.holder_account_id,
                buffer_account_id=minted.buffer_account_id,
                idempotency_key=key,
                **actor_fields(actor),
            ),
        )
        return _response(record)
