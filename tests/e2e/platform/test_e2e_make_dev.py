"""`make dev` (scripts/devstack.py -> tooling/devstack.py): prints every URL and READY, answers
through the gateway, keeps its data across restarts, and stops cleanly however it is stopped
(issue 21): SIGTERM to its whole process group (a supervisor, a closing terminal), Ctrl-C twice,
and SIGKILL of the launcher. After each, within 30 s no process of the stack remains and every
port is free. A busy port at start is reported with the service it was meant for.

`make dev` runs in its own session, as a terminal or a supervisor starts it; each test stops it in
its own way, so the stack is started three times in all (one start serves two stops).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.gql import Gql, token
from tooling.devstack import ROOT, SERVICES, free_port, port_is_free, web_built

pytestmark = pytest.mark.e2e

CLEAN_WITHIN_S = 30.0


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    stack = [pid]
    while stack:
        current = stack.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    stack.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _with_marker(marker: str) -> set[int]:
    """Live processes whose environment holds `marker` (every process of one stack inherits it),
    which also finds a grandchild the snapshot of descendants missed."""
    found: set[int] = set()
    needle = marker.encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if needle in (proc / "environ").read_bytes() and _alive(int(proc.name)):
                found.add(int(proc.name))
        except OSError:
            continue
    return found


@dataclass
class Run:
    """One `make dev` in its own session."""

    proc: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str]

    @property
    def pgid(self) -> int:
        return self.proc.pid  # start_new_session: make leads its own group

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self) -> str:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            text = self.text()
            if "READY" in text:
                return text
            assert self.proc.poll() is None, text[-3000:]
            time.sleep(0.3)
        raise AssertionError("no READY line: " + self.text()[-3000:])

    def ports(self) -> list[int]:
        keys = ["CARBON_BROKER_PORT", "GATEWAY_PORT", "WEB_PORT"]
        keys += [f"{s.upper()}_{kind}_PORT" for s in SERVICES for kind in ("HTTP", "GRPC")]
        return [int(self.env[k]) for k in keys]

    def launcher(self) -> int:
        for pid in _descendants(self.proc.pid):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"scripts/devstack.py" in cmd:
                return pid
        raise AssertionError("no launcher under make")

    def assert_clean(self, pids: set[int]) -> None:
        """Within 30 s: make has exited, no process of the stack is left, every port is free."""
        deadline = time.monotonic() + CLEAN_WITHIN_S
        left: set[int] = set()
        busy: list[int] = []
        while time.monotonic() < deadline:
            self.proc.poll()
            left = {p for p in pids if _alive(p)} | _with_marker(f"CARBON_VAR_DIR={self.env['CARBON_VAR_DIR']}")
            busy = [port for port in self.ports() if not port_is_free(port)]
            if self.proc.returncode is not None and not left and not busy:
                return
            time.sleep(0.2)
        described = {p: Path(f"/proc/{p}/cmdline").read_bytes()[:100] for p in left if Path(f"/proc/{p}").exists()}
        raise AssertionError(
            f"after {CLEAN_WITHIN_S}s: make returncode={self.proc.returncode}, left={described}, busy ports={busy}\n"
            + self.text()[-3000:]
        )

    def kill(self) -> None:
        """After a failed test: nothing may outlive it."""
        if self.proc.poll() is None:
            for pid in [*_descendants(self.proc.pid), self.proc.pid]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.proc.wait(10)


Starter = Callable[[str], Run]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith(tuple(s.upper() + "_" for s in SERVICES))}
    e.update({"CARBON_VAR_DIR": str(tmp_path / "var"), "CARBON_BROKER_PORT": str(free_port()),
              "GATEWAY_PORT": str(free_port()), "WEB_PORT": str(free_port())})  # fmt: skip
    for s in SERVICES:
        e[f"{s.upper()}_HTTP_PORT"] = str(free_port())
        e[f"{s.upper()}_GRPC_PORT"] = str(free_port())
    e.pop("MAKEFLAGS", None)
    e.pop("MAKELEVEL", None)
    return e


@pytest.fixture
def start(env: dict[str, str], tmp_path: Path) -> Iterator[Starter]:
    runs: list[Run] = []

    def _start(name: str) -> Run:
        log = tmp_path / f"{name}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(["make", "--no-print-directory", "dev"], cwd=ROOT, env=env, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        run = Run(proc, log, env)
        runs.append(run)
        return run

    yield _start
    for run in runs:
        run.kill()


def test_make_dev_stops_on_sigterm_to_its_group_keeps_data_and_stops_on_ctrl_c_twice(
    start: Starter, env: dict[str, str]
) -> None:
    gateway = f"http://127.0.0.1:{env['GATEWAY_PORT']}/graphql"
    admin = token("admin", None, "REGISTRY_ADMIN")

    first: Run = start("first")
    text = first.wait_ready()
    for s in SERVICES:
        assert f"127.0.0.1:{env[s.upper() + '_HTTP_PORT']}/graphql" in text, f"{s} URL printed"
    assert gateway in text
    if web_built():  # `make dev` builds it (make web); the explorer's URL is printed with the others
        assert f"http://127.0.0.1:{env['WEB_PORT']}/" in text
    gql = Gql(gateway)
    org = gql('mutation { createOrganization(input: {name: "Kept KK", country: "JP"}) { id } }', None, admin)
    org_id = org["createOrganization"]["id"]
    pids = _descendants(first.proc.pid)
    assert len(pids) >= 7, "make runs the launcher, which runs the broker, four services and the gateway"

    # A supervisor or a closing terminal: the whole group; make forwards a second SIGTERM.
    os.killpg(first.pgid, signal.SIGTERM)
    first.assert_clean(pids)
    assert "stopped" in first.text()

    second: Run = start("second")
    second.wait_ready()
    kept = gql("query($o: ID!) { organization(id: $o) { name } }", {"o": org_id}, admin)
    gql.close()
    assert kept["organization"]["name"] == "Kept KK", "a second start keeps the data"
    pids = _descendants(second.proc.pid)

    # Ctrl-C twice: SIGINT to the foreground group, 100 ms apart.
    os.killpg(second.pgid, signal.SIGINT)
    time.sleep(0.1)
    os.killpg(second.pgid, signal.SIGINT)
    second.assert_clean(pids)
    assert "stopped" in second.text()


def test_make_dev_leaves_nothing_when_the_launcher_is_sigkilled(start: Starter) -> None:
    run: Run = start("killed")
    run.wait_ready()
    pids = _descendants(run.proc.pid)
    os.kill(run.launcher(), signal.SIGKILL)
    run.assert_clean(pids)


def test_a_busy_port_is_reported_with_its_service_and_holder(env: dict[str, str]) -> None:
    port = int(env["REGISTRY_GRPC_PORT"])
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        result = subprocess.run([sys.executable, "scripts/devstack.py"], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=60)  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"port {port} (registry grpc) is in use" in result.stderr
    assert f"pid {os.getpid()}" in result.stderr, "names the process that holds it"
    assert not list(Path(env["CARBON_VAR_DIR"]).glob("*.db")), "nothing was started"
