"""SQL access for the registry's handlers: rows <-> domain objects, row locks, block write-back,
the per-batch ledger check and the hash-chained journal.

Lock order (PostgreSQL, SELECT ... FOR UPDATE), the same in every handler so that two transactions
never wait for each other in a cycle: accounts (sorted by id), then batches (sorted by id), then the
journal head. SQLite serializes writers with BEGIN IMMEDIATE, so there the locks are no-ops.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from services.registry.adapters import tables as t
from services.registry.domain.blocks import OperationResult, UnitBlock, UnitStatus, check_invariants
from services.registry.domain.canonical import canonical_json
from services.registry.domain.journal import GENESIS_HASH, JournalEntry, append_entry, entry_from_dict
from services.registry.domain.models import (
    Account,
    AccountKind,
    AccountStatus,
    AuthorizationPurpose,
    Batch,
    CreditBasis,
    CreditCategory,
    CreditType,
    KycStatus,
    Organization,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes for what was stored as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# ----------------------------------------------------------------------------------------------
# Organizations and accounts.


def organization_from_row(row: Any) -> Organization:
    return Organization(
        id=row.id,
        name=row.name,
        country=row.country,
        accredited_verifier=bool(row.accredited_verifier),
        kyc_status=KycStatus(row.kyc_status),
    )


def account_from_row(row: Any) -> Account:
    return Account(
        id=row.id,
        organization_id=row.organization_id,
        kind=AccountKind(row.kind),
        status=AccountStatus(row.status),
        program_id=row.program_id,
    )


def get_organization_row(conn: Connection, organization_id: str) -> Any:
    return conn.execute(select(t.organizations).where(t.organizations.c.id == organization_id)).first()


def get_account_row(conn: Connection, account_id: str) -> Any:
    return conn.execute(select(t.accounts).where(t.accounts.c.id == account_id)).first()


def lock_accounts(conn: Connection, account_ids: Iterable[str]) -> dict[str, Account]:
    """Row-lock the accounts in id order; absent ids are simply missing from the result."""
    result: dict[str, Account] = {}
    for account_id in sorted(set(account_ids)):
        row = conn.execute(select(t.accounts).where(t.accounts.c.id == account_id).with_for_update()).first()
        if row is not None:
            result[account_id] = account_from_row(row)
    return result


def insert_ignore(conn: Connection, table: Table, values: dict[str, Any]) -> None:
    """INSERT that does nothing when the primary key exists (concurrent on-demand creation)."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    conn.execute(dialect.insert(table).values(**values).on_conflict_do_nothing())


REGISTRY_ORGANIZATION_ID = "REGISTRY"


def ensure_registry_organization(conn: Connection, now: datetime) -> str:
    """The registry's own organization, owner of the programs' buffer pools."""
    insert_ignore(
        conn,
        t.organizations,
        {
            "id": REGISTRY_ORGANIZATION_ID,
            "name": "Carbon registry (buffer pools)",
            "country": "JP",
            "accredited_verifier": False,
            "kyc_status": KycStatus.VERIFIED.value,
            "created_at": now,
        },
    )
    return REGISTRY_ORGANIZATION_ID


def sink_account_id(organization_id: str, kind: AccountKind) -> str:
    return f"{kind.value}-{organization_id}"[: t.ID]


def ensure_account(
    conn: Connection,
    account_id: str,
    organization_id: str,
    kind: AccountKind,
    now: datetime,
    program_id: str | None,
    *,
    lock: bool = True,
) -> Account:
    insert_ignore(
        conn,
        t.accounts,
        {
            "id": account_id,
            "organization_id": organization_id,
            "kind": kind.value,
            "status": AccountStatus.OPEN.value,
            "program_id": program_id,
            "opened_at": now,
        },
    )
    if lock:
        locked = lock_accounts(conn, [account_id]).get(account_id)
        if locked is not None:
            return locked
    row = get_account_row(conn, account_id)
    if row is None:  # pragma: no cover - the insert above guarantees the row
        raise RuntimeError(f"account {account_id} vanished")
    return account_from_row(row)


def account_ids_of(conn: Connection, organization_id: str) -> list[str]:
    rows = conn.execute(
        select(t.accounts.c.id)
        .where(t.accounts.c.organization_id == organization_id)
        .order_by(t.accounts.c.opened_at, t.accounts.c.id)
    )
    return [row.id for row in rows]


# ----------------------------------------------------------------------------------------------
# Batches and blocks.


