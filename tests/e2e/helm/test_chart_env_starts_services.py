"""Chart and code agree: each service starts and becomes ready with exactly the environment the
chart gives it (dev values), only pointed at this machine's broker, database and collector, and on free
ports (test_chart.py checks the chart's ports against docs/conventions.md; fixed ones would collide with
a running `make dev` or another test run)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from carbon_runtime.messaging.kafka import LocalBroker
from carbon_runtime.ops.child_process import die_with_parent
from scripts import helm_check
from tooling.devstack import ROOT, SERVICES, free_port

pytestmark = pytest.mark.e2e


def _service_env(docs: list[dict[str, Any]], service: str) -> dict[str, str]:
    by_name = {(d["kind"], d["metadata"]["name"]): d for d in docs if isinstance(d, dict) and "kind" in d}
    deployment = next(d for (kind, name), d in by_name.items() if kind == "Deployment" and name.endswith(f"-{service}"))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env: dict[str, str] = {}
    for src in container.get("envFrom", []):
        cm = by_name[("ConfigMap", src["configMapRef"]["name"])]
        env.update({k: str(v) for k, v in cm["data"].items()})
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = str(item["value"])
            continue
        ref = item["valueFrom"]["secretKeyRef"]
        secret = by_name.get(("Secret", ref["name"]))
        if secret is not None:
            data = secret.get("stringData") or {}
            if ref["key"] in data:
                env[item["name"]] = str(data[ref["key"]])
                continue
        env[item["name"]] = f"<secret {ref['name']}/{ref['key']}>"
    return env


@pytest.fixture(scope="module")
def dev_docs() -> list[dict[str, Any]]:
    """The chart rendered with the dev values (once for the module)."""
    return list(helm_check.render("values-dev.yaml"))


@pytest.fixture(scope="module")
def broker() -> Iterator[LocalBroker]:
    """One broker for the module: each service only needs one to reach ready."""
    b = LocalBroker(port=free_port())
    b.start()
    yield b
    b.stop()


@pytest.mark.parametrize("service", SERVICES)
def test_service_reaches_ready_with_the_chart_environment(
    service: str, dev_docs: list[dict[str, Any]], broker: LocalBroker, tmp_path: Path
) -> None:
    env = _service_env(dev_docs, service)
    p = service.upper() + "_"
    expected = {f"{p}HTTP_PORT", f"{p}GRPC_PORT", f"{p}DATABASE_URL", f"{p}KAFKA_BOOTSTRAP_SERVERS", f"{p}ENVIRONMENT"}
    assert expected <= env.keys()
    # Only cluster addresses are swapped for this machine's; every other variable is the chart's.
    env[f"{p}DATABASE_URL"] = f"sqlite:///{tmp_path / 'svc.db'}"
    env[f"{p}KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap
    env[f"{p}OTLP_ENDPOINT"] = f"127.0.0.1:{free_port()}"
    env[f"{p}HTTP_PORT"] = str(free_port())
    env[f"{p}GRPC_PORT"] = str(free_port())
    for key in list(env):
        if key.endswith("_GRPC_TARGET"):
            env[key] = "127.0.0.1:" + env[key].rsplit(":", 1)[1]
    if env.get("CARBON_JWT_SECRET", "").startswith("<secret"):
        del env["CARBON_JWT_SECRET"]
    if env.get("CARBON_GATEWAY_SECRET", "").startswith("<secret"):
        del env["CARBON_GATEWAY_SECRET"]
    leftovers = [k for k, v in env.items() if v.startswith("<secret")]
    assert leftovers == [], f"dev values leave secrets unresolved: {leftovers}"
    base = {k: v for k, v in os.environ.items() if not k.startswith((p, "CARBON_"))}
    full_env = {**base, **env}
    proc: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run([sys.executable, "-m", f"services.{service}", "migrate"], env=full_env, cwd=ROOT, check=True)
        log = open(tmp_path / "svc.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen([sys.executable, "-m", f"services.{service}", "serve"], env=full_env, cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent())  # fmt: skip
        url = f"http://127.0.0.1:{env[p + 'HTTP_PORT']}/readyz"
        deadline = time.monotonic() + 60
        ready = False
        while time.monotonic() < deadline and not ready:
            assert proc.poll() is None, (tmp_path / "svc.log").read_text()[-3000:]
            try:
                ready = httpx.get(url, timeout=1).status_code == 200
            except httpx.HTTPError:
                time.sleep(0.2)
        assert ready, f"{service} did not become ready with the chart's environment"
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=15)
