"""ImportBatch (PROGRAM_ADMIN or SERVICE): mint a batch bridged in from an external registry
(service/origin_records.py) to the origin registry's platform holding account."""

from __future__ import annotations

import dataclasses

from carbon_runtime.errors import conflict, invalid
from services.registry.domain.actor import require_role
from services.registry.domain.commands import ImportBatch
from services.registry.service.common import require_id
from services.registry.service.mint_batch import build_batch, mint_in_transaction
from services.registry.service.origin_records import (
    DOUBLE_REGISTRATION,
    IMPORT_KEY_REUSED,
    check_origin_units,
    import_account_id,
    import_organization_id,
    origin_registry,
    registry_name,
    units_text,
)
from services.registry.service.ports import RegistryUnitOfWork
from services.registry.service.results import ImportBatchResult


def handle(cmd: ImportBatch, uow: RegistryUnitOfWork) -> ImportBatchResult:
    actor = cmd.actor
    require_role(actor, "PROGRAM_ADMIN", "SERVICE")
    key = require_id(cmd.import_key, "idempotency_key")
    registry = origin_registry(cmd.origin_registry)
    require_id(cmd.origin_project_id, "origin_project_id")
    require_id(cmd.mint.issuance_id, "mint.issuance_id")
    if cmd.mint.issued_quantity_t <= 0:
        raise invalid("QUANTITY_NOT_POSITIVE_INTEGER", "issued_quantity_t must be positive")
    units = check_origin_units(cmd.origin_units, cmd.mint.issued_quantity_t)
    holder_account_id = import_account_id(registry)
    # Imported units always belong to the origin registry's platform organization.
    mint = dataclasses.replace(
        cmd.mint,
        actor=actor,
        holder_account_id=holder_account_id,
        buffer_account_id="",
        idempotency_key=key,
        attributes=dataclasses.replace(cmd.mint.attributes, issuer_organization_id=import_organization_id(registry)),
    )
    batch = build_batch(mint)
    import_hash = uow.imports.batch_request_hash(cmd)

    stored = uow.imports.imported_batch(key)
    if stored is not None:
        stored_hash, first = stored
        if stored_hash != import_hash:
            raise conflict(IMPORT_KEY_REUSED, f"import record {key} was already imported with other arguments")
        return ImportBatchResult(first, holder_account_id)
    if units is not None:
        uow.imports.serialize_scope(registry, units.numbering_scope)
        clash = uow.imports.batch_clash(registry, units)
        if clash is not None:
            raise conflict(
                DOUBLE_REGISTRATION,
                f"units {units_text(units)} of {registry} overlap units {clash.origin_unit_start}-"
                f"{clash.origin_unit_end} already registered as batch {clash.holder_id} ({clash.origin_serial})",
                batch_id=clash.holder_id,
            )
    uow.accounts.ensure_import_holder(registry, f"{registry_name(registry)} (imported holdings)")
    minted = mint_in_transaction(uow, actor, mint, batch, import_hash)
    uow.imports.add_batch_origin(
        {
            "batch_id": batch.id,
            "import_key": key,
            "origin_registry": registry,
            "origin_batch_id": cmd.origin_batch_id or None,
            "origin_project_id": cmd.origin_project_id,
            "numbering_scope": units.numbering_scope if units else None,
            "origin_unit_start": units.unit_start if units else None,
            "origin_unit_end": units.unit_end if units else None,
            "origin_serial_start": units.serial_start if units else None,
            "origin_serial_end": units.serial_end if units else None,
            "origin_serial": units.origin_serial if units else None,
        }
    )
    return ImportBatchResult(minted, holder_account_id)
