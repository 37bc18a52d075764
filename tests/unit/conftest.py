"""Unit tests run with no database: PostgreSQL and SQLite belong to tests/integration/ (issue 12).
A unit test that asks for a database fixture fails before any database is made."""

from __future__ import annotations

import pytest

DATABASE_FIXTURES = frozenset(
    {
        "database_url",
        "pg_database_url",
        "migrated_database_url",
        "migrated_pg_database_url",
        "database_templates",
        "db_backend",
    }
)


@pytest.fixture(autouse=True)
def _unit_tests_use_no_database(request: pytest.FixtureRequest) -> None:
    used = sorted(DATABASE_FIXTURES.intersection(request.fixturenames))
    if used:
        pytest.fail(f"a unit test uses no database (asked for {', '.join(used)}): move it to tests/integration/")
