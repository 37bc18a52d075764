"""Database access: SQLAlchemy 2 engines for SQLite (dev default, WAL) and PostgreSQL (production),
and Alembic migrations per service.

Ledger truth lives here. SQLite transactions start with BEGIN IMMEDIATE so that two writers never
interleave a read-then-write (which would let a balance be spent twice); PostgreSQL transactions use
row locks taken by the repositories.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool


def normalize_url(url: str) -> str:
    """Accept plain `postgresql://` URLs (what operators paste) and use the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url if isinstance(engine_or_url, str) else str(engine_or_url.url)
    return url.startswith("sqlite")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    url = normalize_url(url)
    if is_sqlite(url):
        parsed = make_url(url)
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            # Pooled connections: closing the last connection of a WAL database checkpoints it, which
            # cost about a third of a transfer's time when every unit of work opened a new one.
            poolclass=QueuePool,
            pool_size=5,
            max_overflow=10,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Take the write lock up front: a read-check-write sequence cannot be interleaved.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextlib.contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One unit of work: everything inside commits together or not at all."""
    with engine.begin() as conn:
        yield conn


def run_migrations(database_url: str, script_location: str | Path, *, schema_tables: Any = None) -> None:
    """Upgrade the service's database to head with its own Alembic scripts."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", normalize_url(database_url).replace("%", "%%"))
    cfg.attributes["metadata"] = schema_tables
    command.upgrade(cfg, "head")
