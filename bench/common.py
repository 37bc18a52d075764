"""Helpers the benchmarks share: latency summaries and throw-away PostgreSQL databases.

Nothing here asserts a timing: benchmarks only report what they measured.
"""

from __future__ import annotations

import math
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

PG_ADMIN_URL = os.environ.get("CARBON_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def percentile_ms(samples_s: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of durations given in seconds, in milliseconds."""
    if not samples_s:
        return float("nan")
    ordered = sorted(samples_s)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return round(ordered[rank - 1] * 1000, 3)


def latency_summary(samples_s: Sequence[float], elapsed_s: float | None = None) -> dict[str, Any]:
    """ops/s (from the wall-clock elapsed time when given, else from the sum), p50 and p99."""
    total = elapsed_s if elapsed_s is not None else sum(samples_s)
    return {
        "ops": len(samples_s),
        "ops_per_s": round(len(samples_s) / total, 1) if total > 0 else None,
        "p50_ms": percentile_ms(samples_s, 0.50),
        "p99_ms": percentile_ms(samples_s, 0.99),
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 3)


def timed_loop(step: Callable[[int], None], max_count: int, max_seconds: float) -> tuple[list[float], float]:
    """Call step(i) up to max_count times or until max_seconds passed; (per-call durations, elapsed)."""
    samples: list[float] = []
    started = time.perf_counter()
    deadline = started + max_seconds
    for i in range(max_count):
        t0 = time.perf_counter()
        step(i)
        samples.append(time.perf_counter() - t0)
        if time.perf_counter() > deadline:
            break
    return samples, time.perf_counter() - started


def pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except Exception:
        return False


@contextmanager
def pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the local server, dropped afterwards."""
    import psycopg

    name = f"carbon_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
