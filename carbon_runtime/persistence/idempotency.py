"""Idempotency keys (shared/contract/README.md, "Idempotency").

A mutation repeated with the same key and the same arguments returns the first result and changes
nothing more; the same key with other arguments is CONFLICT. Keys are scoped to the calling
organization (or user, for platform staff) and stored in the same transaction as the effect, so a
crash can never leave an effect without its key or a key without its effect.
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Connection, DateTime, LargeBinary, MetaData, Select, String, Table, bindparam, select

from carbon_runtime.errors import conflict


def add_idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys",
        metadata,
        Column("scope", String(200), primary_key=True),
        Column("key", String(200), primary_key=True),
        Column("operation", String(100), nullable=False),
        Column("request_hash", String(64), nullable=False),
        Column("response", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )


def request_hash(operation: str, arguments: Any) -> str:
    canonical = json.dumps({"op": operation, "args": arguments}, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@functools.cache
def _lookup_statement(table: Table) -> Select[tuple[str, str, bytes]]:
    """Built once per table: every mutation runs it, so only the parameters change."""
    return select(table.c.operation, table.c.request_hash, table.c.response).where(
        table.c.scope == bindparam("scope"), table.c.key == bindparam("key")
    )


def lookup(conn: Connection, table: Table, scope: str, key: str, operation: str, req_hash: str) -> bytes | None:
    """The stored response for a replay, None for a new key; CONFLICT when reused with other arguments."""
    row = conn.execute(_lookup_statement(table), {"scope": scope, "key": key}).first()
    if row is None:
        return None
    if row.operation != operation or row.request_hash != req_hash:
        raise conflict(
            "TRANSACTION_ID_REUSED",
            f"idempotency key {key!r} was already used for a different request",
            key=key,
        )
    return bytes(row.response)


def find(conn: Connection, table: Table, scope: str, key: str) -> tuple[str, str, bytes] | None:
    """(operation, request hash, stored response) of a key already used in `scope`, else None."""
    row = conn.execute(_lookup_statement(table), {"scope": scope, "key": key}).first()
    if row is None:
        return None
    return str(row.operation), str(row.request_hash), bytes(row.response)


def store(conn: Connection, table: Table, scope: str, key: str, operation: str, req_hash: str, response: bytes) -> None:
    conn.execute(
        table.insert(),
        {
            "scope": scope,
            "key": key,
            "operation": operation,
            "request_hash": req_hash,
            "response": response,
            "created_at": datetime.now(UTC),
        },
    )
