"""The dev-stack launcher's shutdown rules (issue 21), on stand-in children instead of the platform:
fast, no broker, no services.

- later stop signals never interrupt the stop; the third one SIGKILLs the children, which are reaped;
- a child dies with the launcher even when the launcher is SIGKILLed (PR_SET_PDEATHSIG);
- a start reports a stack still running, stops what a dead one left behind, and names busy ports.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tooling.devstack import ROOT, SERVICES, STOP_GRACE_S, DevStack, StackConfig, StackError, start_time

# A launcher whose children ignore SIGTERM; it stops on the first signal, like run_forever.
LAUNCHER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from tooling.devstack import DevStack, StackConfig

    stack = DevStack(StackConfig(var_dir=Path(sys.argv[1])), echo=True)
    stack.install_signal_handlers()
    (Path(sys.argv[1]) / "log").mkdir(parents=True, exist_ok=True)
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
    for name in ("alpha", "beta"):
        stack.procs[name] = stack._spawn(name, [sys.executable, "-c", stubborn], os.environ, name)
    print("pids", *[p.pid for p in stack.procs.values()], flush=True)
    while not stack.stop_requested:
        time.sleep(0.05)
    stack.stop()
    print("stopped", flush=True)
    """
)


def _alive(pid: int) -> bool:
    return start_time(pid) is not None  # None: gone or a zombie


def _wait_gone(pids: list[int], within_s: float) -> list[int]:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


def _launch(tmp_path: Path, script: str) -> tuple[subprocess.Popen[str], list[int]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / "var")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("pids"), line + proc.stdout.read()
    time.sleep(0.3)  # the children have set SIG_IGN
    return proc, [int(p) for p in line.split()[1:]]


def test_later_signals_do_not_interrupt_the_stop_and_the_third_kills_the_children(tmp_path: Path) -> None:
    proc, children = _launch(tmp_path, LAUNCHER)
    try:
        started = time.monotonic()
        os.kill(proc.pid, signal.SIGTERM)  # starts the stop; the children ignore SIGTERM
        time.sleep(0.3)
        os.kill(proc.pid, signal.SIGINT)  # would have raised KeyboardInterrupt inside the stop
        time.sleep(0.3)
        assert proc.poll() is None, "the stop waits for the children"
        assert all(_alive(p) for p in children)
        os.kill(proc.pid, signal.SIGTERM)  # the third: SIGKILL to every child
        out, _ = proc.communicate(timeout=STOP_GRACE_S)
        elapsed = time.monotonic() - started
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, out
    assert "already stopping" in out and "killing every process" in out
    assert out.rstrip().endswith("stopped"), "the stop ran to its end"
    assert elapsed < STOP_GRACE_S, "killed at the third signal, not at the end of the grace period"
    assert _wait_gone(children, 5) == []


def test_children_die_with_a_sigkilled_launcher(tmp_path: Path) -> None:
    proc, children = _launch(tmp_path, LAUNCHER)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert _wait_gone(children, 10) == [], "PR_SET_PDEATHSIG took the children with it"


def _sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen(["sleep", "60"], start_new_session=True)


def _pid_file(var_dir: Path, launcher: int, children: dict[str, int]) -> None:
    var_dir.mkdir(parents=True, exist_ok=True)
    record = {
        "launcher": {"pid": launcher, "start": start_time(launcher)},
        "children": {n: {"pid": p, "start": start_time(p)} for n, p in children.items()},
    }
    (var_dir / "devstack.pid").write_text(json.dumps(record))


def test_a_start_refuses_while_an_earlier_launcher_still_runs(tmp_path: Path) -> None:
    launcher = _sleeper()
    try:
        config = StackConfig.ephemeral(tmp_path)
        _pid_file(tmp_path, launcher.pid, {})
        with pytest.raises(
            StackError, match=f"(?s)already running.*launcher pid {launcher.pid}.*kill -TERM {launcher.pid}"
        ):
            DevStack(config).clear_leftovers()
    finally:
        launcher.kill()
        launcher.wait()


def test_a_start_stops_what_a_dead_launcher_left(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dead = _sleeper()
    dead_start = start_time(dead.pid)
    dead.kill()
    dead.wait()
    orphan = _sleeper()
    try:
        config = StackConfig.ephemeral(tmp_path)
        _pid_file(tmp_path, dead.pid, {"registry": orphan.pid})
        record = json.loads((tmp_path / "devstack.pid").read_text())
        record["launcher"]["start"] = dead_start
        (tmp_path / "devstack.pid").write_text(json.dumps(record))
        DevStack(config).clear_leftovers()
        assert orphan.wait(10) == -signal.SIGKILL
        assert f"registry (pid {orphan.pid})" in capsys.readouterr().out
        assert not (tmp_path / "devstack.pid").exists()
    finally:
        if orphan.poll() is None:
            orphan.kill()
            orphan.wait()


def test_a_busy_port_is_named_with_its_service_and_holder(tmp_path: Path) -> None:
    config = StackConfig.ephemeral(tmp_path)
    service = SERVICES[1]
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", config.http_ports[service]))
        holder.listen()
        with pytest.raises(StackError) as err:
            DevStack(config).clear_leftovers()
    message = str(err.value)
    assert f"port {config.http_ports[service]} ({service} http) is in use" in message
    assert f"pid {os.getpid()}" in message
    DevStack(config).clear_leftovers()  # free again: no complaint
