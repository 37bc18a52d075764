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

from sqlalchemy import Connection, String, Table, bindparam, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from services.registry.adapters import tables as t
from services.registry.domain.blocks import (
    LedgerSummary,
    OperationResult,
    UnitBlock,
    UnitStatus,
    check_invariants,
    check_stored_partition,
)
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


# Statements of the write path, built once (each execution then only binds its parameters).
_ACCOUNT = select(t.accounts).where(t.accounts.c.id == bindparam("id"))
# ORDER BY under FOR UPDATE: PostgreSQL locks the rows in the order it returns them, i.e. by id.
_LOCK_ACCOUNTS = (
    select(t.accounts)
    .where(t.accounts.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(t.accounts.c.id)
    .with_for_update()
)
_LOCK_ACCOUNT = _ACCOUNT.with_for_update()
_LOCK_TWO_ACCOUNTS = (
    select(t.accounts)
    .where(or_(t.accounts.c.id == bindparam("a"), t.accounts.c.id == bindparam("b")))
    .order_by(t.accounts.c.id)
    .with_for_update()
)


def get_account_row(conn: Connection, account_id: str) -> Any:
    return conn.execute(_ACCOUNT, {"id": account_id}).first()


def lock_accounts(conn: Connection, account_ids: Iterable[str]) -> dict[str, Account]:
    """Row-lock the accounts in id order, in one statement; absent ids are simply missing."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    if len(ids) == 1:  # the usual cases (one or two accounts) without re-rendering an expanding IN
        rows = conn.execute(_LOCK_ACCOUNT, {"id": ids[0]})
    elif len(ids) == 2:
        rows = conn.execute(_LOCK_TWO_ACCOUNTS, {"a": ids[0], "b": ids[1]})
    else:
        rows = conn.execute(_LOCK_ACCOUNTS, {"ids": ids})
    return {row.id: account_from_row(row) for row in rows}


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
    if not lock:
        # Usually there already: one read, and the insert only the first time.
        existing = get_account_row(conn, account_id)
        if existing is not None:
            return account_from_row(existing)
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


_SOURCE = t.accounts.alias("source")
_SINK = t.accounts.alias("sink")
# The source account row-locked and, in the same round trip, its organization's sink account read
# without a lock (FOR UPDATE OF the source only): units only ever arrive in a sink.
_LOCK_ACCOUNT_WITH_SINK = (
    select(
        _SOURCE,
        _SINK.c.id.label("sink_id"),
        _SINK.c.organization_id.label("sink_organization_id"),
        _SINK.c.kind.label("sink_kind"),
        _SINK.c.status.label("sink_status"),
        _SINK.c.program_id.label("sink_program_id"),
    )
    .select_from(
        _SOURCE.outerjoin(
            _SINK,
            _SINK.c.id == func.substr(bindparam("sink_prefix", type_=String) + _SOURCE.c.organization_id, 1, t.ID),
        )
    )
    .where(_SOURCE.c.id == bindparam("id"))
    .with_for_update(of=_SOURCE)
)


def lock_account_with_sink(
    conn: Connection, account_id: str, sink_kind: AccountKind
) -> tuple[Account | None, Account | None]:
    """(the locked account, its organization's `sink_kind` account if it exists yet); None when absent."""
    row = conn.execute(_LOCK_ACCOUNT_WITH_SINK, {"id": account_id, "sink_prefix": f"{sink_kind.value}-"}).first()
    if row is None:
        return None, None
    account = account_from_row(row)
    if row.sink_id is None or row.sink_id != sink_account_id(account.organization_id, sink_kind):
        return account, None
    sink = Account(
        id=row.sink_id,
        organization_id=row.sink_organization_id,
        kind=AccountKind(row.sink_kind),
        status=AccountStatus(row.sink_status),
        program_id=row.sink_program_id,
    )
    return account, sink


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


_BATCH = select(t.batches).where(t.batches.c.id == bindparam("id"))
_BATCH_FOR_UPDATE = _BATCH.with_for_update()


def get_batch_row(conn: Connection, batch_id: str, *, for_update: bool = False) -> Any:
    return conn.execute(_BATCH_FOR_UPDATE if for_update else _BATCH, {"id": batch_id}).first()


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


_BLOCKS = (
    select(t.unit_blocks).where(t.unit_blocks.c.batch_id == bindparam("batch_id")).order_by(t.unit_blocks.c.start_unit)
)
_LEDGER_SUMMARY = select(
    func.count(),
    func.coalesce(func.sum(t.unit_blocks.c.end_unit - t.unit_blocks.c.start_unit + 1), 0),
    func.coalesce(func.min(t.unit_blocks.c.start_unit), 0),
    func.coalesce(func.max(t.unit_blocks.c.end_unit), 0),
).where(t.unit_blocks.c.batch_id == bindparam("batch_id"))


def load_blocks(conn: Connection, batch_id: str) -> list[UnitBlock]:
    return [block_from_row(row) for row in conn.execute(_BLOCKS, {"batch_id": batch_id})]


def batch_ids_with(conn: Connection, *, account_id: str | None = None, lock_id: str | None = None) -> list[str]:
    query = select(t.unit_blocks.c.batch_id).distinct()
    if account_id is not None:
        query = query.where(t.unit_blocks.c.account_id == account_id, t.unit_blocks.c.status == UnitStatus.HELD.value)
    if lock_id is not None:
        query = query.where(t.unit_blocks.c.lock_id == lock_id)
    return sorted(row.batch_id for row in conn.execute(query))


_DELETE_BLOCKS = delete(t.unit_blocks).where(
    t.unit_blocks.c.batch_id == bindparam("batch_id"),
    t.unit_blocks.c.start_unit.in_(bindparam("starts", expanding=True)),
    tuple_(
        t.unit_blocks.c.start_unit, t.unit_blocks.c.end_unit, t.unit_blocks.c.account_id, t.unit_blocks.c.status
    ).in_(bindparam("exact", expanding=True)),
)


def _delete_blocks(conn: Connection, batch_id: str, blocks: Sequence[UnitBlock]) -> None:
    """One DELETE for the blocks of one batch, each matched exactly (range, holder, status). Their
    starts are distinct (a partition), so each matches at most one row: the row count proves all did."""
    deleted = conn.execute(
        _DELETE_BLOCKS,
        {
            "batch_id": batch_id,
            "starts": [block.start for block in blocks],
            "exact": [(block.start, block.end, block.account_id, block.status.value) for block in blocks],
        },
    )
    if deleted.rowcount != len(blocks):
        # The blocks were read under the batch's row lock, so this means a writer bypassed it.
        ranges = ", ".join(f"{block.start}..{block.end}" for block in blocks)
        raise RuntimeError(f"blocks {batch_id}:{ranges} changed underneath the ledger")


def write_result(conn: Connection, result: OperationResult) -> None:
    """Replace the removed blocks by the added ones (deletes first: an added block may reuse a start)."""
    by_batch: dict[str, list[UnitBlock]] = {}
    for block in result.removed:
        by_batch.setdefault(block.batch_id, []).append(block)
    for batch_id, removed in by_batch.items():
        _delete_blocks(conn, batch_id, removed)
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


def ledger_summary(conn: Connection, batch_id: str) -> LedgerSummary:
    count, total, first, last = conn.execute(_LEDGER_SUMMARY, {"batch_id": batch_id}).one()
    return LedgerSummary(int(count), int(total), int(first), int(last))


def check_batch_ledger(conn: Connection, batch: Batch, result: OperationResult | None = None) -> None:
    """The invariant the schema cannot state: the batch's blocks, as now stored, partition its
    serial range exactly (disjoint, no gap, summing to issued). Raises and so rolls back otherwise.

    With the `result` just written back (computed from ALL of the batch's blocks, read under its row
    lock), the partition is checked on `result.blocks` in memory and the stored rows are compared
    with it by one aggregate instead of being read back; without it, the stored blocks are reloaded."""
    if result is None:
        check_invariants(batch, load_blocks(conn, batch.id))
        return
    check_stored_partition(batch, result.blocks, ledger_summary(conn, batch.id))


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


# The head row (locked) and, in the same round trip, the stored entry it points at. Under READ
# COMMITTED, PostgreSQL may return a head row updated after the statement's snapshot (it waited
# for the lock): the subquery then cannot see that entry yet and yields NULL; append_journal then
# reads it with a fresh statement.
_JOURNAL_HEAD = (
    select(
        t.journal_head.c.sequence,
        t.journal_head.c.hash,
        select(t.journal.c.entry)
        .where(t.journal.c.sequence == t.journal_head.c.sequence)
        .scalar_subquery()
        .label("entry"),
    )
    .where(t.journal_head.c.id == 1)
    .with_for_update(of=t.journal_head)
)
_JOURNAL_ENTRY = select(t.journal.c.entry).where(t.journal.c.sequence == bindparam("sequence"))
_JOURNAL_INSERT = insert(t.journal)
_JOURNAL_HEAD_UPDATE = (
    update(t.journal_head).where(t.journal_head.c.id == 1).values(sequence=bindparam("s"), hash=bindparam("h"))
)
# PostgreSQL: the entry and the new head in one statement (a data-modifying CTE; SQLite has none).
_JOURNAL_APPEND_PG = _JOURNAL_HEAD_UPDATE.add_cte(
    insert(t.journal)
    .values(
        sequence=bindparam("s"),
        operation=bindparam("operation"),
        prev_hash=bindparam("prev_hash"),
        hash=bindparam("h"),
        entry=bindparam("entry"),
    )
    .cte("appended")
)


def _head_entry(conn: Connection, head: Any) -> JournalEntry:
    """The entry the locked head row points at (see _JOURNAL_HEAD)."""
    sequence = int(head.sequence)
    if head.entry is not None:
        entry = entry_from_dict(json.loads(head.entry))
        if entry.sequence == sequence:
            return entry
    return _entry_of(conn.execute(_JOURNAL_ENTRY, {"sequence": sequence}).one())


def append_journal(conn: Connection, actor: str, operation: str, payload: dict[str, Any]) -> JournalEntry:
    """Append to the hash chain. Locks the head row last (see the lock order above); the entry's
    time never precedes its predecessor's, so it is the operation's official time."""
    head = conn.execute(_JOURNAL_HEAD).first()
    previous: JournalEntry | None = None
    if head is None:
        insert_ignore(conn, t.journal_head, {"id": 1, "sequence": 0, "hash": GENESIS_HASH})
        head = conn.execute(_JOURNAL_HEAD).first()
    if head is not None and int(head.sequence) > 0:
        previous = _head_entry(conn, head)
    now = utcnow()
    if previous is not None and now < previous.occurred_at:
        now = previous.occurred_at
    entry = append_entry(previous, now, actor, operation, payload)
    row = {
        "s": entry.sequence,
        "operation": entry.operation,
        "prev_hash": entry.prev_hash,
        "h": entry.hash,
        "entry": canonical_json(entry.to_dict()),
    }
    if conn.dialect.name == "postgresql":
        conn.execute(_JOURNAL_APPEND_PG, row)
        return entry
    conn.execute(
        _JOURNAL_INSERT,
        {
            "sequence": row["s"],
            "operation": row["operation"],
            "prev_hash": row["prev_hash"],
            "hash": row["h"],
            "entry": row["entry"],
        },
    )
    conn.execute(_JOURNAL_HEAD_UPDATE, {"s": entry.sequence, "h": entry.hash})
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
