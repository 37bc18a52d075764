"""`make dev`'s process (scripts/devstack.py): prints every URL and READY, answers through the
gateway, keeps its data across restarts, and leaves no process behind when stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.gql import Gql, token
from tooling.devstack import ROOT, SERVICES, free_port

pytestmark = pytest.mark.e2e


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    stack = [pid]
    while stack:
        current = stack.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            children = (task / "children").read_text().split() if (task / "children").exists() else []
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    stack.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = open(log, "wb")  # noqa: SIM115
    return subprocess.Popen([sys.executable, "scripts/devstack.py"], cwd=ROOT, env=env, stdout=out,
                            stderr=subprocess.STDOUT)  # fmt: skip


def _wait_for_ready(proc: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if "READY" in text:
            return text
        assert proc.poll() is None, text[-3000:]
        time.sleep(0.3)
    raise AssertionError("no READY line: " + log.read_text(errors="replace")[-3000:])


def test_dev_stack_prints_ready_keeps_data_and_stops_without_orphans(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(tuple(s.upper() + "_" for s in SERVICES))}
    env.update({"CARBON_VAR_DIR": str(tmp_path / "var"), "CARBON_BROKER_PORT": str(free_port()),
                "GATEWAY_PORT": str(free_port())})  # fmt: skip
    for s in SERVICES:
        env[f"{s.upper()}_HTTP_PORT"] = str(free_port())
        env[f"{s.upper()}_GRPC_PORT"] = str(free_port())
    gateway = f"http://127.0.0.1:{env['GATEWAY_PORT']}/graphql"
    admin = token("admin", None, "REGISTRY_ADMIN")

    proc = _start(env, tmp_path / "first.log")
    text = _wait_for_ready(proc, tmp_path / "first.log")
    for s in SERVICES:
        assert f"127.0.0.1:{env[s.upper() + '_HTTP_PORT']}/graphql" in text, f"{s} URL printed"
    assert gateway in text
    gql = Gql(gateway)
    org = gql('mutation { createOrganization(input: {name: "Kept KK", country: "JP"}) { id } }', None, admin)
    org_id = org["createOrganization"]["id"]
    children = _descendants(proc.pid)
    assert len(children) >= 6, "broker, four services and the gateway run as children"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    time.sleep(0.5)
    assert [pid for pid in children if _alive(pid)] == [], "every process it started is gone"

    proc = _start(env, tmp_path / "second.log")
    try:
        _wait_for_ready(proc, tmp_path / "second.log")
        kept = gql("query($o: ID!) { organization(id: $o) { name } }", {"o": org_id}, admin)
        assert kept["organization"]["name"] == "Kept KK", "a second start keeps the data"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        gql.close()
