"""ImportBatch and ImportBlockEvent: credits bridged in from an external registry (Verra, Gold
Standard, ACR, CAR, ART TREES).

An imported batch is minted to the HOLDING account of a platform organization standing for the
origin registry ("IMPORT-VERRA"), with its origin batch id and origin serial range kept beside it.
Retirements and cancellations made at the origin then take the same quantity out of that account,
and the retirement/cancellation record keeps the origin serial sub-range. Units nobody retired or
cancelled at the origin stay HELD there.

Double registration: an origin unit range may be claimed once per origin registry and numbering
scope, by one batch (issuance) and by one retirement/cancellation. A second claim of any overlapping
unit is refused with CONFLICT DOUBLE_REGISTRATION. The check and the insert run in one transaction
that first serializes every claim on the scope (PostgreSQL: a transaction-scoped advisory lock on
the scope; SQLite: every transaction already holds the database write lock), so two concurrent
imports of overlapping ranges cannot both pass.

Idempotency is keyed by the import record (its idempotency_key is derived from the origin record),
not by the caller: the same record imported again by anybody returns the first result and changes
nothing; the key with other arguments is CONFLICT IMPORT_KEY_REUSED.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from carbon.registry.v1 import events_pb2, registry_pb2, types_pb2
from google.protobuf import json_format
from google.protobuf.message import Message
from sqlalchemy import Connection, insert, select, text

from carbon_runtime.errors import conflict, invalid, not_found
from carbon_runtime.persistence import idempotency
from carbon_runtime.transport.auth import Principal, require_role
from services.registry.adapters import repository as repo
from services.registry.adapters import tables as t
from services.registry.domain import ledger
from services.registry.domain.canonical import canonical_json
from services.registry.domain.certificates import CertificateKind, build_certificate, certificate_id_for
from services.registry.domain.models import AccountKind, KycStatus
from services.registry.service.common import (
    RegistryDeps,
    actor,
    actor_org,
    blocks_to_proto,
    require_id,
    timestamp,
)
from services.registry.service.mint_batch import build_batch, mint_in_transaction
from services.registry.service.permanent_use import take_units

DOUBLE_REGISTRATION = "DOUBLE_REGISTRATION"
IMPORT_KEY_REUSED = "IMPORT_KEY_REUSED"
ORIGIN_BATCH_NOT_IMPORTED = "ORIGIN_BATCH_NOT_IMPORTED"

_REGISTRY_NAME = re.compile(r"[A-Z][A-Z_]{1,19}")
_NAMES = {
    "VERRA": "Verra",
    "GOLD_STANDARD": "Gold Standard",
    "ACR": "American Carbon Registry",
    "CAR": "Climate Action Reserve",
    "ART": "ART TREES",
}


def import_organization_id(origin_registry: str) -> str:
    return f"IMPORT-{origin_registry}"


def import_account_id(origin_registry: str) -> str:
    return f"IMPORT-{origin_registry}-HOLDING"


def _origin_registry(value: str) -> str:
    if not _REGISTRY_NAME.fullmatch(value):
        raise invalid("ORIGIN_REGISTRY_INVALID", "origin_registry must be a registry name such as VERRA or ACR")
    return value


@dataclass(frozen=True)
class OriginRange:
    scope: str
    start: int
    end: int
    serial_start: str
    serial_end: str
    origin_serial: str

    @property
    def quantity(self) -> int:
        return self.end - self.start + 1

    def text(self) -> str:
        return f"{self.scope} {self.start}-{self.end}"


def _origin_range(message: Message, present: bool, quantity: int) -> OriginRange | None:
    if not present:
        return None
    units: registry_pb2.OriginUnitRange = message  # type: ignore[assignment]
    scope = require_id(units.numbering_scope, "origin_units.numbering_scope")
    if len(scope) > 200 or len(units.origin_serial) > 300:
        raise invalid("ORIGIN_RANGE_INVALID", "numbering scope or origin serial too long")
    if not 1 <= units.unit_start <= units.unit_end:
        raise invalid("ORIGIN_RANGE_INVALID", "origin units must satisfy 1 <= unit_start <= unit_end")
    found = OriginRange(
        scope,
        int(units.unit_start),
        int(units.unit_end),
        units.serial_start,
        units.serial_end,
        units.origin_serial,
    )
    if found.quantity != quantity:
        raise invalid(
            "ORIGIN_RANGE_QUANTITY_MISMATCH",
            f"origin units {found.start}-{found.end} hold {found.quantity} t, the record states {quantity} t",
        )
    return found


def _lock_scope(conn: Connection, origin_registry: str, scope: str) -> None:
    """Serialize claims on one numbering scope until the transaction ends (see module docstring)."""
    if conn.dialect.name == "sqlite":
        return
    digest = hashlib.sha256(f"{origin_registry}|{scope}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _request_hash(operation: str, request: Message, *drop: str) -> str:
    arguments: dict[str, Any] = json_format.MessageToDict(request, preserving_proto_field_name=True)
    arguments.pop("idempotency_key", None)
    for name in drop:
        arguments.pop(name, None)
    return idempotency.request_hash(operation, arguments)


def _ensure_import_holder(conn: Connection, origin_registry: str) -> str:
    now = repo.utcnow()
    organization_id = import_organization_id(origin_registry)
    repo.insert_ignore(
        conn,
        t.organizations,
        {
            "id": organization_id,
            "name": f"{_NAMES.get(origin_registry, origin_registry)} (imported holdings)",
            "country": "JP",
            "accredited_verifier": False,
            "kyc_status": KycStatus.VERIFIED.value,
            "created_at": now,
        },
    )
    account_id = import_account_id(origin_registry)
    repo.ensure_account(conn, account_id, organization_id, AccountKind.HOLDING, now, None)
    return account_id


# ----------------------------------------------------------------------------------------------
# ImportBatch


def import_batch(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.ImportBatchRequest
) -> registry_pb2.ImportBatchResponse:
    require_role(principal, "PROGRAM_ADMIN", "SERVICE")
    key = require_id(request.idempotency_key, "idempotency_key")
    origin_registry = _origin_registry(request.origin_registry)
    require_id(request.origin_project_id, "origin_project_id")
    mint = registry_pb2.MintBatchRequest()
    mint.CopyFrom(request.mint)
    require_id(mint.issuance_id, "mint.issuance_id")
    if mint.issued_quantity_t <= 0:
        raise invalid("QUANTITY_NOT_POSITIVE_INTEGER", "issued_quantity_t must be positive")
    units = _origin_range(request.origin_units, request.HasField("origin_units"), int(mint.issued_quantity_t))
    # Imported units always belong to the origin registry's platform organization.
    mint.holder_account_id = import_account_id(origin_registry)
    mint.buffer_account_id = ""
    mint.idempotency_key = key
    mint.attributes.issuer_organization_id = import_organization_id(origin_registry)
    batch = build_batch(mint)
    import_hash = _request_hash("ImportBatch", request)

    with deps.uow() as uow:
        conn = uow.conn
        stored = conn.execute(
            select(t.batch_origins.c.batch_id, t.batches.c.request_hash, t.batches.c.mint_response)
            .join(t.batches, t.batches.c.id == t.batch_origins.c.batch_id)
            .where(t.batch_origins.c.import_key == key)
        ).first()
        if stored is not None:
            if stored.request_hash != import_hash:
                raise conflict(IMPORT_KEY_REUSED, f"import record {key} was already imported with other arguments")
            return registry_pb2.ImportBatchResponse(
                mint=registry_pb2.MintBatchResponse.FromString(bytes(stored.mint_response)),
                holder_account_id=mint.holder_account_id,
            )
        if units is not None:
            _lock_scope(conn, origin_registry, units.scope)
            o = t.batch_origins.c
            clash = conn.execute(
                select(o.batch_id, o.origin_serial, o.origin_unit_start, o.origin_unit_end)
                .where(
                    o.origin_registry == origin_registry,
                    o.numbering_scope == units.scope,
                    o.origin_unit_start <= units.end,
                    o.origin_unit_end >= units.start,
                )
                .limit(1)
            ).first()
            if clash is not None:
                raise conflict(
                    DOUBLE_REGISTRATION,
                    f"units {units.text()} of {origin_registry} overlap units {clash.origin_unit_start}-"
                    f"{clash.origin_unit_end} already registered as batch {clash.batch_id} ({clash.origin_serial})",
                    batch_id=str(clash.batch_id),
                )
        _ensure_import_holder(conn, origin_registry)
        response = mint_in_transaction(uow, principal, mint, batch, import_hash)
        conn.execute(
            insert(t.batch_origins).values(
                batch_id=batch.id,
                import_key=key,
                origin_registry=origin_registry,
                origin_batch_id=request.origin_batch_id or None,
                origin_project_id=request.origin_project_id,
                numbering_scope=units.scope if units else None,
                origin_unit_start=units.start if units else None,
                origin_unit_end=units.end if units else None,
                origin_serial_start=units.serial_start if units else None,
                origin_serial_end=units.serial_end if units else None,
                origin_serial=units.origin_serial if units else None,
            )
        )
        return registry_pb2.ImportBatchResponse(mint=response, holder_account_id=mint.holder_account_id)


# ----------------------------------------------------------------------------------------------
# ImportBlockEvent

_RETIREMENT_PURPOSES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("complian", "arb ", "ets"), "ETS_COMPLIANCE"),
    (("voluntary", "environmental benefit", "offset", "neutral"), "VOLUNTARY_OFFSET"),
)


def retirement_purpose(reason: str) -> str:
    """The contract's purpose closest to an origin registry's free-text reason; OTHER when unclear."""
    folded = f"{reason.casefold()} "
    for needles, purpose in _RETIREMENT_PURPOSES:
        if any(needle in folded for needle in needles):
            return purpose
    return "OTHER"


def cancellation_purpose(reason: str) -> str:
    return "CORSIA" if "corsia" in reason.casefold() else "OTHER"


def _event_date(text_value: str) -> date | None:
    if not text_value:
        return None
    try:
        return date.fromisoformat(text_value)
    except ValueError:
        raise invalid("DATE_MALFORMED", "event_date must be an ISO 8601 date YYYY-MM-DD") from None


def _find_batch(conn: Connection, request: registry_pb2.ImportBlockEventRequest, units: OriginRange | None) -> Any:
    o = t.batch_origins.c
    if request.batch_id:
        origin = conn.execute(select(t.batch_origins).where(o.batch_id == request.batch_id)).first()
        if origin is None or origin.origin_registry != request.origin_registry:
            raise not_found(
                ORIGIN_BATCH_NOT_IMPORTED,
                f"batch {request.batch_id} is not a batch imported from {request.origin_registry}",
            )
        inside = (
            units is None
            or origin.numbering_scope is None
            or (
                origin.numbering_scope == units.scope
                and origin.origin_unit_start <= units.start
                and units.end <= origin.origin_unit_end
            )
        )
        if not inside:
            raise invalid(
                "ORIGIN_RANGE_OUTSIDE_BATCH",
                f"units {units.text() if units else ''} are not units of batch {request.batch_id} "
                f"({origin.origin_serial})",
            )
        return origin
    if units is None:
        raise invalid("BATCH_OR_RANGE_REQUIRED", "name the imported batch or the origin units used")
    origin = conn.execute(
        select(t.batch_origins).where(
            o.origin_registry == request.origin_registry,
            o.numbering_scope == units.scope,
            o.origin_unit_start <= units.start,
            o.origin_unit_end >= units.end,
        )
    ).first()
    if origin is None:
        raise not_found(
            ORIGIN_BATCH_NOT_IMPORTED,
            f"no batch imported from {request.origin_registry} holds units {units.text()}; import its issuance first",
        )
    return origin


def import_block_event(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.ImportBlockEventRequest
) -> registry_pb2.ImportBlockEventResponse:
    require_role(principal, "REGISTRY_ADMIN", "PROGRAM_ADMIN")
    key = require_id(request.idempotency_key, "idempotency_key")
    origin_registry = _origin_registry(request.origin_registry)
    if request.kind == registry_pb2.IMPORTED_EVENT_KIND_RETIRED:
        kind = "RETIRED"
    elif request.kind == registry_pb2.IMPORTED_EVENT_KIND_CANCELLED:
        kind = "CANCELLED"
    else:
        raise invalid("IMPORTED_EVENT_KIND_INVALID", "kind must be RETIRED or CANCELLED")
    quantity = ledger.require_positive_quantity(int(request.quantity_t))
    units = _origin_range(request.origin_units, request.HasField("origin_units"), quantity)
    event_date = _event_date(request.event_date)
    if len(request.beneficiary) > 500 or len(request.reason) > 500:
        raise invalid("TEXT_TOO_LONG", "beneficiary and reason are at most 500 characters")
    event_hash = _request_hash("ImportBlockEvent", request)

    with deps.uow() as uow:
        conn = uow.conn
        u = t.imported_uses.c
        stored = conn.execute(select(u.request_hash, u.response).where(u.import_key == key)).first()
        if stored is not None:
            if stored.request_hash != event_hash:
                raise conflict(IMPORT_KEY_REUSED, f"import record {key} was already imported with other arguments")
            return registry_pb2.ImportBlockEventResponse.FromString(bytes(stored.response))
        origin = _find_batch(conn, request, units)
        if units is not None:
            _lock_scope(conn, origin_registry, units.scope)
            clash = conn.execute(
                select(u.operation_id, u.origin_serial, u.origin_unit_start, u.origin_unit_end)
                .where(
                    u.origin_registry == origin_registry,
                    u.numbering_scope == units.scope,
                    u.origin_unit_start <= units.end,
                    u.origin_unit_end >= units.start,
                )
                .limit(1)
            ).first()
            if clash is not None:
                raise conflict(
                    DOUBLE_REGISTRATION,
                    f"units {units.text()} of {origin_registry} overlap units {clash.origin_unit_start}-"
                    f"{clash.origin_unit_end} already retired/cancelled by {clash.operation_id} "
                    f"({clash.origin_serial})",
                    operation_id=str(clash.operation_id),
                )
        batch_id = str(origin.batch_id)
        account_id = import_account_id(origin_registry)
        used = take_units(
            uow,
            principal,
            account_id=account_id,
            batch_id=batch_id,
            quantity=quantity,
            sink_kind=AccountKind.RETIREMENT if kind == "RETIRED" else AccountKind.CANCELLATION,
            operation=ledger.retire if kind == "RETIRED" else ledger.cancel,
            # REGISTRY_ADMIN records what the origin registry already did with the units it holds.
            authorize=lambda _account: None,
        )
        operation_id = "IMP" + hashlib.sha256(key.encode()).hexdigest()[:29].upper()
        ranges = used.serial_ranges
        # Records and certificates name a beneficiary; an export that states none says so in it.
        beneficiary = (
            request.beneficiary.strip() or f"not stated in the {_NAMES.get(origin_registry, origin_registry)} export"
        )
        reason = request.reason.strip()
        entry = repo.append_journal(
            conn,
            actor(principal),
            "ImportRetire" if kind == "RETIRED" else "ImportCancel",
            {
                "operation_id": operation_id,
                "batch_id": batch_id,
                "account_id": account_id,
                "quantity": quantity,
                "serial_ranges": ranges,
                "origin_registry": origin_registry,
                "origin_serial": units.origin_serial if units else None,
                "beneficiary": beneficiary,
                "reason": reason,
                "event_date": event_date.isoformat() if event_date else None,
            },
        )
        blocks = blocks_to_proto(used.batch, used.result.affected)
        common: dict[str, Any] = {
            "batch_id": batch_id,
            "account_id": account_id,
            "organization_id": used.source.organization_id,
            "sink_account_id": used.sink.id,
            "quantity": quantity,
            "blocks": repo.blocks_json(used.result.affected),
            "journal_sequence": entry.sequence,
            "occurred_at": entry.occurred_at,
            "beneficiary": beneficiary,
        }
        if kind == "RETIRED":
            purpose = retirement_purpose(reason)
            year = event_date.year if event_date else used.batch.vintage_start.year
            certificate_kind = CertificateKind.RETIREMENT
            certificate = build_certificate(
                certificate_kind,
                used.batch,
                used.result.affected,
                account_id=account_id,
                beneficiary=beneficiary,
                purpose=purpose,
                journal_entry=entry,
                retirement_year=year,
            )
            certificate_id = certificate_id_for(certificate_kind, entry)
            conn.execute(
                insert(t.retirements).values(
                    id=operation_id,
                    certificate_id=certificate_id,
                    purpose=purpose,
                    retirement_year=year,
                    offset_emissions=None,
                    activity_description=(request.details or reason)[:2000],
                    reporting_period_start=None,
                    reporting_period_end=None,
                    **common,
                )
            )
            uow.add_event(
                "batch",
                batch_id,
                events_pb2.CreditsRetired(
                    retirement_id=operation_id,
                    batch_id=batch_id,
                    account_id=account_id,
                    organization_id=used.source.organization_id,
                    quantity_t=quantity,
                    blocks=blocks,
                    serial_ranges=ranges,
                    purpose=types_pb2.RetirementPurpose.Value(f"RETIREMENT_PURPOSE_{purpose}"),
                    beneficiary=beneficiary,
                    retirement_year=year,
                    activity_description=(request.details or reason)[:2000],
                    retired_at=timestamp(entry.occurred_at),
                    idempotency_key=key,
                    actor_user_id=actor(principal),
                    actor_organization_id=actor_org(principal),
                ),
            )
        else:
            purpose = cancellation_purpose(reason)
            certificate_kind = CertificateKind.CANCELLATION
            certificate = build_certificate(
                certificate_kind,
                used.batch,
                used.result.affected,
                account_id=account_id,
                beneficiary=beneficiary,
                purpose=purpose,
                journal_entry=entry,
            )
            certificate_id = certificate_id_for(certificate_kind, entry)
            conn.execute(
                insert(t.cancellations).values(
                    id=operation_id, certificate_id=certificate_id, purpose=purpose, **common
                )
            )
            uow.add_event(
                "batch",
                batch_id,
                events_pb2.CreditsCancelled(
                    cancellation_id=operation_id,
                    batch_id=batch_id,
                    account_id=account_id,
                    organization_id=used.source.organization_id,
                    quantity_t=quantity,
                    blocks=blocks,
                    serial_ranges=ranges,
                    purpose=types_pb2.CancellationPurpose.Value(f"CANCELLATION_PURPOSE_{purpose}"),
                    beneficiary=beneficiary,
                    cancelled_at=timestamp(entry.occurred_at),
                    idempotency_key=key,
                    actor_user_id=actor(principal),
                    actor_organization_id=actor_org(principal),
                ),
            )
        conn.execute(
            insert(t.certificates).values(
                id=certificate_id,
                kind=certificate_kind.value,
                operation_id=operation_id,
                body=canonical_json(certificate),
                journal_sequence=entry.sequence,
            )
        )
        response = registry_pb2.ImportBlockEventResponse(
            operation_id=operation_id, batch_id=batch_id, blocks=blocks, serial_ranges=ranges
        )
        conn.execute(
            insert(t.imported_uses).values(
                operation_id=operation_id,
                import_key=key,
                kind=kind,
                batch_id=batch_id,
                origin_registry=origin_registry,
                numbering_scope=units.scope if units else None,
                origin_unit_start=units.start if units else None,
                origin_unit_end=units.end if units else None,
                origin_serial=units.origin_serial if units else None,
                quantity=quantity,
                beneficiary=request.beneficiary.strip() or None,
                reason=reason or None,
                details=request.details or None,
                event_date=event_date,
                request_hash=event_hash,
                response=response.SerializeToString(),
            )
        )
        return response
