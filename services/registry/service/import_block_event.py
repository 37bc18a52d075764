"""ImportBlockEvent (REGISTRY_ADMIN or PROGRAM_ADMIN): a retirement or cancellation made at the origin
registry takes the same quantity out of its platform holding account (service/origin_records.py)."""

from __future__ import annotations

import hashlib

from carbon_runtime.errors import conflict, invalid, not_found
from carbon_runtime.vocabulary import CancellationPurpose, RetirementPurpose
from services.registry.domain import ledger
from services.registry.domain.actor import require_role
from services.registry.domain.canonical import canonical_json
from services.registry.domain.certificates import CertificateKind, build_certificate, certificate_id_for
from services.registry.domain.commands import ImportBlockEvent, OriginUnits
from services.registry.domain.events import CreditsCancelled, CreditsRetired, blocks_of
from services.registry.domain.models import AccountKind
from services.registry.service.common import require_id
from services.registry.service.origin_records import (
    DOUBLE_REGISTRATION,
    IMPORT_KEY_REUSED,
    ORIGIN_BATCH_NOT_IMPORTED,
    check_origin_units,
    import_account_id,
    origin_registry,
    registry_name,
    units_text,
)
from services.registry.service.permanent_use import take_units
from services.registry.service.ports import BatchOrigin, RegistryUnitOfWork
from services.registry.service.results import ImportBlockEventResult

_RETIREMENT_PURPOSES: tuple[tuple[tuple[str, ...], RetirementPurpose], ...] = (
    (("complian", "arb ", "ets"), RetirementPurpose.ETS_COMPLIANCE),
    (("voluntary", "environmental benefit", "offset", "neutral"), RetirementPurpose.VOLUNTARY_OFFSET),
)


def retirement_purpose(reason: str) -> RetirementPurpose:
    """The contract's purpose closest to an origin registry's free-text reason; OTHER when unclear."""
    folded = f"{reason.casefold()} "
    for needles, purpose in _RETIREMENT_PURPOSES:
        if any(needle in folded for needle in needles):
            return purpose
    return RetirementPurpose.OTHER


def cancellation_purpose(reason: str) -> CancellationPurpose:
    return CancellationPurpose.CORSIA if "corsia" in reason.casefold() else CancellationPurpose.OTHER


def _find_origin(uow: RegistryUnitOfWork, cmd: ImportBlockEvent, units: OriginUnits | None) -> BatchOrigin:
    if cmd.batch_id:
        origin = uow.imports.origin_of_batch(cmd.batch_id)
        if origin is None or origin.origin_registry != cmd.origin_registry:
            raise not_found(
                ORIGIN_BATCH_NOT_IMPORTED,
                f"batch {cmd.batch_id} is not a batch imported from {cmd.origin_registry}",
            )
        inside = (
            units is None
            or origin.numbering_scope is None
            or (
                origin.numbering_scope == units.numbering_scope
                and origin.origin_unit_start is not None
                and origin.origin_unit_end is not None
                and origin.origin_unit_start <= units.unit_start
                and units.unit_end <= origin.origin_unit_end
            )
        )
        if not inside:
            raise invalid(
                "ORIGIN_RANGE_OUTSIDE_BATCH",
                f"units {units_text(units) if units else ''} are not units of batch {cmd.batch_id} "
                f"({origin.origin_serial})",
            )
        return origin
    if units is None:
        raise invalid("BATCH_OR_RANGE_REQUIRED", "name the imported batch or the origin units used")
    found = uow.imports.origin_holding(cmd.origin_registry, units)
    if found is None:
        raise not_found(
            ORIGIN_BATCH_NOT_IMPORTED,
            f"no batch imported from {cmd.origin_registry} holds units {units_text(units)}; import its issuance first",
        )
    return found


