"""Importing the shared registry exports (Verra, Gold Standard, ACR, CAR, ART TREES) with the
`importers` package: parse + convert + plan rows/s vs a floor of plain `csv.reader` over the same
files (read and decoded the same way, every row materialized, nothing checked).

The exports are small (about 1,400 rows), so each case is repeated and the fastest pass is
reported. When `importers/apply.py` exists, applying the plan to in-process issuance and registry
services (bootstrapped here, gRPC on loopback, fresh SQLite files) is timed once, then re-applied.
`python -m bench --only bench_import [--quick]`.
"""

from __future__ import annotations

import asyncio
import csv
import importlib.util
import io
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import ratio
from carbon_runtime.persistence.migrations import upgrade
from carbon_runtime.settings import AuthSettings
from carbon_runtime.transport.auth import TokenVerifier
from carbon_runtime.transport.grpc_runtime import build_server
from importers.plan import REGISTRY_FOLDERS, build_plan, plan_outcomes, read_directory
from tooling.devstack import free_port

ROOT = Path(__file__).resolve().parents[1]


def exports_dir() -> Path:
    candidates = [
        os.environ.get("CARBON_REGISTRY_EXPORTS", ""),
        "/work/shared/data/registry-exports",
        str(ROOT.parent / "shared" / "data" / "registry-exports"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    raise FileNotFoundError("registry exports not found (set CARBON_REGISTRY_EXPORTS)")


def export_files(root: Path) -> list[Path]:
    """The files the importers read, in their reading order."""
    return [
        root / folder / spec.file_name
        for folder, specs in REGISTRY_FOLDERS
        for spec in specs
        if (root / folder / spec.file_name).is_file()
    ]


def csv_floor(files: list[Path]) -> int:
    """Rows of plain csv.reader over the files (header excluded), decoded as the importers do."""
    rows = 0
    for path in files:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
        reader = csv.reader(io.StringIO(text, newline=""), strict=False)
        next(reader, None)
        rows += sum(1 for cells in reader if cells)
    return rows


def _fastest(repeats: int, work: Callable[[], int]) -> tuple[float, int]:
    best = float("inf")
    count = 0
    for _ in range(repeats):
        started = time.perf_counter()
        count = work()
        best = min(best, time.perf_counter() - started)
    return best, count


def _case(case: str, seconds: float, rows: int) -> dict[str, Any]:
    return {"case": case, "rows": rows, "rows_per_s": round(rows / seconds), "ms_per_pass": round(seconds * 1000, 2)}


class _GrpcServerThread:
    """A service's gRPC API (platform interceptor included) on its own event loop in a thread."""

    def __init__(self, register: Callable[[Any], None], service_names: list[str]) -> None:
        self.port = free_port()
        self.register = register
        self.service_names = service_names
        self.loop = asyncio.new_event_loop()
        self.started = threading.Event()
        self.stop_event: asyncio.Event | None = None
        self.thread = threading.Thread(target=lambda: self.loop.run_until_complete(self._serve()), daemon=True)

    async def _serve(self) -> None:
        server, _, _ = await build_server(
            host="127.0.0.1",
            port=self.port,
            verifier=TokenVerifier(AuthSettings(), production=False),
            register=self.register,
            service_names=self.service_names,
            max_message_bytes=4 * 1024 * 1024,
        )
        await server.start()
        self.stop_event = asyncio.Event()
        self.started.set()
        await self.stop_event.wait()
        await server.stop(0)

    def __enter__(self) -> _GrpcServerThread:
        self.thread.start()
        if not self.started.wait(30):
            raise RuntimeError("gRPC server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.stop_event is not None:
            self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(10)


def _apply_once(root: Path, workdir: Path) -> tuple[float, float, int, int]:
    """Registry and issuance bootstrapped in this process (fresh SQLite files, gRPC on loopback, no
    broker); the plan applied through the importers' gRPC sink, then applied again (all replays).
    Returns (first apply s, re-apply s, rows read, rows rejected)."""
    from importers.apply import apply_plan
    from importers.cli import GrpcImportSink, dev_admin_token
    from services.issuance.bootstrap import bootstrap as issuance_bootstrap
    from services.issuance.settings import IssuanceSettings
    from services.registry.bootstrap import bootstrap as registry_bootstrap
    from services.registry.settings import RegistrySettings

    issuance_url = f"sqlite:///{workdir / 'issuance.db'}"
    registry_url = f"sqlite:///{workdir / 'registry.db'}"
    upgrade("issuance", issuance_url)
    upgrade("registry", registry_url)
    registry = registry_bootstrap(
        RegistrySettings(
            database_url=registry_url, http_port=free_port(), grpc_port=free_port(), kafka_bootstrap_servers=None
        )
    )
    try:
        with _GrpcServerThread(registry.grpc_register, list(registry.grpc_service_names)) as registry_server:
            registry_target = f"127.0.0.1:{registry_server.port}"
            issuance = issuance_bootstrap(
                IssuanceSettings(
                    database_url=issuance_url,
                    http_port=free_port(),
                    grpc_port=free_port(),
                    kafka_bootstrap_servers=None,
                    registry_grpc_target=registry_target,
                )
            )
            try:
                with _GrpcServerThread(issuance.grpc_register, list(issuance.grpc_service_names)) as issuance_server:
                    sink = GrpcImportSink(f"127.0.0.1:{issuance_server.port}", registry_target, dev_admin_token())
                    try:
                        plan = build_plan(root)
                        started = time.perf_counter()
                        report = apply_plan(plan, sink)
                        first_s = time.perf_counter() - started
                        started = time.perf_counter()
                        apply_plan(build_plan(root), sink)
                        again_s = time.perf_counter() - started
                    finally:
                        sink.close()
            finally:
                for stop in issuance.on_stop:
                    stop()
    finally:
        for stop in registry.on_stop:
            stop()
    rows = sum(f.rows_read for f in report.files)
    rejected = sum(f.rejected for f in report.files)
    return first_s, again_s, rows, rejected


def _apply_rows(root: Path) -> list[dict[str, Any]]:
    """Applying to in-process services, when importers.apply (written separately) is present."""
    if importlib.util.find_spec("importers.apply") is None:
        return []
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        first_s, again_s, rows, rejected = _apply_once(root, Path(tmp))
    return [
        {**_case("apply to in-process issuance + registry (gRPC, SQLite)", first_s, rows), "rejected": rejected},
        _case("apply again (every record an idempotent replay)", again_s, rows),
    ]


def run(quick: bool) -> dict[str, Any]:
    repeats = 15 if quick else 100
    root = exports_dir()
    files = export_files(root)

    def full_plan() -> int:
        plan = build_plan(root)
        return sum(summary.rows_read for summary in plan.files)

    def parse_only() -> int:
        outcomes, _ = read_directory(root)
        return len(outcomes)

    outcomes, unrecognized = read_directory(root)

    def plan_only() -> int:
        plan_outcomes(outcomes, unrecognized)
        return len(outcomes)

    full_plan()  # warm-up: imports, regex compilation, file cache
    floor_s, floor_rows = _fastest(repeats, lambda: csv_floor(files))
    plan_s, plan_rows = _fastest(repeats, full_plan)
    parse_s, parse_rows = _fastest(repeats, parse_only)
    cross_s, cross_rows = _fastest(repeats, plan_only)
    plan = build_plan(root)
    rows = [
        _case("csv.reader over the same files (floor)", floor_s, floor_rows),
        _case("importers: parse + plan (build_plan)", plan_s, plan_rows),
        _case("importers: parse + convert only (read_directory)", parse_s, parse_rows),
        _case("importers: cross-row plan only (plan_outcomes)", cross_s, cross_rows),
    ]
    rows += _apply_rows(root)
    return {
        "name": "registry-export import: parse + plan vs plain csv.reader",
        "description": (
            f"{len(files)} export files under {root} ({plan_rows} data rows, {len(plan.records)} records planned, "
            f"{len(plan.rejections)} rows rejected); fastest of {repeats} passes each, in process."
        ),
        "rows": rows,
        "ratios": {"parse_plan_vs_csv_reader": ratio(plan_rows / plan_s, floor_rows / floor_s)},
        "goals": {"parse_plan_vs_csv_reader": "none set (report only)"},
    }
