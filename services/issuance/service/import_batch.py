"""ImportBatch (PROGRAM_ADMIN): a batch of an external registry, recorded as issued.

The registry first mints it with its origin serial range (ImportBatch, refused as DOUBLE_REGISTRATION
when another record claimed those units); only then is the batch written here, with CreditsIssued
carrying every attribute so read models see it. Ids derive from the import record's key, so a retry
after a crash re-sends the identical order, the registry answers with its first result and the batch
is written once. The key is the record's own (not the caller's idempotency key): the same key with
other arguments is IMPORT_KEY_REUSED.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date

from carbon_runtime.errors import conflict, invalid, precondition
from services.issuance.domain.actor import Role, require_role
from services.issuance.domain.commands import Command, ImportBatch
from services.issuance.domain.countries import validate_country
from services.issuance.domain.events import CreditsIssued
from services.issuance.domain.project import ProjectStatus
from services.issuance.domain.values import authorization_of
from services.issuance.service.imports import digest
from services.issuance.service.issue_credits import ISSUED, serial_token
from services.issuance.service.ports import (
    BatchRecord,
    Clock,
    ImportedOrigin,
    ImportMintOrder,
    ImportRegistryPort,
    MintOrder,
    UnitOfWork,
)
from services.issuance.service.results import ImportedBatch

IMPORT_KEY_REUSED = "IMPORT_KEY_REUSED"
_NOT_ARGUMENTS = {f.name for f in dataclasses.fields(Command)} | {"import_key"}


def request_hash(cmd: ImportBatch) -> str:
    """The fingerprint stored with an imported batch. It reproduces the one computed from the gRPC
    request before commands existed (its non-default fields by proto name, 64-bit integers as text,
    the key left out), so records imported then still recognise their repeats."""
    arguments = {
        f.name: str(value) if isinstance(value, int) else value
        for f in dataclasses.fields(cmd)
        if f.name not in _NOT_ARGUMENTS and (value := getattr(cmd, f.name)) not in ("", 0)
    }
    canonical = json.dumps({"op": "ImportBatch", "args": arguments}, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _date(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise invalid("DATE_MALFORMED", f"{name} must be an ISO 8601 date YYYY-MM-DD", field=name) from None


def _result(record: BatchRecord) -> ImportedBatch:
    return ImportedBatch(record.batch_id, record.serial_start or "", record.serial_end or "")


def _existing(uow: UnitOfWork, batch_id: str) -> ImportedBatch:
    existing = uow.batches.get_batch(batch_id)
    assert existing is not None
    return _result(existing)


def handle(cmd: ImportBatch, uow: UnitOfWork, *, import_registry: ImportRegistryPort, clock: Clock) -> ImportedBatch:
    actor = cmd.actor
    require_role(actor, Role.PROGRAM_ADMIN, "importBatch")
    key = cmd.import_key
    if not key or len(key) > 200:
        raise invalid("IDEMPOTENCY_KEY_REQUIRED", "an imported batch needs its record's key (1-200 characters)")
    if cmd.issued_quantity_t <= 0 or not 0 <= cmd.buffer_quantity_t <= cmd.issued_quantity_t:
        raise invalid("QUANTITY_INVALID", "issued tonnes must be positive and the buffer share within them")
    vintage_start = _date(cmd.vintage_start, "vintage_start")
    vintage_end = _date(cmd.vintage_end, "vintage_end")
    if vintage_end < vintage_start:
        raise invalid("VINTAGE_INVALID", "the vintage must not end before it starts")
    issued_on = _date(cmd.issued_on, "issued_on") if cmd.issued_on else None
    has_units = cmd.origin_unit_start > 0
    if has_units and cmd.origin_unit_end - cmd.origin_unit_start + 1 != cmd.issued_quantity_t:
        raise invalid("ORIGIN_RANGE_QUANTITY_MISMATCH", "the origin serial range must hold the issued tonnes")
    if cmd.country:
        validate_country(cmd.country)
    fingerprint = request_hash(cmd)

    stored = uow.batches.imported_batch(key)
    if stored is not None:
        if stored[1] != fingerprint:
            raise conflict(IMPORT_KEY_REUSED, f"import record {key} was already imported with other arguments")
        return _existing(uow, stored[0])
    project = uow.projects.get_project(cmd.project_id)
    if project.origin_project_id is None or project.status is not ProjectStatus.REGISTERED:
        raise precondition("PROJECT_NOT_IMPORTED", f"project {cmd.project_id} is not a registered imported project")
    settings = uow.reference.get_program(project.program.program_id)
    registered_on = uow.projects.registered_on(project.project_id)
    # Nothing is written before the registry call; ending the transaction frees the database meanwhile.
    uow.commit()

    batch_id = "IMP" + digest(key, 24)
    country = cmd.country or project.host_country
    program_id = project.program.program_id
    order = MintOrder(
        issuance_id="IMP-" + digest(key, 40),
        batch_id=batch_id,
        idempotency_key=key,
        serial_prefix=(
            f"{serial_token(program_id)[:10]}-{country}-{serial_token(cmd.project_id)[:32]}"
            f"-{vintage_start.year:04d}-{batch_id}"
        ),
        issued_quantity_t=cmd.issued_quantity_t,
        buffer_quantity_t=cmd.buffer_quantity_t,
        holder_account_id="",
        buffer_account_id=(settings.buffer_account_id or "") if cmd.buffer_quantity_t else "",
        project_id=cmd.project_id,
        program_id=program_id,
        methodology_id=project.methodology.methodology_id,
        country=country,
        vintage_start=vintage_start,
        vintage_end=vintage_end,
        credit_type=project.credit_type,
        basis=project.basis,
        category=project.category,
        corresponding_adjustment=project.corresponding_adjustment,
        authorization=authorization_of(project.authorization),
        co_benefits=project.co_benefits,
        issuer_organization_id=project.proponent_org_id,
    )
    minted = import_registry.import_batch(
        ImportMintOrder(
            order=order,
            origin_registry=cmd.origin_registry,
            origin_batch_id=cmd.origin_batch_id,
            origin_project_id=project.origin_project_id,
            numbering_scope=cmd.numbering_scope if has_units else "",
            origin_unit_start=cmd.origin_unit_start,
            origin_unit_end=cmd.origin_unit_end,
            origin_serial_start=cmd.origin_serial_start,
            origin_serial_end=cmd.origin_serial_end,
            origin_serial=cmd.origin_serial,
        ),
        cmd.token,
    )

    stored = uow.batches.imported_batch(key)
    if stored is not None:  # a concurrent import of the same record wrote it first
        return _existing(uow, stored[0])
    now = clock()
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
        registered_on=registered_on,
        requested_by=actor.user_id,
        requested_by_org=actor.organization_id,
        requested_at=now,
        serial_start=minted.serial_start,
        serial_end=minted.serial_end,
        issued_at=now,
    )
    origin = ImportedOrigin(
        import_key=key,
        origin_registry=cmd.origin_registry,
        origin_batch_id=cmd.origin_batch_id or None,
        origin_serial=cmd.origin_serial or None,
        issued_on=issued_on,
        request_hash=fingerprint,
    )
    uow.batches.add_imported_batch(record, origin, now)
    uow.emit(
        CreditsIssued(
            aggregate_id=project.project_id,
            actor_user_id=actor.user_id,
            actor_org_id=actor.organization_id,
            occurred_at=now,
            batch_id=batch_id,
            issuance_id=order.issuance_id,
            monitoring_report_id=record.monitoring_report_id,
            attributes=order.attributes,
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
        )
    )
    return _result(record)
