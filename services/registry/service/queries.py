"""Reads: organizations, accounts and holdings (visible to members of the owning organization,
AUDITOR, REGISTRY_ADMIN and platform services), and the public record of retirements,
cancellations, transfers and certificates."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from carbon.registry.v1 import registry_pb2
from sqlalchemy import Connection, select

from carbon_runtime.errors import invalid, not_found
from carbon_runtime.transport.auth import Principal
from services.registry.adapters import repository as repo
from services.registry.adapters import tables as t
from services.registry.domain.blocks import UnitBlock, UnitStatus
from services.registry.domain.models import Batch
from services.registry.domain.serials import format_serial_range, unit_serial
from services.registry.service.common import (
    RegistryDeps,
    blocks_to_proto,
    can_read_account,
    require_account_reader,
    status_from_proto,
)
from services.registry.service.create_organization import organization_to_proto
from services.registry.service.open_account import account_to_proto

DEFAULT_PAGE_SIZE = 1000


@dataclass(frozen=True)
class OrganizationView:
    id: str
    name: str
    country: str
    accredited_verifier: bool
    account_ids: list[str]


@dataclass(frozen=True)
class AccountView:
    id: str
    organization_id: str
    kind: str
    status: str
    program_id: str | None
    balance: int
    locked: int


@dataclass(frozen=True)
class BlockView:
    batch_id: str
    serial_start: str
    serial_end: str
    quantity: int
    status: str


@dataclass(frozen=True)
class TransferView:
    id: str
    from_account_id: str
    to_account_id: str
    quantity: int
    blocks: list[BlockView]


@dataclass(frozen=True)
class UseView:
    """A retirement or a cancellation."""

    id: str
    account_id: str
    batch_id: str
    quantity: int
    serial_ranges: list[str]
    purpose: str
    beneficiary: str
    occurred_at: datetime
    certificate_id: str
    retirement_year: int | None = None
    offset_emissions: Decimal | None = None
    activity_description: str | None = None
    reporting_period_start: date | None = None
    reporting_period_end: date | None = None
    counts_toward_japan_ndc: bool = False


def _batches(conn: Connection, batch_ids: set[str]) -> dict[str, Batch]:
    result: dict[str, Batch] = {}
    for batch_id in batch_ids:
        row = repo.get_batch_row(conn, batch_id)
        if row is not None:
            result[batch_id] = repo.batch_from_row(row)
    return result


def block_view(batch: Batch, start: int, end: int, status: str) -> BlockView:
    return BlockView(batch.id, unit_serial(batch, start), unit_serial(batch, end), end - start + 1, status)


# ----------------------------------------------------------------------------------------------
# Organizations and accounts.


def organization_view(deps: RegistryDeps, organization_id: str) -> OrganizationView | None:
    with deps.engine.connect() as conn:
        row = repo.get_organization_row(conn, organization_id)
        if row is None:
            return None
        return OrganizationView(
            row.id, row.name, row.country, bool(row.accredited_verifier), repo.account_ids_of(conn, row.id)
        )


def account_view(deps: RegistryDeps, account_id: str) -> AccountView | None:
    """Unchecked: callers decide what of it the principal may see (see can_read)."""
    with deps.engine.connect() as conn:
        row = repo.get_account_row(conn, account_id)
        if row is None:
            return None
        held, locked = repo.account_quantities(conn, account_id)
        return AccountView(row.id, row.organization_id, row.kind, row.status, row.program_id, held, locked)


def can_read(principal: Principal, account: AccountView) -> bool:
    return can_read_account(principal, account.organization_id)


def holdings(deps: RegistryDeps, account_id: str, statuses: set[UnitStatus] | None = None) -> list[UnitBlock]:
    wanted = statuses or {UnitStatus.HELD, UnitStatus.LOCKED}
    with deps.engine.connect() as conn:
        rows = conn.execute(
            select(t.unit_blocks)
            .where(
                t.unit_blocks.c.account_id == account_id,
                t.unit_blocks.c.status.in_([s.value for s in wanted]),
            )
            .order_by(t.unit_blocks.c.batch_id, t.unit_blocks.c.start_unit)
        )
        return [repo.block_from_row(row) for row in rows]


def holding_views(deps: RegistryDeps, account_id: str) -> list[BlockView]:
    blocks = holdings(deps, account_id)
    with deps.engine.connect() as conn:
        batches = _batches(conn, {b.batch_id for b in blocks})
    return [block_view(batches[b.batch_id], b.start, b.end, b.status.value) for b in blocks]


def get_organization(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.GetOrganizationRequest
) -> registry_pb2.GetOrganizationResponse:
    with deps.engine.connect() as conn:
        row = repo.get_organization_row(conn, request.organization_id)
        if row is None:
            raise not_found("ORGANIZATION_NOT_FOUND", f"organization {request.organization_id} does not exist")
        return registry_pb2.GetOrganizationResponse(
            organization=organization_to_proto(row, repo.account_ids_of(conn, row.id))
        )


def get_account(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.GetAccountRequest
) -> registry_pb2.GetAccountResponse:
    with deps.engine.connect() as conn:
        row = repo.get_account_row(conn, request.account_id)
        if row is None:
            raise not_found("ACCOUNT_NOT_FOUND", f"account {request.account_id} does not exist")
        require_account_reader(principal, row.organization_id, row.id)
        held, locked = repo.account_quantities(conn, row.id)
        return registry_pb2.GetAccountResponse(account=account_to_proto(row, held, locked))


def list_holdings(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.ListHoldingsRequest
) -> registry_pb2.ListHoldingsResponse:
    view = account_view(deps, request.account_id)
    if view is None:
        raise not_found("ACCOUNT_NOT_FOUND", f"account {request.account_id} does not exist")
    require_account_reader(principal, view.organization_id, view.id)
    statuses = {status_from_proto(s) for s in request.statuses} or None
    page_size = request.page_size or DEFAULT_PAGE_SIZE
    if page_size < 0:
        raise invalid("PAGE_SIZE_INVALID", "page_size must not be negative")
    try:
        offset = int(request.page_token or "0")
    except ValueError:
        raise invalid("PAGE_TOKEN_INVALID", "page_token must be a next_page_token returned earlier") from None
    blocks = holdings(deps, view.id, statuses)
    page = blocks[offset : offset + page_size]
    with deps.engine.connect() as conn:
        batches = _batches(conn, {b.batch_id for b in page})
    next_token = str(offset + page_size) if offset + page_size < len(blocks) else ""
    return registry_pb2.ListHoldingsResponse(
        blocks=[p for b in page for p in blocks_to_proto(batches[b.batch_id], [b])], next_page_token=next_token
    )


# ----------------------------------------------------------------------------------------------
# Public record.


def transfer_view(deps: RegistryDeps, transfer_id: str) -> TransferView | None:
    with deps.engine.connect() as conn:
        row = conn.execute(select(t.transfers).where(t.transfers.c.id == transfer_id)).first()
        if row is None:
            return None
        batch = repo.batch_from_row(repo.get_batch_row(conn, row.batch_id))
    blocks = [block_view(batch, s, e, UnitStatus.HELD.value) for s, e in repo.blocks_from_json(row.blocks)]
    return TransferView(row.id, row.from_account_id, row.to_account_id, int(row.quantity), blocks)


def _use_view(conn: Connection, row: Any, retirement: bool) -> UseView:
    batch = repo.batch_from_row(repo.get_batch_row(conn, row.batch_id))
    ranges = [format_serial_range(batch, s, e) for s, e in repo.blocks_from_json(row.blocks)]
    common: dict[str, Any] = {
        "id": row.id,
        "account_id": row.account_id,
        "batch_id": row.batch_id,
        "quantity": int(row.quantity),
        "serial_ranges": ranges,
        "purpose": row.purpose,
        "beneficiary": row.beneficiary,
        "occurred_at": repo.aware(row.occurred_at),
        "certificate_id": row.certificate_id,
    }
    if retirement:
        common.update(
            retirement_year=int(row.retirement_year),
            offset_emissions=Decimal(row.offset_emissions) if row.offset_emissions is not None else None,
            activity_description=row.activity_description,
            reporting_period_start=row.reporting_period_start,
            reporting_period_end=row.reporting_period_end,
            counts_toward_japan_ndc=bool(row.counts_toward_japan_ndc),
        )
    return UseView(**common)


def retirement_view(deps: RegistryDeps, retirement_id: str) -> UseView | None:
    with deps.engine.connect() as conn:
        row = conn.execute(select(t.retirements).where(t.retirements.c.id == retirement_id)).first()
        return _use_view(conn, row, True) if row is not None else None


def retirements_of_batch(deps: RegistryDeps, batch_id: str) -> list[UseView]:
    with deps.engine.connect() as conn:
        rows = conn.execute(
            select(t.retirements).where(t.retirements.c.batch_id == batch_id).order_by(t.retirements.c.journal_sequence)
        ).all()
        return [_use_view(conn, row, True) for row in rows]


def cancellation_view(deps: RegistryDeps, cancellation_id: str) -> UseView | None:
    with deps.engine.connect() as conn:
        row = conn.execute(select(t.cancellations).where(t.cancellations.c.id == cancellation_id)).first()
        return _use_view(conn, row, False) if row is not None else None


def certificate(deps: RegistryDeps, certificate_id: str) -> dict[str, Any] | None:
    with deps.engine.connect() as conn:
        row = conn.execute(select(t.certificates).where(t.certificates.c.id == certificate_id)).first()
    if row is None:
        return None
    body: dict[str, Any] = json.loads(row.body)
    return body


def retired_quantity(deps: RegistryDeps, batch_id: str) -> int:
    with deps.engine.connect() as conn:
        return repo.terminal_quantity_of_batch(conn, batch_id)
