"""Each service's Alembic migrations build exactly the tables its code declares (no drift), on
PostgreSQL and on SQLite."""

from __future__ import annotations

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from carbon_runtime.persistence.db import make_engine
from carbon_runtime.persistence.migrations import upgrade


@pytest.mark.parametrize("service", ["issuance", "registry", "trading", "reporting"])
def test_migrated_schema_matches_the_service_tables(service: str, database_url: str) -> None:
    upgrade(service, database_url)
    metadata = importlib.import_module(f"services.{service}.adapters.tables").metadata
    engine = make_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    engine.dispose()
    assert diff == [], f"{service}: tables.py and migrations differ; regenerate the revision: {diff}"
