"""Structured logs with trace ids; database URLs use the psycopg 3 driver."""

from __future__ import annotations

import json
import logging

from carbon_runtime.ops import telemetry
from carbon_runtime.ops.logging import JsonFormatter
from carbon_runtime.persistence.db import normalize_url


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
