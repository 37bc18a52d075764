"""Shared fixtures: every storage test runs on PostgreSQL (127.0.0.1:5432, user postgres) and on SQLite.

Set CARBON_TEST_PG_URL to point at another server (default postgresql://postgres@127.0.0.1:5432/postgres).
The helpers behind these fixtures are in tests/support/databases.py.

Databases at a service's migration head (use these in integration tests of a service):
- `migrated_database_url` — a factory: `migrated_database_url("registry")` returns the URL of a NEW
  database already at the registry's Alembic head, on the test's backend (`db_backend`: the test runs
  once on SQLite and once on PostgreSQL, ids `[sqlite]` / `[postgresql]`). The first call per service
  and backend in a session migrates a template once (`carbon_runtime.persistence.migrations.upgrade`);
  each call then copies it (`CREATE DATABASE x TEMPLATE tmpl` on PostgreSQL, a file copy on SQLite),
  which takes tens of milliseconds instead of the second or more a migration takes. Call it once per
  database the test needs (two services, or two databases of one service); each is dropped after the
  test. Do not call `upgrade()` on it again: it is at head already.

      @pytest.fixture
      def engine(migrated_database_url: MigratedDatabaseUrl) -> Iterator[Engine]:  # from tests.support.databases
          engine = make_engine(migrated_database_url("reporting"))
          yield engine
          engine.dispose()

- `migrated_pg_database_url` — the same factory, PostgreSQL only and not parametrized (row-lock
  concurrency tests and other tests that only make sense there).

Empty databases (for tests of the migrations themselves, or of tables a test declares):
- `database_url` — parametrized over both backends like `db_backend`: a fresh empty PostgreSQL
  database per test (dropped afterwards), or a fresh SQLite file in the test's tmp_path.
- `pg_database_url` — an empty PostgreSQL database, not parametrized.

A test that takes both `database_url` and `migrated_database_url` gets the same backend for both.
PostgreSQL databases are dropped after the test on a background thread, in batches side by side
(each DROP DATABASE waits for a checkpoint; dropped together they share one); the session waits for
the last batch.
Under pytest-xdist each worker is a session: it migrates its own templates and they never clash.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import (
    PG_ADMIN_URL,
    BackgroundDropper,
    DatabaseTemplates,
    MigratedDatabaseUrl,
    create_pg_database,
    drop_pg_database,
)

# Kept importable from here for older callers; new code imports from tests.support.databases.
__all__ = ["PG_ADMIN_URL", "MigratedDatabaseUrl", "create_pg_database", "drop_pg_database"]


def _pg_admin_dsn() -> str:
    return PG_ADMIN_URL


@pytest.fixture(scope="session")
def _database_dropper() -> Iterator[BackgroundDropper]:
    dropper = BackgroundDropper()
    yield dropper
    failures = dropper.close()
    if failures:
        warnings.warn("test databases left behind:\n" + "\n".join(failures), stacklevel=1)


@pytest.fixture(scope="session")
def database_templates(
    tmp_path_factory: pytest.TempPathFactory, _database_dropper: BackgroundDropper
) -> Iterator[DatabaseTemplates]:
    """One migrated template per (service, backend), made on first use in this session."""
    templates = DatabaseTemplates(tmp_path_factory.mktemp("db-templates"))
    yield templates
    failures = templates.close()
    if failures:
        warnings.warn("template databases left behind:\n" + "\n".join(failures), stacklevel=1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_backend(request: pytest.FixtureRequest) -> str:
    """The storage backend of this run of the test: "sqlite" or "postgresql"."""
    return str(request.param)


def _factory(
    backend: str, templates: DatabaseTemplates, dropper: BackgroundDropper, directory: Path
) -> Iterator[MigratedDatabaseUrl]:
    made: list[str] = []

    def make(service: str) -> str:
        url = templates.new_url(service, backend, directory)
        made.append(url)
        return url

    yield make
    if backend == "postgresql":
        for url in made:
            dropper.drop(url)


@pytest.fixture
def migrated_database_url(
    db_backend: str, database_templates: DatabaseTemplates, _database_dropper: BackgroundDropper, tmp_path: Path
) -> Iterator[MigratedDatabaseUrl]:
    """Factory: `migrated_database_url("registry")` -> a new database at the service's migration head."""
    yield from _factory(db_backend, database_templates, _database_dropper, tmp_path)


@pytest.fixture
def migrated_pg_database_url(
    database_templates: DatabaseTemplates, _database_dropper: BackgroundDropper, tmp_path: Path
) -> Iterator[MigratedDatabaseUrl]:
    """Factory like `migrated_database_url`, PostgreSQL only."""
    yield from _factory("postgresql", database_templates, _database_dropper, tmp_path)


@pytest.fixture
def database_url(db_backend: str, tmp_path: Path, _database_dropper: BackgroundDropper) -> Iterator[str]:
    """An empty database on each backend."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    url = create_pg_database()
    try:
        yield url
    finally:
        _database_dropper.drop(url)


@pytest.fixture
def pg_database_url(_database_dropper: BackgroundDropper) -> Iterator[str]:
    """An empty PostgreSQL database (for tests that only make sense there, e.g. row-lock concurrency)."""
    url = create_pg_database()
    try:
        yield url
    finally:
        _database_dropper.drop(url)
