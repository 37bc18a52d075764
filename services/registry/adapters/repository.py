"""The registry's SQL, and the only place it lives: rows <-> domain objects, row locks, block
write-back, the per-batch ledger check and the hash-chained journal, as functions on a connection
(shared with the read model) and as the repositories the handlers see through service/ports.py
(SqlAccounts, SqlBatches, SqlJournal, SqlRecords, SqlImports; built by adapters/unit_of_work.py).

Lock order (PostgreSQL, SELECT ... FOR UPDATE), the same in every handler so that two transactions
never wait for each other in a cycle: accounts (sorted by id), then batches (sorted by id), then the
journal head. SQLite serializes writers with BEGIN IMMEDIATE, so there the locks are no-ops.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from carbon.registry.v1 import registry_pb2
from sqlalchemy import Connection, String, Table, bindparam, delete, func, insert, or_, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from carbon_runtime.vocabulary import Authorization
from services.registry.adapters import tables as t
from services.registry.adapters.protos import (
    import_batch_request_hash,
    import_block_event_request_hash,
    import_block_event_response,
    import_block_event_result,
    mint_request_hash,
    mint_response,
    mint_result,
)
from services.registry.domain.blocks import (
    LedgerSummary,
    OperationResult,
    UnitBlock,
    UnitStatus,
    check_invariants,
    check_stored_partition,
)
from services.registry.domain.canonical import canonical_json
from services.registry.domain.commands import DeliveryCriteria, ImportBatch, ImportBlockEvent, MintBatch, OriginUnits
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
from services.registry.domain.safeguards import TransferStatus
from services.registry.service.messages import criteria as criteria_proto
from services.registry.service.ports import (
    BatchOrigin,
    Clash,
    HeldTransfer,
    LockRecord,
    OwnershipChange,
    TrustedEntry,
)
from services.registry.service.results import ImportBlockEventResult, MintResult


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


def journal_entries_after(conn: Connection, sequence: int) -> list[JournalEntry]:
    query = select(t.journal).where(t.journal.c.sequence > sequence).order_by(t.journal.c.sequence)
    return [_entry_of(row) for row in conn.execute(query)]


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
    """Store one failure; return how many the account has had since window_start from callers of
    `organization_id` (this one included): only members' refusals count toward its suspension."""
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
            t.authorization_failures.c.organization_id == organization_id,
            t.authorization_failures.c.occurred_at >= window_start,
        )
    ).scalar()
    return int(count or 0) if organization_id is not None else 0


def outgoing_since(conn: Connection, account_id: str, since: datetime) -> int:
    """What the rolling four-eyes sum counts (service/ports.py Accounts.outgoing_since)."""
    moved = conn.execute(
        select(func.coalesce(func.sum(t.transfers.c.quantity), 0)).where(
            t.transfers.c.from_account_id == account_id, t.transfers.c.occurred_at >= since
        )
    ).scalar()
    waiting = conn.execute(
        select(func.coalesce(func.sum(t.held_transfers.c.quantity), 0)).where(
            t.held_transfers.c.from_account_id == account_id,
            t.held_transfers.c.requested_at >= since,
            t.held_transfers.c.status.in_(["HELD", "PENDING_APPROVAL"]),
        )
    ).scalar()
    locked = conn.execute(
        select(func.coalesce(func.sum(t.locks.c.locked_quantity), 0)).where(
            t.locks.c.account_id == account_id, t.locks.c.created_at >= since
        )
    ).scalar()
    return int(moved or 0) + int(waiting or 0) + int(locked or 0)


def caller_authorization_failures(conn: Connection, user_id: str, window_start: datetime) -> int:
    count = conn.execute(
        select(func.count())
        .select_from(t.authorization_failures)
        .where(t.authorization_failures.c.user_id == user_id, t.authorization_failures.c.occurred_at >= window_start)
    ).scalar()
    return int(count or 0)


def clear_authorization_failures(conn: Connection, account_id: str) -> None:
    conn.execute(delete(t.authorization_failures).where(t.authorization_failures.c.account_id == account_id))


