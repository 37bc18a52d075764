"""MintBatch (PROGRAM_ADMIN or SERVICE, i.e. issuance): create the units of an issued batch.

The registry mints at most once per issuance id: the same issuance minted again with the same
arguments returns the first result; with other arguments it is CONFLICT. The buffer share goes to
the program's BUFFER account, created on demand (owned by the registry's own organization), so a
reversal can always be compensated from the pool of the program that issued the credits.
"""

from __future__ import annotations

import re
from typing import Any

from carbon_runtime.errors import conflict, invalid, not_found
from carbon_runtime.vocabulary import Authorization
from services.registry.domain import ledger
from services.registry.domain.actor import Actor, require_role
from services.registry.domain.commands import MintBatch
from services.registry.domain.events import BatchMinted, blocks_of
from services.registry.domain.models import Account, AuthorizationPurpose, Batch
from services.registry.domain.serials import unit_serial
from services.registry.service.common import caused_by, require_id
from services.registry.service.ports import RegistryUnitOfWork
from services.registry.service.results import MintResult

_NOT_TOKEN = re.compile(r"[^A-Z0-9]")

_AUTHORIZATION = {
    None: None,
    Authorization.NONE: None,
    Authorization.NDC: AuthorizationPurpose.NDC,
    Authorization.OTHER_INTERNATIONAL_MITIGATION: AuthorizationPurpose.OIMP,
    # Authorized for both: NDC use is the stronger claim the corresponding adjustment protects.
    Authorization.NDC_AND_OTHER_INTERNATIONAL_MITIGATION: AuthorizationPurpose.NDC,
}


def _token(text: str) -> str:
    return _NOT_TOKEN.sub("", text.upper())


def _required(value: Any, name: str) -> Any:
    if value is None:
        raise invalid(f"{name.upper().replace(' ', '_')}_INVALID", f"{name} must be set")
    return value


def serial_tokens(cmd: MintBatch) -> tuple[str, str]:
    """(program code, project token) printed in the batch's serials.

    serial_prefix, when given, is PROGRAM-CC-PROJECT-YYYY-BATCH (docs/serials.md without the unit
    range) and must agree with the attributes; otherwise both tokens derive from the ids."""
    attributes = cmd.attributes
    if not cmd.serial_prefix:
        return _token(attributes.program_id)[:10], _token(attributes.project_id)[:32]
    parts = cmd.serial_prefix.split("-")
    if len(parts) != 5:
        raise invalid(
            "SERIAL_PREFIX_MALFORMED",
            "serial_prefix must be PROGRAM-CC-PROJECT-YYYY-BATCH, e.g. JCR-JP-P0000123-2023-B000045",
        )
    program, country, project, vintage, batch = parts
    if country != attributes.country or vintage != f"{attributes.vintage_start.year:04d}" or batch != cmd.batch_id:
        raise invalid(
            "SERIAL_PREFIX_MISMATCH",
            "serial_prefix must name the batch's host country, vintage start year and batch id",
        )
    return program, project


def build_batch(cmd: MintBatch) -> Batch:
    attributes = cmd.attributes
    program_code, serial_project = serial_tokens(cmd)
    purpose = _AUTHORIZATION.get(attributes.authorization)
    return Batch(
        id=cmd.batch_id,
        issuance_id=cmd.issuance_id,
        program_id=attributes.program_id,
        program_code=program_code,
        host_country=attributes.country,
        project_id=serial_project,
        vintage_start=attributes.vintage_start,
        vintage_end=attributes.vintage_end,
        issued_quantity=cmd.issued_quantity_t,
        buffer_quantity=cmd.buffer_quantity_t,
        serial_start_unit=1,
        serial_end_unit=max(cmd.issued_quantity_t, 1),
        credit_type=_required(attributes.credit_type, "credit type"),
        basis=_required(attributes.basis, "credit basis"),
        category=_required(attributes.category, "credit category"),
        proponent_organization_id=attributes.issuer_organization_id,
        corresponding_adjustment=attributes.corresponding_adjustment,
        authorization_purpose=purpose,
        # The issuance decision records the host country's authorization letter.
        authorization_id=cmd.issuance_id if purpose is not None else None,
    )


