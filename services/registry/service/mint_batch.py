"""MintBatch (PROGRAM_ADMIN or SERVICE, i.e. issuance): create the units of an issued batch.

The registry mints at most once per issuance id: the same issuance minted again with the same
arguments returns the first response; with other arguments it is CONFLICT. The buffer share goes to
the program's BUFFER account, created on demand (owned by the registry's own organization), so a
reversal can always be compensated from the pool of the program that issued the credits.
"""

from __future__ import annotations

import json
import re
from datetime import date

from carbon.issuance.v1 import types_pb2 as issuance_types
from carbon.registry.v1 import events_pb2, registry_pb2
from google.protobuf import json_format
from sqlalchemy import insert, select

from carbon_runtime.errors import conflict, invalid, not_found
from carbon_runtime.persistence import idempotency
from carbon_runtime.transport.auth import Principal, require_role
from services.registry.adapters import repository as repo
from services.registry.adapters import tables as t
from services.registry.domain import ledger
from services.registry.domain.models import (
    Account,
    AccountKind,
    AuthorizationPurpose,
    Batch,
    CreditBasis,
    CreditCategory,
    CreditType,
)
from services.registry.domain.serials import unit_serial
from services.registry.service.common import (
    RegistryDeps,
    UnitOfWorkLike,
    actor,
    actor_org,
    blocks_to_proto,
    enum_suffix,
    require_id,
    run_idempotent,
)

_NOT_TOKEN = re.compile(r"[^A-Z0-9]")

_AUTHORIZATION = {
    issuance_types.AUTHORIZATION_UNSPECIFIED: None,
    issuance_types.AUTHORIZATION_NONE: None,
    issuance_types.AUTHORIZATION_NDC: AuthorizationPurpose.NDC,
    issuance_types.AUTHORIZATION_OTHER_INTERNATIONAL_MITIGATION: AuthorizationPurpose.OIMP,
    # Authorized for both: NDC use is the stronger claim the corresponding adjustment protects.
    issuance_types.AUTHORIZATION_NDC_AND_OTHER_INTERNATIONAL_MITIGATION: AuthorizationPurpose.NDC,
}


def _token(text: str) -> str:
    return _NOT_TOKEN.sub("", text.upper())


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise invalid("DATE_MALFORMED", f"{field} must be an ISO 8601 date YYYY-MM-DD", field=field) from None


def serial_tokens(request: registry_pb2.MintBatchRequest, vintage_start: date) -> tuple[str, str]:
    """(program code, project token) printed in the batch's serials.

    serial_prefix, when given, is PROGRAM-CC-PROJECT-YYYY-BATCH (docs/serials.md without the unit
    range) and must agree with the attributes; otherwise both tokens derive from the ids."""
    attributes = request.attributes
    if not request.serial_prefix:
        return _token(attributes.program_id)[:10], _token(attributes.project_id)[:32]
    parts = request.serial_prefix.split("-")
    if len(parts) != 5:
        raise invalid(
            "SERIAL_PREFIX_MALFORMED",
            "serial_prefix must be PROGRAM-CC-PROJECT-YYYY-BATCH, e.g. JCR-JP-P0000123-2023-B000045",
        )
    program, country, project, vintage, batch = parts
    if country != attributes.country or vintage != f"{vintage_start.year:04d}" or batch != request.batch_id:
        raise invalid(
            "SERIAL_PREFIX_MISMATCH",
            "serial_prefix must name the batch's host country, vintage start year and batch id",
        )
    return program, project


def build_batch(request: registry_pb2.MintBatchRequest) -> Batch:
    attributes = request.attributes
    vintage_start = _date(attributes.vintage_start, "vintage_start")
    program_code, serial_project = serial_tokens(request, vintage_start)
    purpose = _AUTHORIZATION.get(attributes.authorization)
    return Batch(
        id=request.batch_id,
        issuance_id=request.issuance_id,
        program_id=attributes.program_id,
        program_code=program_code,
        host_country=attributes.country,
        project_id=serial_project,
        vintage_start=vintage_start,
        vintage_end=_date(attributes.vintage_end, "vintage_end"),
        issued_quantity=int(request.issued_quantity_t),
        buffer_quantity=int(request.buffer_quantity_t),
        serial_start_unit=1,
        serial_end_unit=max(int(request.issued_quantity_t), 1),
        credit_type=CreditType(enum_suffix(issuance_types.CreditType, attributes.credit_type, "CREDIT_TYPE_")),
        basis=CreditBasis(enum_suffix(issuance_types.CreditBasis, attributes.basis, "CREDIT_BASIS_")),
        category=CreditCategory(enum_suffix(issuance_types.CreditCategory, attributes.category, "CREDIT_CATEGORY_")),
        proponent_organization_id=attributes.issuer_organization_id,
        corresponding_adjustment=attributes.corresponding_adjustment,
        authorization_purpose=purpose,
        # The issuance decision records the host country's authorization letter.
        authorization_id=request.issuance_id if purpose is not None else None,
    )


def _resolve_buffer(
    uow: UnitOfWorkLike, request: registry_pb2.MintBatchRequest, batch: Batch, accounts: dict[str, Account]
) -> Account | None:
    if batch.buffer_quantity == 0:
        return None
    if request.buffer_account_id:
        buffer = accounts.get(request.buffer_account_id)
        if buffer is None:
            raise not_found("ACCOUNT_NOT_FOUND", f"buffer account {request.buffer_account_id} does not exist")
        return buffer
    now = repo.utcnow()
    owner = repo.ensure_registry_organization(uow.conn, now)
    return repo.ensure_account(
        uow.conn, f"BUFFER-{batch.program_id}"[: t.ID], owner, AccountKind.BUFFER, now, batch.program_id
    )


