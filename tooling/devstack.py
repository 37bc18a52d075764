"""The local platform: broker, the services of services.toml and the gateway as child processes.

Used by `make dev` (scripts/devstack.py) and by the end-to-end tests, which start it on free ports
in a temporary directory.

Stopping is one shutdown, however it is asked for (issue 21):
- The first SIGINT, SIGTERM or SIGHUP starts the stop; later ones never interrupt it (a terminal's
  Ctrl-C twice, or a supervisor's SIGTERM to the process group that GNU make forwards once more).
  A third signal escalates: every child gets SIGKILL, and the stop still reaps them.
- Every child runs in its own process group, which the stop signals as a whole, and is tied to the
  launcher with PR_SET_PDEATHSIG (carbon_runtime/ops/child_process.py): it dies even when the
  launcher is SIGKILLed.
- var/devstack.pid names the launcher and its children. A start finds a stack left by an earlier
  run: if its launcher still runs, it says so and stops; if only children are left, it stops them.
  A port already taken is reported with the service it was meant for and the process holding it.

The public explorer (web/, docs/web.md) runs as one more child, `node web/server/serve.mjs`, after the
gateway: it serves web/dist and proxies /graphql to the gateway. It starts only when web/dist has been
built (`make web`); otherwise the stack says so and runs without it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from carbon_runtime import catalog
from carbon_runtime.messaging.kafka import LocalBroker, ensure_topics
from carbon_runtime.ops.child_process import die_with_parent

ROOT = Path(__file__).resolve().parent.parent
# From services.toml (carbon_runtime/catalog.py), in its order: migrated and started in this order.
_CATALOG = catalog.load()
SERVICES: tuple[str, ...] = tuple(s.name for s in _CATALOG)
MODULES: dict[str, str] = {s.name: s.module for s in _CATALOG}
DEFAULT_HTTP: dict[str, int] = {s.name: s.http_port for s in _CATALOG}
DEFAULT_GRPC: dict[str, int] = {s.name: s.grpc_port for s in _CATALOG}
TOPICS: tuple[str, ...] = tuple(s.produces for s in _CATALOG if s.produces)
# The explorer: built by `make web` into WEB_DIST, served by WEB_SERVER (Node standard library only).
WEB_DIST = ROOT / "web" / "dist"
WEB_SERVER = ROOT / "web" / "server" / "serve.mjs"
DEFAULT_WEB_PORT = 4173

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PID_FILE = "devstack.pid"
# A child gets this long to exit on SIGTERM before it gets SIGKILL.
STOP_GRACE_S = 10.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def web_built() -> bool:
    """True once `make web` has built the explorer into web/dist."""
    return (WEB_DIST / "index.html").is_file()


class StackError(RuntimeError):
    """The stack cannot start; the message says why and what to do (`make dev` prints it, exit 2)."""


class StopRequested(Exception):  # noqa: N818 - not an error: a signal asked to stop while starting
    """A stop signal arrived while the stack was starting."""


@dataclass
class StackConfig:
    var_dir: Path = ROOT / "var"
    broker_port: int = 19092
    gateway_port: int = 4000
    web_port: int = DEFAULT_WEB_PORT
    http_ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_HTTP))
    grpc_ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_GRPC))
    # None: each service uses its SQLite file in var_dir; else a template with {service}.
    database_url_template: str | None = None
    start_gateway: bool = True
    # The explorer needs the gateway and a built web/dist (see web_built); without either it is skipped.
    start_web: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def ephemeral(cls, var_dir: Path) -> StackConfig:
        return cls(
            var_dir=var_dir,
            broker_port=free_port(),
            gateway_port=free_port(),
            web_port=free_port(),
            http_ports={s: free_port() for s in SERVICES},
            grpc_ports={s: free_port() for s in SERVICES},
        )

    def ports(self) -> list[tuple[int, str]]:
        """Every port the stack listens on, with what it is for ("registry http")."""
        out = [(self.broker_port, "broker (Kafka)")]
        for s in SERVICES:
            out += [(self.http_ports[s], f"{s} http"), (self.grpc_ports[s], f"{s} grpc")]
        if self.start_gateway:
            out.append((self.gateway_port, "gateway"))
        if self.runs_web:
            out.append((self.web_port, "web (explorer)"))
        return out

    @property
    def runs_web(self) -> bool:
        """Whether the stack starts the explorer: asked for, behind a gateway, and built."""
        return self.start_gateway and self.start_web and web_built()

    def service_env(self, service: str) -> dict[str, str]:
        """The environment of one service: the same variables the Helm chart sets."""
        p = service.upper() + "_"
        db = (
            self.database_url_template.format(service=service)
            if self.database_url_template
            else f"sqlite:///{self.var_dir / (service + '.db')}"
        )
        env = {
            f"{p}HTTP_PORT": str(self.http_ports[service]),
            f"{p}GRPC_PORT": str(self.grpc_ports[service]),
            f"{p}DATABASE_URL": db,
            f"{p}KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{self.broker_port}",
            f"{p}ENVIRONMENT": "dev",
        }
        for peer in SERVICES:
            if peer != service:
                env[f"{p}{peer.upper()}_GRPC_TARGET"] = f"127.0.0.1:{self.grpc_ports[peer]}"
        return env

    def gateway_env(self) -> dict[str, str]:
        env = {"GATEWAY_PORT": str(self.gateway_port), "GATEWAY_HOST": "127.0.0.1"}
        for s in SERVICES:
            env[f"GATEWAY_{s.upper()}_URL"] = f"http://127.0.0.1:{self.http_ports[s]}/graphql"
        return env

    def web_env(self) -> dict[str, str]:
        """serve.mjs's settings: its port, and the gateway it proxies /graphql to."""
        return {
            "WEB_HOST": "127.0.0.1",
            "WEB_PORT": str(self.web_port),
            "WEB_GATEWAY_URL": self.gateway_url,
            "WEB_DIST": str(WEB_DIST),
        }

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}/graphql"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}/"


