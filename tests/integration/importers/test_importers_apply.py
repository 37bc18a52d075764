"""The import applied over gRPC to in-process issuance and registry services."""

from __future__ import annotations

import csv
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from carbon_runtime.persistence.db import make_engine
from carbon_runtime.settings import AuthSettings
from carbon_runtime.transport.auth import issue_dev_token
from importers.apply import ImportReport, apply_plan
from importers.cli import GrpcImportSink, dev_admin_token, main
from importers.plan import build_plan, build_plan_from_files
from services.issuance.adapters import tables as issuance_tables
from services.issuance.bootstrap import bootstrap as issuance_bootstrap
from services.issuance.settings import IssuanceSettings
from services.registry.adapters import tables as registry_tables
from services.registry.bootstrap import bootstrap as registry_bootstrap
from services.registry.settings import RegistrySettings
from tests.integration.issuance.support import GrpcServerThread
from tests.support.databases import DatabaseTemplates, MigratedDatabaseUrl


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Platform:
    issuance_target: str
    registry_target: str
    issuance_url: str
    registry_url: str
    issuance_app: Any

    def run(self, directory: Path) -> ImportReport:
        sink = GrpcImportSink(self.issuance_target, self.registry_target, dev_admin_token())
        try:
            return apply_plan(build_plan(directory), sink)
        finally:
            sink.close()

    def counts(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for url, tables in ((self.issuance_url, issuance_tables), (self.registry_url, registry_tables)):
            engine = make_engine(url)
            with engine.connect() as conn:
                for name, table in tables.metadata.tables.items():
                    result[f"{url}:{name}"] = int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)
            engine.dispose()
        return result


def _platform(issuance_url: str, registry_url: str) -> Iterator[Platform]:
    """Both services over gRPC, on databases already at their migration heads."""
    registry = registry_bootstrap(
        RegistrySettings(
            database_url=registry_url, http_port=free_port(), grpc_port=free_port(), kafka_bootstrap_servers=None
        )
    )
    with GrpcServerThread(registry.grpc_register, list(registry.grpc_service_names)) as registry_server:
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
        with GrpcServerThread(issuance.grpc_register, list(issuance.grpc_service_names)) as issuance_server:
            yield Platform(
                f"127.0.0.1:{issuance_server.port}", registry_target, issuance_url, registry_url, issuance.http_app
            )
        for stop in issuance.on_stop:
            stop()
    for stop in registry.on_stop:
        stop()


@pytest.fixture
def platform(migrated_database_url: MigratedDatabaseUrl) -> Iterator[Platform]:
    # One database per service, of the same kind.
    yield from _platform(migrated_database_url("issuance"), migrated_database_url("registry"))


@pytest.fixture
def sqlite_platform(database_templates: DatabaseTemplates, tmp_path: Path) -> Iterator[Platform]:
    yield from _platform(
        database_templates.new_url("issuance", "sqlite", tmp_path),
        database_templates.new_url("registry", "sqlite", tmp_path),
    )


def _subset(exports_dir: Path, target: Path, folder: str, rows: int) -> Path:
    """The first `rows` data rows of every file of one registry folder."""
    for source in sorted((exports_dir / folder).glob("*.csv")):
        with source.open(newline="", encoding="utf-8-sig") as handle:
            records = list(csv.reader(handle))
        destination = target / folder / source.name
        destination.parent.mkdir(parents=True, exist_ok=True)
        with destination.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle, lineterminator="\n").writerows(records[: rows + 1])
    return target


def test_import_applied_twice_changes_nothing_the_second_time(
    platform: Platform, exports_dir: Path, tmp_path: Path
) -> None:
    root = _subset(exports_dir, tmp_path / "exports", "verra", 6)
    _subset(exports_dir, root, "american-carbon-registry", 4)
    first = platform.run(root)
    assert sum(f.imported for f in first.files) > 0
    before = platform.counts()
    second = platform.run(root)
    assert platform.counts() == before
    assert [(f.file, f.imported, f.rejected) for f in second.files] == [
        (f.file, f.imported, f.rejected) for f in first.files
    ]