def mint_in_transaction(
    uow: UnitOfWorkLike,
    principal: Principal,
    request: registry_pb2.MintBatchRequest,
    batch: Batch,
    mint_hash: str,
) -> registry_pb2.MintBatchResponse:
    """Mint `batch` inside the caller's transaction (MintBatch and ImportBatch share it)."""
    conn = uow.conn
    accounts = repo.lock_accounts(
        conn,
        [request.holder_account_id, request.buffer_account_id]
        if request.buffer_account_id
        else [request.holder_account_id],
    )
    existing = conn.execute(
        select(t.batches.c.request_hash, t.batches.c.mint_response).where(
            t.batches.c.issuance_id == request.issuance_id
        )
    ).first()
    if existing is not None:
        if existing.request_hash != mint_hash:
            raise conflict(
                "ISSUANCE_ALREADY_MINTED",
                f"issuance {request.issuance_id} was already minted with other arguments",
                issuance_id=request.issuance_id,
            )
        return registry_pb2.MintBatchResponse.FromString(bytes(existing.mint_response))
    if repo.get_batch_row(conn, batch.id) is not None:
        raise conflict(
            ledger.BATCH_ALREADY_MINTED,
            f"batch {batch.id} was already minted for another issuance",
            batch_id=batch.id,
        )
    holder = accounts.get(request.holder_account_id)
    if holder is None:
        raise not_found("ACCOUNT_NOT_FOUND", f"holder account {request.holder_account_id} does not exist")
    buffer = _resolve_buffer(uow, request, batch, accounts)
    result = ledger.mint(batch, holder, buffer)
    holder_blocks = [b for b in result.added if b.account_id == holder.id]
    buffer_blocks = [b for b in result.added if buffer is not None and b.account_id == buffer.id]
    response = registry_pb2.MintBatchResponse(
        batch_id=batch.id,
        serial_start=unit_serial(batch, batch.serial_start_unit),
        serial_end=unit_serial(batch, batch.serial_end_unit),
        holder_blocks=blocks_to_proto(batch, holder_blocks),
        buffer_blocks=blocks_to_proto(batch, buffer_blocks),
    )
    attributes = request.attributes
    entry = repo.append_journal(
        conn,
        actor(principal),
        "MintBatch",
        {
            "batch_id": batch.id,
            "issuance_id": batch.issuance_id,
            "issued_quantity": batch.issued_quantity,
            "buffer_quantity": batch.buffer_quantity,
            "holder_account_id": holder.id,
            "buffer_account_id": buffer.id if buffer is not None else None,
        },
    )
    conn.execute(
        insert(t.batches).values(
            id=batch.id,
            issuance_id=batch.issuance_id,
            project_id=attributes.project_id,
            serial_project=batch.project_id,
            program_id=batch.program_id,
            program_code=batch.program_code,
            methodology_id=attributes.methodology_id,
            host_country=batch.host_country,
            vintage_start=batch.vintage_start,
            vintage_end=batch.vintage_end,
            credit_type=batch.credit_type.value,
            basis=batch.basis.value,
            category=batch.category.value,
            corresponding_adjustment=batch.corresponding_adjustment,
            authorization=issuance_types.Authorization.Name(attributes.authorization),
            authorization_purpose=(
                batch.authorization_purpose.value if batch.authorization_purpose is not None else None
            ),
            authorization_id=batch.authorization_id,
            co_benefits=json.dumps(sorted(set(attributes.co_benefits))),
            proponent_organization_id=batch.proponent_organization_id,
            issued_quantity=batch.issued_quantity,
            buffer_quantity=batch.buffer_quantity,
            serial_start_unit=batch.serial_start_unit,
            serial_end_unit=batch.serial_end_unit,
            serial_start=response.serial_start,
            serial_end=response.serial_end,
            holder_account_id=holder.id,
            buffer_account_id=buffer.id if buffer is not None else None,
            mint_response=response.SerializeToString(),
            request_hash=mint_hash,
            minted_at=entry.occurred_at,
        )
    )
    repo.write_result(conn, result)
    repo.check_batch_ledger(conn, batch, result)
    uow.add_event(
        "batch",
        batch.id,
        events_pb2.BatchMinted(
            batch_id=batch.id,
            issuance_id=batch.issuance_id,
            attributes=attributes,
            issued_quantity_t=batch.issued_quantity,
            buffer_quantity_t=batch.buffer_quantity,
            serial_start=response.serial_start,
            serial_end=response.serial_end,
            holder_account_id=holder.id,
            buffer_account_id=buffer.id if buffer is not None else "",
            blocks=[*response.buffer_blocks, *response.holder_blocks],
            idempotency_key=request.idempotency_key,
            actor_user_id=actor(principal),
            actor_organization_id=actor_org(principal),
        ),
    )
    return response


def mint_batch(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.MintBatchRequest
) -> registry_pb2.MintBatchResponse:
    require_role(principal, "PROGRAM_ADMIN", "SERVICE")
    require_id(request.issuance_id, "issuance_id")
    require_id(request.holder_account_id, "holder_account_id")
    if request.issued_quantity_t <= 0:
        raise invalid("QUANTITY_NOT_POSITIVE_INTEGER", "issued_quantity_t must be positive")
    batch = build_batch(request)
    arguments = json_format.MessageToDict(request, preserving_proto_field_name=True)
    arguments.pop("idempotency_key", None)
    mint_hash = idempotency.request_hash("MintBatch", arguments)

    def effect(uow: UnitOfWorkLike) -> registry_pb2.MintBatchResponse:
        return mint_in_transaction(uow, principal, request, batch, mint_hash)

    return run_idempotent(deps, principal, "MintBatch", request, registry_pb2.MintBatchResponse, effect)
