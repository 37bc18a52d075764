"""The importer's command line can run against a real cluster (issue 22): `--token` is the caller,
`--dry-run` contacts no service, `--json` prints a machine-readable report."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest

import importers.cli as cli
from importers.apply import ImportReport


@pytest.fixture
def art_trees(exports_dir: Path, tmp_path: Path) -> Path:
    """An export root with only ART TREES (the smallest registry), recognised by its folder name."""
    shutil.copytree(exports_dir / "art-trees", tmp_path / "exports" / "art-trees")
    return tmp_path / "exports"


def _dead_target() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


def test_dry_run_reports_what_would_be_imported_without_contacting_a_service(
    art_trees: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dead = _dead_target()  # a real run against it would exit 2 (UNAVAILABLE)

    code = cli.main([str(art_trees), "--dry-run", "--json", "--issuance-target", dead])

    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dryRun"] is True
    assert report["totals"]["rowsRead"] == sum(f["rowsRead"] for f in report["files"]) > 0
    assert report["totals"]["imported"] + report["totals"]["rejected"] == report["totals"]["rowsRead"]


def test_dry_run_prints_the_table_and_says_nothing_was_sent(
    art_trees: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([str(art_trees), "--dry-run"]) == 0

    out = capsys.readouterr().out
    assert out.startswith("dry run: nothing was sent")
    assert "TOTAL" in out


def test_the_token_given_is_the_caller_instead_of_a_dev_token(
    art_trees: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, Any] = {}

    class RecordingSink:
        def __init__(self, issuance: str, registry: str, token: str, **_: Any) -> None:
            seen["token"] = token

        def close(self) -> None:
            pass

    monkeypatch.setattr(cli, "GrpcImportSink", RecordingSink)
    monkeypatch.setattr(cli, "apply_plan", lambda plan, sink: ImportReport((), ()))
    monkeypatch.delenv(cli.TOKEN_ENV, raising=False)

    assert cli.main([str(art_trees), "--token", "eyJ.production.token"]) == 0
    assert seen["token"] == "eyJ.production.token"

    monkeypatch.setenv(cli.TOKEN_ENV, "eyJ.from.environment")
    assert cli.main([str(art_trees)]) == 0
    assert seen["token"] == "eyJ.from.environment"


def test_json_reports_an_unreachable_service_as_unavailable_and_exits_2(
    art_trees: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dead = _dead_target()

    code = cli.main([str(art_trees), "--json", "--issuance-target", dead, "--registry-target", dead])

    assert code == 2
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "UNAVAILABLE"


def test_unknown_options_exit_2_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["somewhere", "--dryrun"])

    assert exit_info.value.code == 2
    assert "unrecognized arguments: --dryrun" in capsys.readouterr().err