def test_unit_range_claimed_by_two_sources_is_rejected_as_double_registration(
    sqlite_platform: Platform, exports_dir: Path, tmp_path: Path
) -> None:
    first = _subset(exports_dir, tmp_path / "a", "verra", 1)
    (first / "verra" / "projects.csv").unlink()
    transactions = first / "verra" / "transactions.csv"
    header, row = list(csv.reader(transactions.open(newline="", encoding="utf-8")))[:2]
    serial_at = header.index("Serial Number")
    parts = row[serial_at].split("-")
    start, end = int(parts[1]), int(parts[2])
    assert sqlite_platform.run(first).rejections == ()
    # Another source claims a range overlapping the first block by one unit.
    second = tmp_path / "b" / "verra"
    second.mkdir(parents=True)
    shifted = [*parts]
    shifted[0], shifted[1], shifted[2] = "99999", str(end), str(end + end - start)
    clash = [*row]
    clash[serial_at] = "-".join(shifted)
    clash[header.index("Retirement/Cancellation Date")] = ""
    with (second / "transactions.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, clash])
    report = sqlite_platform.run(tmp_path / "b")
    assert [(r.file, r.line, r.reason) for r in report.rejections] == [
        ("verra/transactions.csv", 2, "DOUBLE_REGISTRATION")
    ]
    assert report.files[0].rejected == 1


def test_malformed_rows_are_reported_with_file_and_line(sqlite_platform: Platform, exports_dir: Path) -> None:
    text = (exports_dir / "art-trees" / "issuances.csv").read_text(encoding="utf-8-sig")
    header, *_ = text.splitlines()
    broken = text.rstrip("\n") + "\n" + ",".join(["not a date"] + [""] * (header.count(","))) + "\n"
    plan = build_plan_from_files([("art-trees/issuances.csv", broken)])
    sink = GrpcImportSink(sqlite_platform.issuance_target, sqlite_platform.registry_target, dev_admin_token())
    report = apply_plan(plan, sink)
    sink.close()
    last_line = len(broken.splitlines())
    assert any(r.file == "art-trees/issuances.csv" and r.line == last_line for r in report.rejections)
    assert report.files[0].rows_read == report.files[0].imported + report.files[0].rejected


def test_full_shared_exports_import_with_expected_counts(
    sqlite_platform: Platform, exports_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            str(exports_dir),
            "--issuance-target",
            sqlite_platform.issuance_target,
            "--registry-target",
            sqlite_platform.registry_target,
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    rows = {line.split()[1]: tuple(int(n) for n in line.split()[2:5]) for line in out.splitlines()[1:18]}
    # (read, imported, rejected). Retirements/cancellations of batches whose issuance is not in the
    # sample exports are refused as ORIGIN_BATCH_NOT_IMPORTED; Gold Standard lists 2 projects
    # without a known country.
    assert rows == {
        "verra/projects.csv": (50, 50, 0),
        "verra/transactions.csv": (200, 200, 0),
        "gold-standard/projects.csv": (50, 48, 2),
        "gold-standard/issuances.csv": (100, 100, 0),
        "gold-standard/retirements.csv": (100, 2, 98),
        "american-carbon-registry/projects.csv": (50, 50, 0),
        "american-carbon-registry/issuances.csv": (100, 100, 0),
        "american-carbon-registry/retirements.csv": (100, 5, 95),
        "american-carbon-registry/cancellations.csv": (50, 34, 16),
        "climate-action-reserve/projects.csv": (50, 50, 0),
        "climate-action-reserve/issuances.csv": (100, 100, 0),
        "climate-action-reserve/retirements.csv": (100, 20, 80),
        "climate-action-reserve/cancellations.csv": (50, 16, 34),
        "art-trees/projects.csv": (28, 28, 0),
        "art-trees/issuances.csv": (11, 11, 0),
        "art-trees/retirements.csv": (8, 8, 0),
        "art-trees/cancellations.csv": (3, 3, 0),
    }
    assert "ORIGIN_BATCH_NOT_IMPORTED" in out and "gold-standard/retirements.csv:" in out


def test_cli_exits_non_zero_when_a_service_is_unreachable(exports_dir: Path, tmp_path: Path) -> None:
    root = _subset(exports_dir, tmp_path / "exports", "art-trees", 1)
    dead = f"127.0.0.1:{free_port()}"
    assert main([str(root), "--issuance-target", dead, "--registry-target", dead]) == 2
    shutil.rmtree(root)


IMPORT_MUTATION = """mutation($files: [ImportFileInput!]!) { importRegistryExport(input: {files: $files}) {
  files { registry file rowsRead imported rejected } rejections { file line reason message } unrecognizedFiles } }"""


def test_import_registry_export_mutation_infers_registries_and_is_idempotent(
    sqlite_platform: Platform, exports_dir: Path
) -> None:
    files = [
        {"name": "verra-projects.csv", "content": (exports_dir / "verra" / "projects.csv").read_text("utf-8-sig")},
        {"name": "upload-1.csv", "content": (exports_dir / "verra" / "transactions.csv").read_text("utf-8-sig")},
        {"name": "notes.csv", "content": "a,b\n1,2\n"},
    ]
    headers = {"Authorization": f"Bearer {dev_admin_token()}"}
    with TestClient(sqlite_platform.issuance_app) as client:
        first = client.post("/graphql", json={"query": IMPORT_MUTATION, "variables": {"files": files}}, headers=headers)
        before = sqlite_platform.counts()
        second = client.post(
            "/graphql", json={"query": IMPORT_MUTATION, "variables": {"files": files}}, headers=headers
        )
        forbidden = client.post(
            "/graphql",
            json={"query": IMPORT_MUTATION, "variables": {"files": files}},
            headers={
                "Authorization": f"Bearer {issue_dev_token(AuthSettings().jwt_secret, 'u', 'ORG', ['PROPONENT'])}"
            },
        )
    summary = first.json()["data"]["importRegistryExport"]
    assert summary["files"] == [
        {"registry": "VERRA", "file": "verra-projects.csv", "rowsRead": 50, "imported": 50, "rejected": 0},
        {"registry": "VERRA", "file": "upload-1.csv", "rowsRead": 200, "imported": 200, "rejected": 0},
    ]
    assert summary["unrecognizedFiles"] == ["notes.csv"]
    assert second.json()["data"]["importRegistryExport"] == summary
    assert sqlite_platform.counts() == before
    assert forbidden.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
