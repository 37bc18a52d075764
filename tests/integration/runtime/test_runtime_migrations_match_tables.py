"""Each service's Alembic migrations build exactly the tables its code declares (no drift), on
PostgreSQL and on SQLite. The database is a copy of the session's template, which the service's own
migrations brought to head (tests/support/databases.py); test_runtime_db.py migrates from empty."""

from __future__ import annotations

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from carbon_runtime.persistence.db import make_engine
from tests.support.databases import MigratedDatabaseUrl


@pytest.mark.parametrize("service", ["issuance", "registry", "trading", "reporting"])
def test_migrated_schema_matches_the_service_tables(service: str, migrated_database_url: MigratedDatabaseUrl) -> None:
    database_url = migrated_database_url(service)
    metadata = importlib.import_module(f"services.{service}.adapters.tables").metadata
    engine = make_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    engine.dispose()
    assert diff == [], f"{service}: tables.py and migrations differ; regenerate the revision: {diff}"