# ----------------------------------------------------------------------------------------------
# The repositories the handlers see (service/ports.py), on the unit of work's connection.


class SqlAccounts:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def lock(self, account_ids: Sequence[str]) -> dict[str, Account]:
        return lock_accounts(self.conn, account_ids)

    def lock_with_sink(self, account_id: str, sink_kind: AccountKind) -> tuple[Account | None, Account | None]:
        return lock_account_with_sink(self.conn, account_id, sink_kind)

    def ensure_sink(self, organization_id: str, kind: AccountKind) -> Account:
        return ensure_account(
            self.conn, sink_account_id(organization_id, kind), organization_id, kind, utcnow(), None, lock=False
        )

    def ensure_buffer_pool(self, program_id: str) -> Account:
        now = utcnow()
        owner = ensure_registry_organization(self.conn, now)
        return ensure_account(self.conn, f"BUFFER-{program_id}"[: t.ID], owner, AccountKind.BUFFER, now, program_id)

    def ensure_import_holder(self, origin_registry: str, organization_name: str) -> str:
        now = utcnow()
        organization_id = f"IMPORT-{origin_registry}"
        insert_ignore(
            self.conn,
            t.organizations,
            {
                "id": organization_id,
                "name": organization_name,
                "country": "JP",
                "accredited_verifier": False,
                "kyc_status": KycStatus.VERIFIED.value,
                "created_at": now,
            },
        )
        account_id = f"IMPORT-{origin_registry}-HOLDING"
        ensure_account(self.conn, account_id, organization_id, AccountKind.HOLDING, now, None)
        return account_id

    def organization_exists(self, organization_id: str) -> bool:
        return get_organization_row(self.conn, organization_id) is not None

    def organization_country(self, organization_id: str) -> str | None:
        row = get_organization_row(self.conn, organization_id)
        return None if row is None else str(row.country)

    def add_organization(self, organization: Organization, created_at: datetime) -> None:
        self.conn.execute(
            insert(t.organizations).values(
                id=organization.id,
                name=organization.name,
                country=organization.country,
                accredited_verifier=organization.accredited_verifier,
                kyc_status=organization.kyc_status.value,
                created_at=created_at,
            )
        )

    def add_account(self, account: Account, opened_at: datetime) -> None:
        self.conn.execute(
            insert(t.accounts).values(
                id=account.id,
                organization_id=account.organization_id,
                kind=account.kind.value,
                status=account.status.value,
                program_id=account.program_id,
                opened_at=opened_at,
            )
        )

    def set_status(self, account_id: str, status: AccountStatus) -> None:
        set_account_status(self.conn, account_id, status)

    def record_authorization_failure(
        self,
        *,
        account_id: str,
        user_id: str,
        organization_id: str | None,
        operation: str,
        now: datetime,
        window_start: datetime,
    ) -> int:
        return record_authorization_failure(
            self.conn,
            account_id=account_id,
            user_id=user_id,
            organization_id=organization_id,
            operation=operation,
            now=now,
            window_start=window_start,
        )

    def caller_authorization_failures(self, user_id: str, window_start: datetime) -> int:
        return caller_authorization_failures(self.conn, user_id, window_start)

    def outgoing_since(self, account_id: str, since: datetime) -> int:
        return outgoing_since(self.conn, account_id, since)

    def clear_authorization_failures(self, account_id: str) -> None:
        clear_authorization_failures(self.conn, account_id)


_MINTED = select(t.batches.c.request_hash, t.batches.c.mint_response).where(
    t.batches.c.issuance_id == bindparam("issuance_id")
)


def _authorization_name(value: Authorization | None) -> str:
    """As the issuance contract names it (AUTHORIZATION_NDC, AUTHORIZATION_UNSPECIFIED ...)."""
    return f"AUTHORIZATION_{value.value if value is not None else 'UNSPECIFIED'}"