def check_mint(cmd: MintBatch) -> Batch:
    require_id(cmd.issuance_id, "issuance_id")
    require_id(cmd.holder_account_id, "holder_account_id")
    if cmd.issued_quantity_t <= 0:
        raise invalid("QUANTITY_NOT_POSITIVE_INTEGER", "issued_quantity_t must be positive")
    return build_batch(cmd)


def _resolve_buffer(
    uow: RegistryUnitOfWork, cmd: MintBatch, batch: Batch, accounts: dict[str, Account]
) -> Account | None:
    if batch.buffer_quantity == 0:
        return None
    if cmd.buffer_account_id:
        buffer = accounts.get(cmd.buffer_account_id)
        if buffer is None:
            raise not_found("ACCOUNT_NOT_FOUND", f"buffer account {cmd.buffer_account_id} does not exist")
        return buffer
    return uow.accounts.ensure_buffer_pool(batch.program_id)


def mint_in_transaction(
    uow: RegistryUnitOfWork, actor: Actor, cmd: MintBatch, batch: Batch, mint_hash: str
) -> MintResult:
    """Mint `batch` inside the caller's transaction (MintBatch and ImportBatch share it)."""
    accounts = uow.accounts.lock(
        [cmd.holder_account_id, cmd.buffer_account_id] if cmd.buffer_account_id else [cmd.holder_account_id]
    )
    existing = uow.batches.minted(cmd.issuance_id)
    if existing is not None:
        stored_hash, first = existing
        if stored_hash != mint_hash:
            raise conflict(
                "ISSUANCE_ALREADY_MINTED",
                f"issuance {cmd.issuance_id} was already minted with other arguments",
                issuance_id=cmd.issuance_id,
            )
        return first
    if uow.batches.get(batch.id) is not None:
        raise conflict(
            ledger.BATCH_ALREADY_MINTED,
            f"batch {batch.id} was already minted for another issuance",
            batch_id=batch.id,
        )
    holder = accounts.get(cmd.holder_account_id)
    if holder is None:
        raise not_found("ACCOUNT_NOT_FOUND", f"holder account {cmd.holder_account_id} does not exist")
    buffer = _resolve_buffer(uow, cmd, batch, accounts)
    result = ledger.mint(batch, holder, buffer)
    holder_blocks = [b for b in result.added if b.account_id == holder.id]
    buffer_blocks = [b for b in result.added if buffer is not None and b.account_id == buffer.id]
    minted = MintResult(
        batch_id=batch.id,
        serial_start=unit_serial(batch, batch.serial_start_unit),
        serial_end=unit_serial(batch, batch.serial_end_unit),
        holder_blocks=blocks_of(batch, holder_blocks),
        buffer_blocks=blocks_of(batch, buffer_blocks),
    )
    attributes = cmd.attributes
    entry = uow.journal.append(
        actor.name,
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
    uow.batches.add(
        batch,
        {
            "project_id": attributes.project_id,
            "methodology_id": attributes.methodology_id,
            "authorization": attributes.authorization,
            "co_benefits": sorted(set(attributes.co_benefits)),
            "holder_account_id": holder.id,
            "buffer_account_id": buffer.id if buffer is not None else None,
            "minted_at": entry.occurred_at,
        },
        minted,
        mint_hash,
    )
    uow.batches.write(result)
    uow.batches.check(batch, result)
    uow.emit(
        BatchMinted(
            batch_id=batch.id,
            issuance_id=batch.issuance_id,
            attributes=attributes,
            issued_quantity_t=batch.issued_quantity,
            buffer_quantity_t=batch.buffer_quantity,
            serial_start=minted.serial_start,
            serial_end=minted.serial_end,
            holder_account_id=holder.id,
            buffer_account_id=buffer.id if buffer is not None else "",
            blocks=(*minted.buffer_blocks, *minted.holder_blocks),
            **caused_by(actor, cmd.idempotency_key),
        )
    )
    return minted


def handle(cmd: MintBatch, uow: RegistryUnitOfWork) -> MintResult:
    require_role(cmd.actor, "PROGRAM_ADMIN", "SERVICE")
    batch = check_mint(cmd)
    return mint_in_transaction(uow, cmd.actor, cmd, batch, uow.batches.mint_request_hash(cmd))