def _http_ok(url: str, timeout_s: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:  # noqa: S310 - loopback URL we built
            return bool(resp.status == 200)
    except OSError:
        return False


def graphql_ok(url: str) -> bool:
    req = urllib.request.Request(  # noqa: S310 - loopback URL we built
        url, data=json.dumps({"query": "{ __typename }"}).encode(), headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=2) as resp:  # noqa: S310
            return bool(resp.status == 200)
    except OSError:
        return False


# --- processes, ports and the PID file (Linux /proc) ------------------------------------------------


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (None if it is gone or a zombie): with the
    PID it identifies a process, so a recycled PID is never mistaken for ours."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else int(fields[19])


def describe_process(pid: int) -> str:
    try:
        cmd = " ".join(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").split())
    except OSError:
        cmd = "?"
    return f"pid {pid} ({cmd[:120]})"


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        # As the servers bind: a socket in TIME_WAIT does not make the port busy.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def port_holder(port: int) -> int | None:
    """The PID of a process with a listening TCP socket on `port`, if this user can see it."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            # local_address is HEXIP:HEXPORT, st 0A is LISTEN, column 9 the socket inode.
            if len(cols) > 9 and cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    if not inodes:
        return None
    wanted = {f"socket:[{i}]" for i in inodes}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (proc / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in wanted:
                        return int(proc.name)
    return None


def busy_ports_message(config: StackConfig) -> str | None:
    """None if every port of the stack is free, else a message naming each busy one."""
    lines = []
    for port, what in config.ports():
        if port_is_free(port):
            continue
        holder = port_holder(port)
        by = f"held by {describe_process(holder)}" if holder is not None else "held by another process"
        lines.append(f"  port {port} ({what}) is in use, {by}")
    if not lines:
        return None
    return (
        "cannot start the dev stack: ports are busy\n"
        + "\n".join(lines)
        + "\nA stack from an earlier run may still be running: stop that process (kill -TERM <pid>), or"
        " choose other ports (<SERVICE>_HTTP_PORT, <SERVICE>_GRPC_PORT, GATEWAY_PORT, WEB_PORT, CARBON_BROKER_PORT)."
    )


@dataclass
class _Child:
    name: str
    proc: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.proc.pid


class DevStack:
    def __init__(self, config: StackConfig, *, echo: bool = False) -> None:
        self.config = config
        self.echo = echo
        self.broker = LocalBroker(port=config.broker_port, log_path=config.var_dir / "log" / "broker.log")
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        # Set by the first stop signal (see install_signal_handlers); checked while starting.
        self.stop_requested = False
        self.signals_received = 0
        self.killed = False

    # --- signals ----------------------------------------------------------------------------------

    def on_signal(self, signum: int, _frame: FrameType | None = None) -> None:
        """Never raises: a stop already under way must run to the end."""
        self.signals_received += 1
        if self.signals_received == 1:
            self.stop_requested = True
            self._say(f"stopping ({signal.Signals(signum).name})")
        elif self.signals_received == 2:
            self._say("already stopping; one more signal kills every process at once")
        else:
            self._say("killing every process of the stack")
            self.kill_all()

    def _say(self, msg: str) -> None:
        # From a signal handler: print() could re-enter a buffered write the main thread is in the
        # middle of and raise; a raw write cannot.
        if self.echo:
            with contextlib.suppress(OSError):
                os.write(sys.stdout.fileno(), (msg + "\n").encode())

    def install_signal_handlers(self) -> None:
        for sig in STOP_SIGNALS:
            signal.signal(sig, self.on_signal)

    @contextlib.contextmanager
    def _signals_deferred(self) -> Iterator[None]:
        """While stopping, stop signals are counted instead of raising (KeyboardInterrupt would abort
        the cleanup half-way); only the main thread can set handlers."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
        for sig in STOP_SIGNALS:
            signal.signal(sig, self.on_signal)
        try:
            yield
        finally:
            for sig, handler in previous.items():
                # None: a handler not set from Python, which cannot be put back; keep ours.
                if handler is not None:
                    signal.signal(sig, handler)

    def _check_stop(self) -> None:
        if self.stop_requested:
            raise StopRequested

    # --- children ---------------------------------------------------------------------------------

    def _children(self) -> list[_Child]:
        out = [_Child(name, proc) for name, proc in self.procs.items()]
        if self.broker.proc is not None:
            out.append(_Child("broker", self.broker.proc))
        return out

    def _spawn(self, name: str, argv: list[str], env: Mapping[str, str], log_name: str) -> subprocess.Popen[bytes]:
        with open(self.config.var_dir / "log" / f"{log_name}.log", "ab") as log_file:
            return subprocess.Popen(
                argv,
                env=dict(env),
                cwd=ROOT,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                # Its own process group: a terminal's Ctrl-C reaches only the launcher, which stops the
                # children in order, and the stop can signal the child's whole group.
                start_new_session=True,
                preexec_fn=die_with_parent(),
            )

    def _base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(tuple(f"{s.upper()}_" for s in SERVICES))}
        env.update(self.config.extra_env)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _log(self, msg: str) -> None:
        if self.echo:
            print(msg, flush=True)

    def _pid_path(self) -> Path:
        return self.config.var_dir / PID_FILE

    def _write_pid_file(self) -> None:
        children = {c.name: {"pid": c.pid, "start": start_time(c.pid)} for c in self._children()}
        record = {"launcher": {"pid": os.getpid(), "start": start_time(os.getpid())}, "children": children}
        tmp = self._pid_path().with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=1))
        tmp.replace(self._pid_path())

    def clear_leftovers(self) -> None:
        """Act on the PID file of an earlier run: refuse if its launcher still runs, stop its children
        if they outlived it. Then check that every port is free."""
        path = self._pid_path()
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            record = None
        if isinstance(record, dict):
            launcher = record.get("launcher", {})
            lpid = int(launcher.get("pid", 0))
            if lpid and lpid != os.getpid() and start_time(lpid) == launcher.get("start"):
                raise StackError(
                    f"a dev stack is already running from {self.config.var_dir}: launcher "
                    f"{describe_process(lpid)}.\nStop it first: kill -TERM {lpid}"
                )
            left = [
                (name, int(c["pid"]))
                for name, c in record.get("children", {}).items()
                if start_time(int(c["pid"])) == c.get("start") and c.get("start") is not None
            ]
            if left:
                names = ", ".join(f"{name} (pid {pid})" for name, pid in left)
                print(f"stopping what an earlier dev stack left running: {names}", flush=True)
                for _, pid in left:
                    with contextlib.suppress(OSError):
                        os.killpg(pid, signal.SIGKILL)
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and any(start_time(pid) is not None for _, pid in left):
                    time.sleep(0.1)
            path.unlink(missing_ok=True)
        message = busy_ports_message(self.config)
        if message:
            raise StackError(message)

    # --- start --------------------------------------------------------------------------------------

    def migrate_all(self) -> None:
        """Every service's migrations, side by side (each has its own database)."""
        running: dict[str, subprocess.Popen[bytes]] = {}
        try:
            for s in SERVICES:
                env = {**self._base_env(), **self.config.service_env(s)}
                running[s] = self._spawn(f"migrate-{s}", [sys.executable, "-m", MODULES[s], "migrate"], env, s)
            while running:
                self._check_stop()
                for s, proc in list(running.items()):
                    code = proc.poll()
                    if code is None:
                        continue
                    del running[s]
                    if code != 0:
                        raise RuntimeError(f"{s} migrate exited with {code}; see {self.config.var_dir}/log/{s}.log")
                time.sleep(0.1)
        finally:
            for proc in running.values():
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait()

    def migrate(self, service: str) -> None:
        env = {**self._base_env(), **self.config.service_env(service)}
        subprocess.run(
            [sys.executable, "-m", MODULES[service], "migrate"],
            env=env,
            check=True,
            cwd=ROOT,
            preexec_fn=die_with_parent(),
        )

    def start_service(self, service: str) -> None:
        env = {**self._base_env(), **self.config.service_env(service)}
        self.procs[service] = self._spawn(service, [sys.executable, "-m", MODULES[service], "serve"], env, service)
        self._write_pid_file()

    def start_gateway(self) -> None:
        env = {**self._base_env(), **self.config.gateway_env()}
        self.procs["gateway"] = self._spawn("gateway", ["bash", str(ROOT / "gateway" / "run.sh")], env, "gateway")
        self._write_pid_file()

    def start_web(self) -> None:
        """The public explorer: serve.mjs serves web/dist and proxies /graphql to the gateway."""
        env = {**self._base_env(), **self.config.web_env()}
        self.procs["web"] = self._spawn("web", ["node", str(WEB_SERVER)], env, "web")
        self._write_pid_file()

    def wait_ready(self, name: str, url: str, timeout_s: float = 60.0, graphql: bool = False) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._check_stop()
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; see {self.config.var_dir}/log/{name}.log")
            if graphql_ok(url) if graphql else _http_ok(url):
                return
            time.sleep(0.2)
        raise RuntimeError(f"{name} did not become ready at {url}")

    def start(self) -> None:
        (self.config.var_dir / "log").mkdir(parents=True, exist_ok=True)
        self.clear_leftovers()
        self._log(f"broker     kafka://127.0.0.1:{self.config.broker_port}")
        self.broker.start()
        self._write_pid_file()
        self._check_stop()
        ensure_topics(self.broker.bootstrap, TOPICS)
        self.migrate_all()
        for s in SERVICES:
            self.start_service(s)
        for s in SERVICES:
            self.wait_ready(s, f"http://127.0.0.1:{self.config.http_ports[s]}/readyz")
            http, grpc_port = self.config.http_ports[s], self.config.grpc_ports[s]
            self._log(f"{s:<10} http://127.0.0.1:{http}/graphql  grpc 127.0.0.1:{grpc_port}")
        if self.config.start_gateway:
            self.start_gateway()
            self.wait_ready("gateway", self.config.gateway_url, timeout_s=90, graphql=True)
            self._log(f"gateway    {self.config.gateway_url}")
        if self.config.runs_web:
            self.start_web()
            self.wait_ready("web", f"http://127.0.0.1:{self.config.web_port}/healthz")
            self._log(f"explorer   {self.config.web_url}  (Japanese /ja, English /en)")
        elif self.config.start_gateway and self.config.start_web:
            self._log("explorer   not started: web/dist is not built (run `make web`, then restart `make dev`)")

    def exited_child(self) -> tuple[str, int] | None:
        """A child that exited on its own, with its exit code."""
        for c in self._children():
            code = c.proc.poll()
            if code is not None:
                return c.name, code
        return None

    # --- stop -------------------------------------------------------------------------------------

    def kill_all(self) -> None:
        """SIGKILL every child's process group now; `stop` still reaps them."""
        self.killed = True
        for c in self._children():
            _signal_group(c.pid, signal.SIGKILL)

    def _stop_group(self, children: list[_Child], grace_s: float) -> None:
        for c in children:
            _signal_group(c.pid, signal.SIGKILL if self.killed else signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        pending = list(children)
        while pending:
            pending = [c for c in pending if c.proc.poll() is None]
            if not pending:
                break
            if time.monotonic() >= deadline and not self.killed:
                self._log("still running after SIGTERM, killing: " + ", ".join(c.name for c in pending))
                self.kill_all()
            time.sleep(0.05)
        for c in children:
            # The leader is reaped; anything it left in its group goes too.
            _signal_group(c.pid, signal.SIGKILL)

    def stop_process(self, name: str, sig: int = signal.SIGTERM) -> None:
        """Stop one child (its whole process group) and reap it; SIGKILL skips the grace period."""
        proc = self.procs.get(name)
        if proc is None:
            return
        with self._signals_deferred():
            _signal_group(proc.pid, sig)
            self._stop_group([_Child(name, proc)], STOP_GRACE_S)
        self.procs.pop(name, None)

    def stop(self) -> None:
        """Stops every child and reaps it; later stop signals do not interrupt it. Safe to call twice."""
        with self._signals_deferred():
            self.stop_requested = True
            # The gateway and the services first (side by side), then the broker they publish to.
            self._stop_group([_Child(n, p) for n, p in self.procs.items()], STOP_GRACE_S)
            self.procs.clear()
            if self.broker.proc is not None:
                self._stop_group([_Child("broker", self.broker.proc)], STOP_GRACE_S)
                self.broker.proc = None
            with contextlib.suppress(OSError):
                self._pid_path().unlink()
        # Ready for another start (tests reuse a stack object).
        self.stop_requested = False
        self.signals_received = 0
        self.killed = False

    def __enter__(self) -> DevStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def config_from_env(e: Mapping[str, str]) -> StackConfig:
    return StackConfig(
        var_dir=Path(e.get("CARBON_VAR_DIR", str(ROOT / "var"))),
        broker_port=int(e.get("CARBON_BROKER_PORT", "19092")),
        gateway_port=int(e.get("GATEWAY_PORT", "4000")),
        web_port=int(e.get("WEB_PORT", str(DEFAULT_WEB_PORT))),
        http_ports={s: int(e.get(f"{s.upper()}_HTTP_PORT", DEFAULT_HTTP[s])) for s in SERVICES},
        grpc_ports={s: int(e.get(f"{s.upper()}_GRPC_PORT", DEFAULT_GRPC[s])) for s in SERVICES},
    )


def run_forever(env: Mapping[str, str] | None = None, *, on_ready: Callable[[DevStack], Any] | None = None) -> int:
    """`make dev`: start everything, print READY, stop everything on the first stop signal.

    Exit codes: 0 stopped by a signal, 1 a child failed, 2 the stack could not start (busy ports,
    a running stack)."""
    config = config_from_env(env or os.environ)
    stack = DevStack(config, echo=True)
    # First thing: from here on no signal raises, so no cleanup can be cut short.
    stack.install_signal_handlers()
    code = 0
    try:
        stack.start()
        explorer = f"  explorer {config.web_url}" if "web" in stack.procs else ""
        print(
            f"READY  gateway {config.gateway_url}{explorer}  (logs in {config.var_dir}/log; Ctrl-C stops)", flush=True
        )
        if on_ready is not None:
            on_ready(stack)
        while not stack.stop_requested:
            exited = stack.exited_child()
            if exited is not None:
                print(f"{exited[0]} exited with {exited[1]}; stopping", flush=True)
                code = 1
                break
            time.sleep(0.2)
    except StopRequested:
        pass
    except StackError as exc:
        print(str(exc), file=sys.stderr, flush=True)
        code = 2
    except Exception:
        traceback.print_exc()
        print(f"the dev stack failed; logs in {config.var_dir}/log", file=sys.stderr, flush=True)
        code = 1
    finally:
        stack.stop()
    print("stopped" if code != 2 else "not started", flush=True)
    return code