def batch_from_row(row: Any) -> Batch:
    return Batch(
        id=row.id,
        issuance_id=row.issuance_id,
        program_id=row.program_id,
        program_code=row.program_code,
        host_country=row.host_country,
        project_id=row.serial_project,
        vintage_start=row.vintage_start,
        vintage_end=row.vintage_end,
        issued_quantity=int(row.issued_quantity),
        buffer_quantity=int(row.buffer_quantity),
        serial_start_unit=int(row.serial_start_unit),
        serial_end_unit=int(row.serial_end_unit),
        credit_type=CreditType(row.credit_type),
        basis=CreditBasis(row.basis),
        category=CreditCategory(row.category),
        proponent_organization_id=row.proponent_organization_id,
        corresponding_adjustment=bool(row.corresponding_adjustment),
        authorization_purpose=(
            AuthorizationPurpose(row.authorization_purpose) if row.authorization_purpose is not None else None
        ),
        authorization_id=row.authorization_id,
    )


def get_batch_row(conn: Connection, batch_id: str, *, for_update: bool = False) -> Any:
    query = select(t.batches).where(t.batches.c.id == batch_id)
    if for_update:
        query = query.with_for_update()
    return conn.execute(query).first()


def lock_batches(conn: Connection, batch_ids: Iterable[str]) -> dict[str, Any]:
    """Row-lock batches in id order; returns their rows."""
    result: dict[str, Any] = {}
    for batch_id in sorted(set(batch_ids)):
        row = get_batch_row(conn, batch_id, for_update=True)
        if row is not None:
            result[batch_id] = row
    return result


def block_from_row(row: Any) -> UnitBlock:
    return UnitBlock(
        batch_id=row.batch_id,
        start=int(row.start_unit),
        end=int(row.end_unit),
        account_id=row.account_id,
        status=UnitStatus(row.status),
        lock_id=row.lock_id,
    )


def load_blocks(conn: Connection, batch_id: str) -> list[UnitBlock]:
    rows = conn.execute(
        select(t.unit_blocks).where(t.unit_blocks.c.batch_id == batch_id).order_by(t.unit_blocks.c.start_unit)
    )
    return [block_from_row(row) for row in rows]


def batch_ids_with(conn: Connection, *, account_id: str | None = None, lock_id: str | None = None) -> list[str]:
    query = select(t.unit_blocks.c.batch_id).distinct()
    if account_id is not None:
        query = query.where(t.unit_blocks.c.account_id == account_id, t.unit_blocks.c.status == UnitStatus.HELD.value)
    if lock_id is not None:
        query = query.where(t.unit_blocks.c.lock_id == lock_id)
    return sorted(row.batch_id for row in conn.execute(query))


def write_result(conn: Connection, result: OperationResult) -> None:
    """Replace the removed blocks by the added ones (deletes first: an added block may reuse a start)."""
    for block in result.removed:
        deleted = conn.execute(
            delete(t.unit_blocks).where(
                t.unit_blocks.c.batch_id == block.batch_id,
                t.unit_blocks.c.start_unit == block.start,
                t.unit_blocks.c.end_unit == block.end,
                t.unit_blocks.c.account_id == block.account_id,
                t.unit_blocks.c.status == block.status.value,
            )
        )
        if deleted.rowcount != 1:
            # The blocks were read under the batch's row lock, so this means a writer bypassed it.
            raise RuntimeError(f"block {block.batch_id}:{block.start}..{block.end} changed underneath the ledger")
    if result.added:
        conn.execute(
            insert(t.unit_blocks),
            [
                {
                    "batch_id": block.batch_id,
                    "start_unit": block.start,
                    "end_unit": block.end,
                    "account_id": block.account_id,
                    "status": block.status.value,
                    "lock_id": block.lock_id,
                }
                for block in result.added
            ],
        )


def check_batch_ledger(conn: Connection, batch: Batch) -> None:
    """The invariant the schema cannot state: the batch's blocks, as now stored, partition its
    serial range exactly (disjoint, no gap, summing to issued). Raises and so rolls back otherwise."""
    check_invariants(batch, load_blocks(conn, batch.id))


def blocks_json(blocks: Sequence[UnitBlock]) -> str:
    return json.dumps([[b.start, b.end] for b in sorted(blocks)])


def blocks_from_json(text: str) -> list[tuple[int, int]]:
    return [(int(start), int(end)) for start, end in json.loads(text)]


def first_transferred_ranges(conn: Connection, batch_id: str) -> list[tuple[int, int]]:
    rows = conn.execute(select(t.itmo_first_transfers).where(t.itmo_first_transfers.c.batch_id == batch_id))
    return [(int(row.start_unit), int(row.end_unit)) for row in rows]


