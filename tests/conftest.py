"""Shared fixtures: every storage test runs on PostgreSQL (127.0.0.1:5432, user postgres) and on SQLite.

`database_url` is parametrized over both backends. PostgreSQL gets a fresh database per test (created
from scratch, dropped afterwards); SQLite a fresh file in the test's tmp_path. Set
CARBON_TEST_PG_URL to point at another server (default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ADMIN_URL = os.environ.get("CARBON_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_admin_dsn() -> str:
    return PG_ADMIN_URL


def create_pg_database() -> str:
    """Create an empty database and return its SQLAlchemy URL."""
    import psycopg

    name = f"carbon_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def drop_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def pg_database_url() -> Iterator[str]:
    """An empty PostgreSQL database (for tests that only make sense there, e.g. row-lock concurrency)."""
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)
