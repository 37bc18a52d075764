"""The local platform: broker, four services and the gateway as child processes.

Used by `make dev` (scripts/devstack.py) and by the end-to-end tests, which start it on free ports
in a temporary directory. Every child runs in its own process group and is stopped on exit, on
Ctrl-C and on SIGTERM, so nothing is left running.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from carbon_runtime.messaging.kafka import LocalBroker, ensure_topics

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("issuance", "registry", "trading", "reporting")
DEFAULT_HTTP = {"issuance": 8101, "registry": 8102, "trading": 8103, "reporting": 8104}
DEFAULT_GRPC = {"issuance": 50101, "registry": 50102, "trading": 50103, "reporting": 50104}
TOPICS = tuple(f"carbon.{s}.events.v1" for s in SERVICES)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class StackConfig:
    var_dir: Path = ROOT / "var"
    broker_port: int = 19092
    gateway_port: int = 4000
    http_ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_HTTP))
    grpc_ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_GRPC))
    # None: each service uses its SQLite file in var_dir; else a template with {service}.
    database_url_template: str | None = None
    start_gateway: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def ephemeral(cls, var_dir: Path) -> StackConfig:
        return cls(
            var_dir=var_dir,
            broker_port=free_port(),
            gateway_port=free_port(),
            http_ports={s: free_port() for s in SERVICES},
            grpc_ports={s: free_port() for s in SERVICES},
        )

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

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}/graphql"


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


class DevStack:
    def __init__(self, config: StackConfig, *, echo: bool = False) -> None:
        self.config = config
        self.echo = echo
        self.broker = LocalBroker(port=config.broker_port, log_path=config.var_dir / "log" / "broker.log")
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def _base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(tuple(f"{s.upper()}_" for s in SERVICES))}
        env.update(self.config.extra_env)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _log(self, msg: str) -> None:
        if self.echo:
            print(msg, flush=True)

    def migrate(self, service: str) -> None:
        env = {**self._base_env(), **self.config.service_env(service)}
        subprocess.run([sys.executable, "-m", f"services.{service}", "migrate"], env=env, check=True, cwd=ROOT)

    def start_service(self, service: str) -> None:
        env = {**self._base_env(), **self.config.service_env(service)}
        log_file = open(self.config.var_dir / "log" / f"{service}.log", "ab")  # noqa: SIM115
        self.procs[service] = subprocess.Popen(
            [sys.executable, "-m", f"services.{service}"],
            env=env,
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_gateway(self) -> None:
        env = {**self._base_env(), **self.config.gateway_env()}
        log_file = open(self.config.var_dir / "log" / "gateway.log", "ab")  # noqa: SIM115
        self.procs["gateway"] = subprocess.Popen(
            ["bash", str(ROOT / "gateway" / "run.sh")],
            env=env,
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, name: str, url: str, timeout_s: float = 60.0, graphql: bool = False) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; see {self.config.var_dir}/log/{name}.log")
            if graphql_ok(url) if graphql else _http_ok(url):
                return
            time.sleep(0.2)
        raise RuntimeError(f"{name} did not become ready at {url}")

    def start(self) -> None:
        (self.config.var_dir / "log").mkdir(parents=True, exist_ok=True)
        self._log(f"broker     kafka://127.0.0.1:{self.config.broker_port}")
        self.broker.start()
        ensure_topics(self.broker.bootstrap, TOPICS)
        for s in SERVICES:
            self.migrate(s)
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

    def stop_process(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop(self) -> None:
        for name in list(self.procs):
            self.stop_process(name)
        self.broker.stop()

    def __enter__(self) -> DevStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_forever(env: Mapping[str, str] | None = None) -> int:
    """`make dev`: start everything, print READY, stop everything on Ctrl-C / SIGTERM."""
    e = env or os.environ
    config = StackConfig(
        var_dir=Path(e.get("CARBON_VAR_DIR", str(ROOT / "var"))),
        broker_port=int(e.get("CARBON_BROKER_PORT", "19092")),
        gateway_port=int(e.get("GATEWAY_PORT", "4000")),
        http_ports={s: int(e.get(f"{s.upper()}_HTTP_PORT", DEFAULT_HTTP[s])) for s in SERVICES},
        grpc_ports={s: int(e.get(f"{s.upper()}_GRPC_PORT", DEFAULT_GRPC[s])) for s in SERVICES},
    )
    stack = DevStack(config, echo=True)

    def _terminate(_sig: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        stack.start()
        print(f"READY  gateway {config.gateway_url}  (logs in {config.var_dir}/log; Ctrl-C stops)", flush=True)
        while True:
            for name, proc in list(stack.procs.items()):
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}; stopping", flush=True)
                    return 1
            time.sleep(1)
    except KeyboardInterrupt:
        print("stopping", flush=True)
        return 0
    finally:
        stack.stop()