def handle(cmd: ImportBlockEvent, uow: RegistryUnitOfWork) -> ImportBlockEventResult:
    actor = cmd.actor
    require_role(actor, "REGISTRY_ADMIN", "PROGRAM_ADMIN")
    key = require_id(cmd.import_key, "idempotency_key")
    registry = origin_registry(cmd.origin_registry)
    if cmd.kind not in ("RETIRED", "CANCELLED"):
        raise invalid("IMPORTED_EVENT_KIND_INVALID", "kind must be RETIRED or CANCELLED")
    retired = cmd.kind == "RETIRED"
    quantity = ledger.require_positive_quantity(cmd.quantity_t)
    units = check_origin_units(cmd.origin_units, quantity)
    if len(cmd.beneficiary) > 500 or len(cmd.reason) > 500:
        raise invalid("TEXT_TOO_LONG", "beneficiary and reason are at most 500 characters")
    event_hash = uow.imports.use_request_hash(cmd)

    stored = uow.imports.imported_use(key)
    if stored is not None:
        stored_hash, first = stored
        if stored_hash != event_hash:
            raise conflict(IMPORT_KEY_REUSED, f"import record {key} was already imported with other arguments")
        return first
    origin = _find_origin(uow, cmd, units)
    if units is not None:
        uow.imports.serialize_scope(registry, units.numbering_scope)
        clash = uow.imports.use_clash(registry, units)
        if clash is not None:
            raise conflict(
                DOUBLE_REGISTRATION,
                f"units {units_text(units)} of {registry} overlap units {clash.origin_unit_start}-"
                f"{clash.origin_unit_end} already retired/cancelled by {clash.holder_id} "
                f"({clash.origin_serial})",
                operation_id=clash.holder_id,
            )
    batch_id = origin.batch_id
    account_id = import_account_id(registry)
    used = take_units(
        uow,
        account_id=account_id,
        batch_id=batch_id,
        quantity=quantity,
        sink_kind=AccountKind.RETIREMENT if retired else AccountKind.CANCELLATION,
        operation=ledger.retire if retired else ledger.cancel,
        # REGISTRY_ADMIN records what the origin registry already did with the units it holds.
        authorize=lambda _account: None,
    )
    operation_id = "IMP" + hashlib.sha256(key.encode()).hexdigest()[:29].upper()
    ranges = used.serial_ranges
    # Records and certificates name a beneficiary; an export that states none says so in it.
    beneficiary = cmd.beneficiary.strip() or f"not stated in the {registry_name(registry)} export"
    reason = cmd.reason.strip()
    event_date = cmd.event_date
    entry = uow.journal.append(
        actor.name,
        "ImportRetire" if retired else "ImportCancel",
        {
            "operation_id": operation_id,
            "batch_id": batch_id,
            "account_id": account_id,
            "quantity": quantity,
            "serial_ranges": list(ranges),
            "origin_registry": registry,
            "origin_serial": units.origin_serial if units else None,
            "beneficiary": beneficiary,
            "reason": reason,
            "event_date": event_date.isoformat() if event_date else None,
        },
    )
    blocks = blocks_of(used.batch, used.result.affected)
    common: dict[str, object] = {
        "id": operation_id,
        "batch_id": batch_id,
        "account_id": account_id,
        "organization_id": used.source.organization_id,
        "sink_account_id": used.sink.id,
        "quantity": quantity,
        "blocks": used.result.affected,
        "journal_sequence": entry.sequence,
        "occurred_at": entry.occurred_at,
        "beneficiary": beneficiary,
    }
    caused = {"idempotency_key": key, "actor_user_id": actor.name, "actor_organization_id": actor.org}
    if retired:
        retirement = retirement_purpose(reason)
        year = event_date.year if event_date else used.batch.vintage_start.year
        certificate_kind = CertificateKind.RETIREMENT
        certificate = build_certificate(
            certificate_kind,
            used.batch,
            used.result.affected,
            account_id=account_id,
            beneficiary=beneficiary,
            purpose=retirement.value,
            journal_entry=entry,
            retirement_year=year,
        )
        certificate_id = certificate_id_for(certificate_kind, entry)
        description = (cmd.details or reason)[:2000]
        uow.records.add_permanent_use(
            certificate_kind.value,
            {
                **common,
                "certificate_id": certificate_id,
                "purpose": retirement.value,
                "retirement_year": year,
                "offset_emissions": None,
                "activity_description": description,
                "reporting_period_start": None,
                "reporting_period_end": None,
            },
        )
        uow.emit(
            CreditsRetired(
                retirement_id=operation_id,
                batch_id=batch_id,
                account_id=account_id,
                organization_id=used.source.organization_id,
                quantity_t=quantity,
                blocks=blocks,
                serial_ranges=ranges,
                purpose=retirement,
                beneficiary=beneficiary,
                retirement_year=year,
                offset_emissions_t=None,
                activity_description=description,
                reporting_period_start="",
                reporting_period_end="",
                retired_at=entry.occurred_at,
                counts_toward_japan_ndc=False,
                **caused,
            )
        )
    else:
        cancellation = cancellation_purpose(reason)
        certificate_kind = CertificateKind.CANCELLATION
        certificate = build_certificate(
            certificate_kind,
            used.batch,
            used.result.affected,
            account_id=account_id,
            beneficiary=beneficiary,
            purpose=cancellation.value,
            journal_entry=entry,
        )
        certificate_id = certificate_id_for(certificate_kind, entry)
        uow.records.add_permanent_use(
            certificate_kind.value, {**common, "certificate_id": certificate_id, "purpose": cancellation.value}
        )
        uow.emit(
            CreditsCancelled(
                cancellation_id=operation_id,
                batch_id=batch_id,
                account_id=account_id,
                organization_id=used.source.organization_id,
                quantity_t=quantity,
                blocks=blocks,
                serial_ranges=ranges,
                purpose=cancellation,
                beneficiary=beneficiary,
                cancelled_at=entry.occurred_at,
                **caused,
            )
        )
    uow.records.add_certificate(
        certificate_id, certificate_kind.value, operation_id, canonical_json(certificate), entry.sequence
    )
    result = ImportBlockEventResult(operation_id, batch_id, blocks, ranges)
    uow.imports.add_imported_use(
        {
            "operation_id": operation_id,
            "import_key": key,
            "kind": cmd.kind,
            "batch_id": batch_id,
            "origin_registry": registry,
            "numbering_scope": units.numbering_scope if units else None,
            "origin_unit_start": units.unit_start if units else None,
            "origin_unit_end": units.unit_end if units else None,
            "origin_serial": units.origin_serial if units else None,
            "quantity": quantity,
            "beneficiary": cmd.beneficiary.strip() or None,
            "reason": reason or None,
            "details": cmd.details or None,
            "event_date": event_date,
            "request_hash": event_hash,
        },
        result,
    )
    return result