# ----------------------------------------------------------------------------------------------
# Journal.


def _entry_of(row: Any) -> JournalEntry:
    return entry_from_dict(json.loads(row.entry))


def append_journal(conn: Connection, actor: str, operation: str, payload: dict[str, Any]) -> JournalEntry:
    """Append to the hash chain. Locks the head row last (see the lock order above); the entry's
    time never precedes its predecessor's, so it is the operation's official time."""
    head = conn.execute(select(t.journal_head).where(t.journal_head.c.id == 1).with_for_update()).first()
    previous: JournalEntry | None = None
    if head is None:
        insert_ignore(conn, t.journal_head, {"id": 1, "sequence": 0, "hash": GENESIS_HASH})
        head = conn.execute(select(t.journal_head).where(t.journal_head.c.id == 1).with_for_update()).first()
    if head is not None and int(head.sequence) > 0:
        row = conn.execute(select(t.journal).where(t.journal.c.sequence == head.sequence)).first()
        previous = _entry_of(row)
    now = utcnow()
    if previous is not None and now < previous.occurred_at:
        now = previous.occurred_at
    entry = append_entry(previous, now, actor, operation, payload)
    conn.execute(
        insert(t.journal).values(
            sequence=entry.sequence,
            operation=entry.operation,
            prev_hash=entry.prev_hash,
            hash=entry.hash,
            entry=canonical_json(entry.to_dict()),
        )
    )
    conn.execute(
        update(t.journal_head).where(t.journal_head.c.id == 1).values(sequence=entry.sequence, hash=entry.hash)
    )
    return entry


def journal_entries(conn: Connection) -> list[JournalEntry]:
    return [_entry_of(row) for row in conn.execute(select(t.journal).order_by(t.journal.c.sequence))]


def journal_entry(conn: Connection, sequence: int) -> JournalEntry | None:
    row = conn.execute(select(t.journal).where(t.journal.c.sequence == sequence)).first()
    return _entry_of(row) if row is not None else None


def terminal_quantity_of_batch(conn: Connection, batch_id: str) -> int:
    quantity = conn.execute(
        select(func.coalesce(func.sum(t.unit_blocks.c.end_unit - t.unit_blocks.c.start_unit + 1), 0)).where(
            t.unit_blocks.c.batch_id == batch_id,
            t.unit_blocks.c.status.in_(
                [UnitStatus.RETIRED.value, UnitStatus.CANCELLED.value, UnitStatus.NDC_USED.value]
            ),
        )
    ).scalar()
    return int(quantity or 0)


def account_quantities(conn: Connection, account_id: str) -> tuple[int, int]:
    """(held, locked) tonnes of an account over all batches."""
    rows = conn.execute(
        select(
            t.unit_blocks.c.status,
            func.sum(t.unit_blocks.c.end_unit - t.unit_blocks.c.start_unit + 1).label("quantity"),
        )
        .where(t.unit_blocks.c.account_id == account_id)
        .group_by(t.unit_blocks.c.status)
    )
    by_status = {row.status: int(row.quantity) for row in rows}
    return by_status.get(UnitStatus.HELD.value, 0), by_status.get(UnitStatus.LOCKED.value, 0)


# ----------------------------------------------------------------------------------------------
# Safeguards: account status and failed authorizations.


def set_account_status(conn: Connection, account_id: str, status: AccountStatus) -> None:
    conn.execute(update(t.accounts).where(t.accounts.c.id == account_id).values(status=status.value))


def record_authorization_failure(
    conn: Connection,
    *,
    account_id: str,
    user_id: str,
    organization_id: str | None,
    operation: str,
    now: datetime,
    window_start: datetime,
) -> int:
    """Store one failure; return how many the account has had since window_start (this one included)."""
    conn.execute(
        insert(t.authorization_failures).values(
            id=uuid.uuid4().hex,
            account_id=account_id,
            user_id=user_id,
            organization_id=organization_id,
            operation=operation,
            occurred_at=now,
        )
    )
    count = conn.execute(
        select(func.count())
        .select_from(t.authorization_failures)
        .where(
            t.authorization_failures.c.account_id == account_id,
            t.authorization_failures.c.occurred_at >= window_start,
        )
    ).scalar()
    return int(count or 0)


def clear_authorization_failures(conn: Connection, account_id: str) -> None:
    conn.execute(delete(t.authorization_failures).where(t.authorization_failures.c.account_id == account_id))
