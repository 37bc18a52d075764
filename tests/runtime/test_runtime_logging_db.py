"""Structured logs with trace ids; database engines and per-service migrations on both backends."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import inspect, text

from carbon_runtime.ops import telemetry
from carbon_runtime.ops.logging import JsonFormatter
from carbon_runtime.persistence.db import make_engine, normalize_url
from carbon_runtime.persistence.migrations import upgrade


def test_json_log_lines_carry_the_current_trace_id() -> None:
    telemetry.configure_tracing("test", None)
    formatter = JsonFormatter("registry")
    with telemetry.tracer().start_as_current_span("op") as span:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "minted %s", ("B1",), None)
        line = json.loads(formatter.format(record))
    assert line["msg"] == "minted B1" and line["service"] == "registry" and line["level"] == "INFO"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")


def test_postgres_urls_use_psycopg3() -> None:
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_sqlite_runs_in_wal_mode(tmp_path: pytest.TempPathFactory) -> None:
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
