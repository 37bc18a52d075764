"""Fixtures of the reporting integration tests: a new reporting database at its migration head, on
SQLite and on PostgreSQL (copied from a template migrated once per session)."""

from __future__ import annotations

import pytest

from tests.support.databases import MigratedDatabaseUrl


@pytest.fixture
def reporting_database_url(migrated_database_url: MigratedDatabaseUrl) -> str:
    return migrated_database_url("reporting")
