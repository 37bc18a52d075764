"""Reads: organizations, accounts and holdings (visible to members of the owning organization,
AUDITOR, REGISTRY_ADMIN and platform services), the public record of retirements, cancellations,
transfers and certificates, batch totals, and the journal's verification.

Queries never write (a held transfer whose hold has ended is completed by the background worker,
not by the read that notices it); they go straight to the database, not through the bus."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from carbon_runtime.errors import forbidden, invalid, not_found
from services.registry.adapters import repository as repo
from services.registry.adapters import tables as t
from services.registry.domain.actor import NOT_AUTHORIZED, Actor, require_account_reader, require_authenticated
from services.registry.domain.blocks import UnitBlock, UnitStatus
from services.registry.domain.certificates import CertificateKind, certificate_id_for
from services.registry.domain.events import Block, block_of
from services.registry.domain.journal import GENESIS_HASH, ChainVerification, JournalEntry, verify_chain
from services.registry.domain.models import AccountKind, AccountStatus, Batch
from services.registry.domain.safeguards import TransferStatus
from services.registry.domain.serials import format_serial_range, unit_serial
from services.registry.service.ports import TrustedEntry
from services.registry.service.results import AccountResult, OrganizationResult, TransferResult

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


@dataclass(frozen=True)
class HoldingsPage:
    blocks: list[Block]
    next_page_token: str


@dataclass(frozen=True)
class StatusTotals:
    batch_id: str
    minted_quantity_t: int
    by_status: list[tuple[UnitStatus, int]]
    buffer_quantity_t: int


@dataclass(frozen=True)
class CertificateVerification:
    certificate_id: str
    valid: bool
    journal_sequence: int | None
    journal_hash: str | None
    problem: str | None


def block_view(batch: Batch, start: int, end: int, status: str) -> BlockView:
    return BlockView(batch.id, unit_serial(batch, start), unit_serial(batch, end), end - start + 1, status)


def _batches(conn: Connection, batch_ids: set[str]) -> dict[str, Batch]:
    result: dict[str, Batch] = {}
    for batch_id in batch_ids:
        row = repo.get_batch_row(conn, batch_id)
        if row is not None:
            result[batch_id] = repo.batch_from_row(row)
    return result


#: How long a full recomputation of the journal's hash chain is trusted: in between, verifyJournal
#: checks only the entries appended since (incremental), so a flood of verifyJournal calls costs
#: almost nothing, and tampering with an old entry is still found within this time.
FULL_CHAIN_CHECK_TTL_S = 60.0


@dataclass
class _ChainCheck:
    """The verified prefix of the journal: intact through `sequence` (whose hash is `hash`)."""

    sequence: int = 0
    hash: str = GENESIS_HASH
    checked: int = 0
    full_at: float = float("-inf")
    broken: ChainVerification | None = None


class RegistryReadModel:
    def __init__(self, engine: Engine, *, full_chain_check_ttl_s: float = FULL_CHAIN_CHECK_TTL_S) -> None:
        self.engine = engine
        self.full_chain_check_ttl_s = full_chain_check_ttl_s
        self._chain = _ChainCheck()
        self._chain_lock = threading.Lock()

    # -- organizations and accounts ----------------------------------------------------------

    def organization_view(self, organization_id: str) -> OrganizationView | None:
        with self.engine.connect() as conn:
            row = repo.get_organization_row(conn, organization_id)
            if row is None:
                return None
            return OrganizationView(
                row.id, row.name, row.country, bool(row.accredited_verifier), repo.account_ids_of(conn, row.id)
            )

    def account_view(self, account_id: str) -> AccountView | None:
        """Unchecked: callers decide what of it the actor may see (see can_read)."""
        with self.engine.connect() as conn:
            row = repo.get_account_row(conn, account_id)
            if row is None:
                return None
            held, locked = repo.account_quantities(conn, account_id)
            return AccountView(row.id, row.organization_id, row.kind, row.status, row.program_id, held, locked)

    @staticmethod
    def can_read(actor: Actor, account: AccountView) -> bool:
        return actor.can_read_account(account.organization_id)

    def holdings(self, account_id: str, statuses: set[UnitStatus] | None = None) -> list[UnitBlock]:
        wanted = statuses or {UnitStatus.HELD, UnitStatus.LOCKED}
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.unit_blocks)
                .where(
                    t.unit_blocks.c.account_id == account_id,
                    t.unit_blocks.c.status.in_([s.value for s in wanted]),
                )
                .order_by(t.unit_blocks.c.batch_id, t.unit_blocks.c.start_unit)
            )
            return [repo.block_from_row(row) for row in rows]

    def holding_views(self, account_id: str) -> list[BlockView]:
        blocks = self.holdings(account_id)
        with self.engine.connect() as conn:
            batches = _batches(conn, {b.batch_id for b in blocks})
        return [block_view(batches[b.batch_id], b.start, b.end, b.status.value) for b in blocks]

    def organization(self, organization_id: str) -> OrganizationResult:
        """GetOrganization: public."""
        with self.engine.connect() as conn:
            row = repo.get_organization_row(conn, organization_id)
            if row is None:
                raise not_found("ORGANIZATION_NOT_FOUND", f"organization {organization_id} does not exist")
            return OrganizationResult(
                row.id,
                row.name,
                row.country,
                bool(row.accredited_verifier),
                tuple(repo.account_ids_of(conn, row.id)),
                repo.aware(row.created_at),
            )

    def account(self, actor: Actor, account_id: str) -> AccountResult:
        """GetAccount: members of the owner, AUDITOR, REGISTRY_ADMIN and services."""
        with self.engine.connect() as conn:
            row = repo.get_account_row(conn, account_id)
            if row is None:
                raise not_found("ACCOUNT_NOT_FOUND", f"account {account_id} does not exist")
            require_account_reader(actor, row.organization_id, row.id)
            held, locked = repo.account_quantities(conn, row.id)
            return AccountResult(
                row.id,
                row.organization_id,
                AccountKind(row.kind),
                AccountStatus(row.status),
                held,
                locked,
                repo.aware(row.opened_at),
            )

    def holdings_page(
        self, actor: Actor, account_id: str, statuses: set[UnitStatus] | None, page_size: int, page_token: str
    ) -> HoldingsPage:
        view = self.account_view(account_id)
        if view is None:
            raise not_found("ACCOUNT_NOT_FOUND", f"account {account_id} does not exist")
        require_account_reader(actor, view.organization_id, view.id)
        page_size = page_size or DEFAULT_PAGE_SIZE
        if page_size < 0:
            raise invalid("PAGE_SIZE_INVALID", "page_size must not be negative")
        try:
            offset = int(page_token or "0")
        except ValueError:
            raise invalid("PAGE_TOKEN_INVALID", "page_token must be a next_page_token returned earlier") from None
        blocks = self.holdings(view.id, statuses)
        page = blocks[offset : offset + page_size]
        with self.engine.connect() as conn:
            batches = _batches(conn, {b.batch_id for b in page})
        next_token = str(offset + page_size) if offset + page_size < len(blocks) else ""
        return HoldingsPage([block_of(batches[b.batch_id], b) for b in page], next_token)

    # -- transfers ---------------------------------------------------------------------------

    def transfer(self, transfer_id: str) -> TransferResult | None:
        """Any transfer by id as it stands: completed, held, pending or cancelled."""
        with self.engine.connect() as conn:
            held = conn.execute(select(t.held_transfers).where(t.held_transfers.c.id == transfer_id)).first()
            done = conn.execute(select(t.transfers).where(t.transfers.c.id == transfer_id)).first()
            row = done if done is not None else held
            if row is None:
                return None
            batch = repo.batch_from_row(repo.get_batch_row(conn, row.batch_id))
            if done is not None:
                units = [
                    UnitBlock(batch.id, start, end, row.to_account_id, UnitStatus.HELD)
                    for start, end in repo.blocks_from_json(done.blocks)
                ]
            else:
                lock_id = row.lock_id  # a held transfer's units are those still locked for it
                units = [block for block in repo.load_blocks(conn, batch.id) if block.lock_id == lock_id]
        status = TransferStatus(held.status) if held is not None else TransferStatus.COMPLETED
        return TransferResult(
            transfer_id=row.id,
            batch_id=row.batch_id,
            from_account_id=row.from_account_id,
            to_account_id=row.to_account_id,
            quantity_t=int(row.quantity),
            status=status,
            blocks=tuple(block_of(batch, unit) for unit in units),
            completes_at=repo.aware(held.completes_at) if held is not None else None,
        )

    def any_held_transfer_due(self, now: datetime) -> bool:
        """Whether some HELD transfer's hold has ended (the worker's idle probe)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.held_transfers.c.id)
                .where(t.held_transfers.c.status == TransferStatus.HELD.value, t.held_transfers.c.completes_at <= now)
                .limit(1)
            ).first()
        return row is not None

    def readable_transfer(self, actor: Actor, transfer_id: str) -> TransferResult | None:
        """Held and pending transfers are visible to readers of either account, like their balances."""
        require_authenticated(actor)
        state = self.transfer(transfer_id)
        if state is None:
            return None
        with self.engine.connect() as conn:
            organizations = {
                row.organization_id
                for account_id in (state.from_account_id, state.to_account_id)
                if (row := repo.get_account_row(conn, account_id)) is not None
            }
        if not any(actor.can_read_account(organization) for organization in organizations):
            raise forbidden(NOT_AUTHORIZED, f"you may not read transfer {transfer_id}", transfer_id=transfer_id)
        return state

    def trusted_accounts(self, actor: Actor, account_id: str) -> list[TrustedEntry]:
        with self.engine.connect() as conn:
            row = repo.get_account_row(conn, account_id)
            if row is None:
                raise not_found("ACCOUNT_NOT_FOUND", f"account {account_id} does not exist", account_id=account_id)
            require_account_reader(actor, row.organization_id, row.id)
            rows = conn.execute(
                select(t.trusted_accounts)
                .where(t.trusted_accounts.c.account_id == row.id)
                .order_by(t.trusted_accounts.c.added_at, t.trusted_accounts.c.trusted_account_id)
            )
            return [repo.trusted_from_row(entry) for entry in rows]

    # -- public record -----------------------------------------------------------------------

    @staticmethod
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

    def retirement_view(self, retirement_id: str) -> UseView | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.retirements).where(t.retirements.c.id == retirement_id)).first()
            return self._use_view(conn, row, True) if row is not None else None

    def retirements_of_batch(self, batch_id: str) -> list[UseView]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.retirements)
                .where(t.retirements.c.batch_id == batch_id)
                .order_by(t.retirements.c.journal_sequence)
            ).all()
            return [self._use_view(conn, row, True) for row in rows]

    def cancellation_view(self, cancellation_id: str) -> UseView | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.cancellations).where(t.cancellations.c.id == cancellation_id)).first()
            return self._use_view(conn, row, False) if row is not None else None

    def certificate(self, certificate_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.certificates).where(t.certificates.c.id == certificate_id)).first()
        if row is None:
            return None
        body: dict[str, Any] = json.loads(row.body)
        return body

    def retired_quantity(self, batch_id: str) -> int:
        with self.engine.connect() as conn:
            return repo.terminal_quantity_of_batch(conn, batch_id)

    # -- totals and verification -------------------------------------------------------------

    def batch_totals(self, batch_ids: list[str]) -> list[StatusTotals]:
        """Units of batches counted by status, for reconciliation against issuance's issued totals."""
        units = t.unit_blocks.c.end_unit - t.unit_blocks.c.start_unit + 1
        with self.engine.connect() as conn:
            batch_query = select(t.batches.c.id, t.batches.c.issued_quantity).order_by(t.batches.c.id)
            if batch_ids:
                batch_query = batch_query.where(t.batches.c.id.in_(batch_ids))
            minted = {row.id: int(row.issued_quantity) for row in conn.execute(batch_query)}
            by_status: dict[str, dict[str, int]] = {bid: {} for bid in minted}
            in_buffer: dict[str, int] = dict.fromkeys(minted, 0)
            rows = conn.execute(
                select(t.unit_blocks.c.batch_id, t.unit_blocks.c.status, t.accounts.c.kind, func.sum(units).label("q"))
                .join(t.accounts, t.accounts.c.id == t.unit_blocks.c.account_id)
                .where(t.unit_blocks.c.batch_id.in_(list(minted)))
                .group_by(t.unit_blocks.c.batch_id, t.unit_blocks.c.status, t.accounts.c.kind)
            )
            for row in rows:
                statuses = by_status[row.batch_id]
                statuses[row.status] = statuses.get(row.status, 0) + int(row.q)
                if row.kind == "BUFFER":
                    in_buffer[row.batch_id] += int(row.q)
        return [
            StatusTotals(
                batch_id=bid,
                minted_quantity_t=minted[bid],
                by_status=[
                    (status, by_status[bid][status.value]) for status in UnitStatus if by_status[bid].get(status.value)
                ],
                buffer_quantity_t=in_buffer[bid],
            )
            for bid in sorted(minted)
        ]

    def reconcile(self) -> list[str]:
        """Ids of batches whose units by status do not add up to the minted quantity (should be none)."""
        return [
            b.batch_id
            for b in self.batch_totals([])
            if sum(quantity for _, quantity in b.by_status) != b.minted_quantity_t
        ]

    def verify_journal(self, *, full: bool = False) -> ChainVerification:
        """The hash chain's state: a full recomputation when `full` (staff) or when the last one is
        older than the TTL, else only the entries appended since the verified prefix. One at a time:
        concurrent callers wait for the running check instead of starting their own."""
        with self._chain_lock:
            now = time.monotonic()
            if full or now - self._chain.full_at > self.full_chain_check_ttl_s:
                with self.engine.connect() as conn:
                    entries = repo.journal_entries(conn)
                result = verify_chain(entries)
                self._chain = _ChainCheck(full_at=now)
                self._record(entries, result)
                return result
            if self._chain.broken is not None:
                return self._chain.broken
            with self.engine.connect() as conn:
                new = repo.journal_entries_after(conn, self._chain.sequence)
            result = verify_chain(new, expected_prev_hash=self._chain.hash)
            self._record(new, result)
            if not result.ok:
                return ChainVerification(False, self._chain.checked, result.first_broken_sequence, result.problem)
            return ChainVerification(True, self._chain.checked)

    def _record(self, entries: list[JournalEntry], result: ChainVerification) -> None:
        if not result.ok:
            self._chain.broken = result
            return
        if entries:
            self._chain.sequence = entries[-1].sequence
            self._chain.hash = entries[-1].hash
        self._chain.checked += len(entries)

    def verify_certificate(self, certificate_id: str) -> CertificateVerification:
        """Valid when the certificate exists, the journal chain up to it is intact, and the entry it
        quotes still has the hash the certificate id was derived from."""
        body = self.certificate(certificate_id)
        if body is None:
            return CertificateVerification(certificate_id, False, None, None, "no such certificate")
        sequence = int(body["journal_sequence"])
        # The chain up to the certificate's entry, checked incrementally (verify_journal): a
        # certificate check no longer recomputes the whole journal on every call.
        chain = self.verify_journal()
        if not chain.ok and (chain.first_broken_sequence is None or chain.first_broken_sequence <= sequence):
            return CertificateVerification(certificate_id, False, sequence, body["journal_hash"], chain.problem)
        with self.engine.connect() as conn:
            entry = repo.journal_entry(conn, sequence)
        if entry is None or entry.sequence != sequence or entry.hash != body["journal_hash"]:
            return CertificateVerification(
                certificate_id, False, sequence, body["journal_hash"], "journal entry differs"
            )
        if certificate_id_for(CertificateKind(body["kind"]), entry) != certificate_id:
            return CertificateVerification(certificate_id, False, sequence, entry.hash, "certificate id does not match")
        return CertificateVerification(certificate_id, True, sequence, entry.hash, None)
