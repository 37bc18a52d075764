"""Every service entry point has a real command line (issue 22): `--help`, a mistyped command and a
bare invocation (a command is required) never start a server; the migration commands work without one.

The entry points run as subprocesses exactly as operators and manifests start them. "No port was
opened": each process gets free HTTP and gRPC ports in its environment, must exit on its own (a
server would keep running until the timeout) and leaves both ports free.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from carbon_runtime.ops.cli import DEFAULT_COMMAND, ServiceCli, build_parser

ROOT = Path(__file__).resolve().parents[3]
SERVICES = ("issuance", "registry", "trading", "reporting")
# A server that started would still be running after this long; --help answers in well under a second.
TIMEOUT_S = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _run(service: str, *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m services.<service> ARGS` with free ports and a scratch database; fail if it does
    not exit on its own or leaves a port taken."""
    p = service.upper() + "_"
    http_port, grpc_port = _free_port(), _free_port()
    env = {
        **os.environ,
        f"{p}HTTP_PORT": str(http_port),
        f"{p}GRPC_PORT": str(grpc_port),
        f"{p}DATABASE_URL": f"sqlite:///{tmp_path / (service + '.db')}",
        f"{p}KAFKA_BOOTSTRAP_SERVERS": "",
        f"{p}ENVIRONMENT": "dev",
    }
    try:
        result = subprocess.run(
            [sys.executable, "-m", f"services.{service}", *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:  # subprocess.run has killed it
        pytest.fail(f"`python -m services.{service} {' '.join(args)}` did not exit: it started serving ({exc})")
    assert _port_is_free(http_port), f"{service} {args} left its HTTP port {http_port} open"
    assert _port_is_free(grpc_port), f"{service} {args} left its gRPC port {grpc_port} open"
    return result


@pytest.mark.parametrize("service", SERVICES)
def test_help_prints_the_commands_and_starts_no_server(service: str, tmp_path: Path) -> None:
    result = _run(service, "--help", tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    assert f"python -m services.{service}" in result.stdout
    for command in ("serve", "migrate", "current", "history"):
        assert command in result.stdout
    assert ("rebuild" in result.stdout) is (service == "reporting")


@pytest.mark.parametrize("service", SERVICES)
def test_a_mistyped_command_exits_non_zero_with_a_message_and_starts_no_server(service: str, tmp_path: Path) -> None:
    result = _run(service, "serv", tmp_path=tmp_path)

    assert result.returncode == 2
    assert "invalid choice: 'serv'" in result.stderr
    assert "usage:" in result.stderr


@pytest.mark.parametrize("args", [("serve", "--port", "8080"), ("--verbose",), ("migrate", "head", "extra")])
def test_unknown_arguments_exit_non_zero_with_a_message_and_start_no_server(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    result = _run("registry", *args, tmp_path=tmp_path)

    assert result.returncode == 2
    assert "error:" in result.stderr


def test_only_reporting_has_rebuild(tmp_path: Path) -> None:
    result = _run("trading", "rebuild", tmp_path=tmp_path)

    assert result.returncode == 2
    assert "invalid choice: 'rebuild'" in result.stderr


def test_current_reports_the_revision_before_and_after_migrate(tmp_path: Path) -> None:
    before = _run("issuance", "current", "--check", tmp_path=tmp_path)
    assert before.returncode == 1
    assert "no database" in before.stdout
    assert not (tmp_path / "issuance.db").exists(), "asking for the revision must not create the database"

    migrated = _run("issuance", "migrate", tmp_path=tmp_path)
    assert migrated.returncode == 0, migrated.stderr

    after = _run("issuance", "current", "--check", tmp_path=tmp_path)
    assert after.returncode == 0, after.stdout + after.stderr
    assert after.stdout.strip().endswith("(head)")


def test_history_lists_the_migrations_newest_first_without_a_database(tmp_path: Path) -> None:
    result = _run("registry", "history", tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert "(head)" in lines[0]
    assert all("(head)" not in line for line in lines[1:])
    assert lines[-1].startswith("<base> -> ")
    assert not (tmp_path / "registry.db").exists()


@pytest.mark.parametrize("service", SERVICES)
def test_a_bare_invocation_prints_the_usage_exits_non_zero_and_starts_no_server(service: str, tmp_path: Path) -> None:
    # Issue 22 item 2: a command is required; the images, the chart and the dev stack pass `serve`.
    result = _run(service, tmp_path=tmp_path)

    assert result.returncode == 2
    assert "usage:" in result.stderr
    assert "the following arguments are required: COMMAND" in result.stderr
    assert not (tmp_path / f"{service}.db").exists(), "a bare invocation must not touch the database"


def test_the_parser_requires_a_command_and_help_says_so() -> None:
    cli = ServiceCli("registry", lambda: "sqlite://", lambda: None)
    parser = build_parser(cli)

    assert DEFAULT_COMMAND is None
    with pytest.raises(SystemExit) as exited:
        parser.parse_args([])
    assert exited.value.code == 2
    assert "A command is required." in " ".join(parser.format_help().split())
