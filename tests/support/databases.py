"""Test databases on PostgreSQL (127.0.0.1:5432, user postgres; CARBON_TEST_PG_URL overrides) and SQLite.

Two kinds:
- empty: `create_pg_database()` / a new SQLite file, for tests of the migrations themselves or of
  tables a test declares;
- at a service's migration head: `DatabaseTemplates.new_url(service, backend, directory)`. The first
  call for a (service, backend) in a session (an xdist worker is a session of its own) migrates a
  template with the service's own Alembic scripts (`carbon_runtime.persistence.migrations.upgrade`);
  every call then copies it: `CREATE DATABASE x TEMPLATE tmpl` on PostgreSQL, a file copy on SQLite.
  A copy costs a few tens of milliseconds where migrating costs a second or more.

The fixtures over these live in tests/conftest.py.
"""

from __future__ import annotations

import os
import queue
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PG_ADMIN_URL = os.environ.get("CARBON_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgresql")

MigratedDatabaseUrl = Callable[[str], str]
"""The `migrated_database_url` fixture: `(service) -> URL` of a new database at the service's head."""


def _pg_url(name: str) -> str:
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)  # names are generated here, never user input


def create_pg_database(*, template: str | None = None, prefix: str = "carbon_test") -> str:
    """Create a database (empty, or a copy of `template`) and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return _pg_url(name)


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_pg_databases(urls: list[str]) -> list[str]:
    """Drop several databases at once; return the failures.

    Every DROP DATABASE waits for a checkpoint, which writes out every dirty buffer of the server.
    Dropped side by side, the drops share one checkpoint: twelve took 0.1 s instead of 1.1 s one by one.
    """

    def drop(url: str) -> str | None:
        try:
            drop_pg_database(url)
        except Exception as exc:  # a leftover database harms no test; the caller reports it
            return f"{url}: {exc}"
        return None

    if not urls:
        return []
    with ThreadPoolExecutor(max_workers=min(len(urls), 8)) as pool:
        return [error for error in pool.map(drop, urls) if error is not None]


class BackgroundDropper:
    """Drops PostgreSQL databases in batches, side by side (see `drop_pg_databases`), on a thread of its own.

    One drop per test in the test's teardown cost from 0.1 s to several seconds (a checkpoint each, while
    other tests were writing); batched, a batch shares one checkpoint, and no test waits for it.
    `close()` drops what is left.
    """

    def __init__(self, batch: int = 16) -> None:
        self._batch = batch
        self._pending: list[str] = []
        self._queue: queue.Queue[list[str] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._errors: list[str] = []

    def drop(self, url: str) -> None:
        self._pending.append(url)
        if len(self._pending) >= self._batch:
            self._hand_over()

    def _hand_over(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="drop-test-databases", daemon=True)
            self._thread.start()
        self._queue.put(batch)

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            self._errors += drop_pg_databases(batch)

    def close(self) -> list[str]:
        """Drop every database handed over so far, wait for it, and return the failures."""
        self._hand_over()
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        return self._errors


class DatabaseTemplates:
    """One migrated template per (service, backend), made on first use; copies of it on every call."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._pg: dict[str, str] = {}  # service -> template database name
        self._sqlite: dict[str, Path] = {}  # service -> template file
        self._lock = threading.Lock()
        self._copies = 0

    def new_url(self, service: str, backend: str, directory: Path) -> str:
        """A new database at `service`'s migration head; SQLite files go into `directory`."""
        if backend == "postgresql":
            return create_pg_database(template=self._pg_template(service))
        if backend == "sqlite":
            with self._lock:
                self._copies += 1
                n = self._copies
            target = directory / f"{service}-{n}.db"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self._sqlite_template(service), target)
            return f"sqlite:///{target}"
        raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")

    def _pg_template(self, service: str) -> str:
        with self._lock:
            if service not in self._pg:
                url = create_pg_database(prefix=f"carbon_tmpl_{service}")
                try:
                    _migrate(service, url)
                except BaseException:
                    drop_pg_database(url)
                    raise
                self._pg[service] = url.rsplit("/", 1)[1]
            return self._pg[service]

    def _sqlite_template(self, service: str) -> Path:
        with self._lock:
            if service not in self._sqlite:
                path = self._directory / f"template-{service}.db"
                path.parent.mkdir(parents=True, exist_ok=True)
                _migrate(service, f"sqlite:///{path}")
                # One self-contained file (no -wal/-shm beside it), so that a plain copy is complete.
                conn = sqlite3.connect(path)
                try:
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    conn.execute("PRAGMA journal_mode=DELETE")
                finally:
                    conn.close()
                self._sqlite[service] = path
            return self._sqlite[service]

    def close(self) -> list[str]:
        """Drop the PostgreSQL templates (SQLite ones go with the session's temporary directory)."""
        with self._lock:
            names, self._pg = list(self._pg.values()), {}
        return drop_pg_databases([_pg_url(name) for name in names])


def _migrate(service: str, url: str) -> None:
    from carbon_runtime.persistence.migrations import upgrade

    upgrade(service, url)