class SqlBatches:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, batch_id: str) -> Batch | None:
        row = get_batch_row(self.conn, batch_id)
        return batch_from_row(row) if row is not None else None

    def lock(self, batch_id: str) -> Batch | None:
        row = get_batch_row(self.conn, batch_id, for_update=True)
        return batch_from_row(row) if row is not None else None

    def lock_many(self, batch_ids: Sequence[str]) -> dict[str, Batch]:
        return {bid: batch_from_row(row) for bid, row in lock_batches(self.conn, batch_ids).items()}

    def blocks(self, batch_id: str) -> list[UnitBlock]:
        return load_blocks(self.conn, batch_id)

    def batch_ids_with(self, *, account_id: str | None = None, lock_id: str | None = None) -> list[str]:
        return batch_ids_with(self.conn, account_id=account_id, lock_id=lock_id)

    def write(self, result: OperationResult) -> None:
        write_result(self.conn, result)

    def check(self, batch: Batch, result: OperationResult) -> None:
        check_batch_ledger(self.conn, batch, result)

    def mint_request_hash(self, cmd: MintBatch) -> str:
        return mint_request_hash(cmd)

    def minted(self, issuance_id: str) -> tuple[str, MintResult] | None:
        row = self.conn.execute(_MINTED, {"issuance_id": issuance_id}).first()
        if row is None:
            return None
        return str(row.request_hash), mint_result(registry_pb2.MintBatchResponse.FromString(bytes(row.mint_response)))

    def add(self, batch: Batch, details: Mapping[str, Any], result: MintResult, request_hash: str) -> None:
        self.conn.execute(
            insert(t.batches).values(
                id=batch.id,
                issuance_id=batch.issuance_id,
                project_id=details["project_id"],
                serial_project=batch.project_id,
                program_id=batch.program_id,
                program_code=batch.program_code,
                methodology_id=details["methodology_id"],
                host_country=batch.host_country,
                vintage_start=batch.vintage_start,
                vintage_end=batch.vintage_end,
                credit_type=batch.credit_type.value,
                basis=batch.basis.value,
                category=batch.category.value,
                corresponding_adjustment=batch.corresponding_adjustment,
                authorization=_authorization_name(details["authorization"]),
                authorization_purpose=(
                    batch.authorization_purpose.value if batch.authorization_purpose is not None else None
                ),
                authorization_id=batch.authorization_id,
                co_benefits=json.dumps(list(details["co_benefits"])),
                proponent_organization_id=batch.proponent_organization_id,
                issued_quantity=batch.issued_quantity,
                buffer_quantity=batch.buffer_quantity,
                serial_start_unit=batch.serial_start_unit,
                serial_end_unit=batch.serial_end_unit,
                serial_start=result.serial_start,
                serial_end=result.serial_end,
                holder_account_id=details["holder_account_id"],
                buffer_account_id=details["buffer_account_id"],
                mint_response=mint_response(result).SerializeToString(),
                request_hash=request_hash,
                minted_at=details["minted_at"],
            )
        )

    def first_transferred_ranges(self, batch_id: str) -> list[tuple[int, int]]:
        return first_transferred_ranges(self.conn, batch_id)


class SqlJournal:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append(self, actor: str, operation: str, payload: dict[str, Any]) -> JournalEntry:
        return append_journal(self.conn, actor, operation, payload)


_USE_TABLES = {"RETIREMENT": t.retirements, "CANCELLATION": t.cancellations, "NDC_USE": t.ndc_uses}
_INSERT_TRANSFER = insert(t.transfers)
_INSERT_FIRST_TRANSFERS = insert(t.itmo_first_transfers)
_TRUSTED_ENTRY = select(t.trusted_accounts).where(
    t.trusted_accounts.c.account_id == bindparam("account_id"),
    t.trusted_accounts.c.trusted_account_id == bindparam("trusted_account_id"),
)


