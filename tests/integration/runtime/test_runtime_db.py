"""Database engines and per-service migrations on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from carbon_runtime.persistence.db import make_engine
from carbon_runtime.persistence.migrations import upgrade


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/wal.db")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


@pytest.mark.parametrize("service", ["issuance", "registry", "trading", "reporting"])
def test_each_service_migrates_its_own_database_to_head(service: str, database_url: str) -> None:
    upgrade(service, database_url)
    upgrade(service, database_url)  # a second run is a no-op
    engine = make_engine(database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"event_log", "processed_events", "idempotency_keys", "alembic_version"} <= tables