def _held_from_row(row: Any) -> HeldTransfer:
    return HeldTransfer(
        id=row.id,
        batch_id=row.batch_id,
        from_account_id=row.from_account_id,
        from_organization_id=row.from_organization_id,
        to_account_id=row.to_account_id,
        quantity_t=int(row.quantity),
        lock_id=row.lock_id,
        status=TransferStatus(row.status),
        requested_by=row.requested_by,
        idempotency_key=row.idempotency_key,
        requested_at=aware(row.requested_at),
        completes_at=aware(row.completes_at),
    )


def trusted_from_row(row: Any) -> TrustedEntry:
    return TrustedEntry(
        account_id=row.account_id,
        trusted_account_id=row.trusted_account_id,
        added_at=aware(row.added_at),
        effective_at=aware(row.effective_at),
    )


def _stored(values: Mapping[str, object]) -> dict[str, object]:
    """Blocks travel as domain blocks; the record stores their ranges as JSON."""
    row = dict(values)
    blocks = row.get("blocks")
    if blocks is not None and not isinstance(blocks, str):
        if all(isinstance(b, UnitBlock) for b in blocks):  # type: ignore[attr-defined]
            row["blocks"] = blocks_json(blocks)  # type: ignore[arg-type]
        else:
            row["blocks"] = json.dumps(blocks)
    return row


class SqlRecords:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_ownership_change(self, change: OwnershipChange, first_transfers: Sequence[tuple[int, int]]) -> None:
        if first_transfers:
            self.conn.execute(
                _INSERT_FIRST_TRANSFERS,
                [
                    {
                        "batch_id": change.batch_id,
                        "start_unit": start,
                        "end_unit": end,
                        "transfer_id": change.transfer_id,
                    }
                    for start, end in first_transfers
                ],
            )
        self.conn.execute(
            _INSERT_TRANSFER,
            {
                "id": change.transfer_id,
                "kind": change.kind,
                "settlement_id": change.settlement_id,
                "trade_id": change.trade_id,
                "batch_id": change.batch_id,
                "from_account_id": change.from_account_id,
                "from_organization_id": change.from_organization_id,
                "to_account_id": change.to_account_id,
                "to_organization_id": change.to_organization_id,
                "quantity": change.quantity_t,
                "itmo_first_transfer": change.itmo_first_transfer_quantity_t > 0,
                "itmo_first_transfer_quantity": change.itmo_first_transfer_quantity_t,
                "issuer_onset": change.issuer_onset,
                "onset_fiscal_year": change.onset_fiscal_year,
                "blocks": blocks_json(change.blocks),
                "journal_sequence": change.journal_sequence,
                "occurred_at": change.occurred_at,
            },
        )

    def add_permanent_use(self, kind: str, values: Mapping[str, object]) -> None:
        self.conn.execute(insert(_USE_TABLES[kind]), _stored(values))

    def add_certificate(
        self, certificate_id: str, kind: str, operation_id: str, body: str, journal_sequence: int
    ) -> None:
        self.conn.execute(
            insert(t.certificates),
            {
                "id": certificate_id,
                "kind": kind,
                "operation_id": operation_id,
                "body": body,
                "journal_sequence": journal_sequence,
            },
        )

    def lock_record(self, lock_id: str) -> LockRecord | None:
        row = self.conn.execute(select(t.locks.c.id, t.locks.c.account_id).where(t.locks.c.id == lock_id)).first()
        return LockRecord(row.id, row.account_id) if row is not None else None

    def add_lock(
        self, lock_id: str, account: Account, quantity_t: int, criteria: DeliveryCriteria, created_at: datetime
    ) -> None:
        self.conn.execute(
            insert(t.locks).values(
                id=lock_id,
                account_id=account.id,
                organization_id=account.organization_id,
                locked_quantity=quantity_t,
                criteria=criteria_proto(criteria).SerializeToString(),
                created_at=created_at,
            )
        )

    def add_settlement(
        self,
        *,
        settlement_id: str,
        lock_id: str,
        trade_id: str,
        to_account_id: str,
        quantity_t: int,
        journal_sequence: int,
        occurred_at: datetime,
    ) -> None:
        self.conn.execute(
            insert(t.settlements).values(
                id=settlement_id,
                lock_id=lock_id,
                trade_id=trade_id,
                to_account_id=to_account_id,
                quantity=quantity_t,
                journal_sequence=journal_sequence,
                occurred_at=occurred_at,
            )
        )

    def add_buffer_cancellation(self, values: Mapping[str, object]) -> None:
        self.conn.execute(insert(t.buffer_cancellations).values(**_stored(values)))

    def held_transfer(self, transfer_id: str, *, for_update: bool = False) -> HeldTransfer | None:
        query = select(t.held_transfers).where(t.held_transfers.c.id == transfer_id)
        if for_update:
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        return _held_from_row(row) if row is not None else None

    def add_held_transfer(self, held: HeldTransfer) -> None:
        self.conn.execute(
            insert(t.held_transfers).values(
                id=held.id,
                batch_id=held.batch_id,
                from_account_id=held.from_account_id,
                from_organization_id=held.from_organization_id,
                to_account_id=held.to_account_id,
                quantity=held.quantity_t,
                lock_id=held.lock_id,
                status=held.status.value,
                needs_approval=held.status is TransferStatus.PENDING_APPROVAL,
                requested_by=held.requested_by,
                idempotency_key=held.idempotency_key,
                requested_at=held.requested_at,
                completes_at=held.completes_at,
            )
        )

    def resolve_held_transfer(
        self,
        transfer_id: str,
        status: TransferStatus,
        *,
        approved_by: str | None = None,
        cancelled_by: str | None = None,
        resolved_at: datetime | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": status.value}
        if approved_by is not None:
            values["approved_by"] = approved_by
        if cancelled_by is not None:
            values["cancelled_by"] = cancelled_by
        if resolved_at is not None:
            values["resolved_at"] = resolved_at
        self.conn.execute(update(t.held_transfers).where(t.held_transfers.c.id == transfer_id).values(**values))

    def due_held_transfer_ids(self, now: datetime, account_id: str | None, limit: int) -> list[str]:
        query = (
            select(t.held_transfers.c.id)
            .where(
                t.held_transfers.c.status == TransferStatus.HELD.value,
                t.held_transfers.c.completes_at <= now,
            )
            .order_by(t.held_transfers.c.completes_at)
            .limit(limit)
        )
        if account_id is not None:
            query = query.where(
                or_(t.held_transfers.c.from_account_id == account_id, t.held_transfers.c.to_account_id == account_id)
            )
        return [row.id for row in self.conn.execute(query)]

    def trusted_entry(self, account_id: str, trusted_account_id: str) -> TrustedEntry | None:
        row = self.conn.execute(
            _TRUSTED_ENTRY, {"account_id": account_id, "trusted_account_id": trusted_account_id}
        ).first()
        return trusted_from_row(row) if row is not None else None

    def add_trusted_entry(self, entry: TrustedEntry, added_by: str) -> None:
        self.conn.execute(
            insert(t.trusted_accounts).values(
                account_id=entry.account_id,
                trusted_account_id=entry.trusted_account_id,
                added_by=added_by,
                added_at=entry.added_at,
                effective_at=entry.effective_at,
            )
        )

    def remove_trusted_entry(self, account_id: str, trusted_account_id: str) -> bool:
        removed = self.conn.execute(
            delete(t.trusted_accounts).where(
                t.trusted_accounts.c.account_id == account_id,
                t.trusted_accounts.c.trusted_account_id == trusted_account_id,
            )
        )
        return bool(removed.rowcount == 1)


def _origin_from_row(row: Any) -> BatchOrigin:
    return BatchOrigin(
        batch_id=str(row.batch_id),
        origin_registry=row.origin_registry,
        numbering_scope=row.numbering_scope,
        origin_unit_start=int(row.origin_unit_start) if row.origin_unit_start is not None else None,
        origin_unit_end=int(row.origin_unit_end) if row.origin_unit_end is not None else None,
        origin_serial=row.origin_serial,
    )


class SqlImports:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def serialize_scope(self, origin_registry: str, scope: str) -> None:
        # PostgreSQL: a transaction-scoped advisory lock on the scope; SQLite: every transaction
        # already holds the database write lock.
        if self.conn.dialect.name == "sqlite":
            return
        digest = hashlib.sha256(f"{origin_registry}|{scope}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        self.conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def batch_request_hash(self, cmd: ImportBatch) -> str:
        return import_batch_request_hash(cmd)

    def use_request_hash(self, cmd: ImportBlockEvent) -> str:
        return import_block_event_request_hash(cmd)

    def imported_batch(self, import_key: str) -> tuple[str, MintResult] | None:
        stored = self.conn.execute(
            select(t.batch_origins.c.batch_id, t.batches.c.request_hash, t.batches.c.mint_response)
            .join(t.batches, t.batches.c.id == t.batch_origins.c.batch_id)
            .where(t.batch_origins.c.import_key == import_key)
        ).first()
        if stored is None:
            return None
        response = registry_pb2.MintBatchResponse.FromString(bytes(stored.mint_response))
        return str(stored.request_hash), mint_result(response)

    def batch_clash(self, origin_registry: str, units: OriginUnits) -> Clash | None:
        o = t.batch_origins.c
        clash = self.conn.execute(
            select(o.batch_id, o.origin_serial, o.origin_unit_start, o.origin_unit_end)
            .where(
                o.origin_registry == origin_registry,
                o.numbering_scope == units.numbering_scope,
                o.origin_unit_start <= units.unit_end,
                o.origin_unit_end >= units.unit_start,
            )
            .limit(1)
        ).first()
        if clash is None:
            return None
        return Clash(str(clash.batch_id), clash.origin_serial, int(clash.origin_unit_start), int(clash.origin_unit_end))

    def add_batch_origin(self, values: Mapping[str, object]) -> None:
        self.conn.execute(insert(t.batch_origins).values(**values))

    def imported_use(self, import_key: str) -> tuple[str, ImportBlockEventResult] | None:
        u = t.imported_uses.c
        stored = self.conn.execute(select(u.request_hash, u.response).where(u.import_key == import_key)).first()
        if stored is None:
            return None
        response = registry_pb2.ImportBlockEventResponse.FromString(bytes(stored.response))
        return str(stored.request_hash), import_block_event_result(response)

    def origin_of_batch(self, batch_id: str) -> BatchOrigin | None:
        row = self.conn.execute(select(t.batch_origins).where(t.batch_origins.c.batch_id == batch_id)).first()
        return _origin_from_row(row) if row is not None else None

    def origin_holding(self, origin_registry: str, units: OriginUnits) -> BatchOrigin | None:
        o = t.batch_origins.c
        row = self.conn.execute(
            select(t.batch_origins).where(
                o.origin_registry == origin_registry,
                o.numbering_scope == units.numbering_scope,
                o.origin_unit_start <= units.unit_start,
                o.origin_unit_end >= units.unit_end,
            )
        ).first()
        return _origin_from_row(row) if row is not None else None

    def use_clash(self, origin_registry: str, units: OriginUnits) -> Clash | None:
        u = t.imported_uses.c
        clash = self.conn.execute(
            select(u.operation_id, u.origin_serial, u.origin_unit_start, u.origin_unit_end)
            .where(
                u.origin_registry == origin_registry,
                u.numbering_scope == units.numbering_scope,
                u.origin_unit_start <= units.unit_end,
                u.origin_unit_end >= units.unit_start,
            )
            .limit(1)
        ).first()
        if clash is None:
            return None
        return Clash(
            str(clash.operation_id), clash.origin_serial, int(clash.origin_unit_start), int(clash.origin_unit_end)
        )

    def add_imported_use(self, values: Mapping[str, object], result: ImportBlockEventResult) -> None:
        self.conn.execute(
            insert(t.imported_uses).values(**values, response=import_block_event_response(result).SerializeToString())
        )
