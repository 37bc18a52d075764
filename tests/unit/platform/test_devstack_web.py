"""The dev stack's explorer (web/server/serve.mjs): its port, its settings, and that it runs and stops
like every other child (own process group, reaped by the stop, named in the PID file). A stand-in
web/dist in a temporary directory: no build, no broker, no services."""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tooling import devstack
from tooling.devstack import DevStack, StackConfig, config_from_env, start_time


def test_the_explorer_port_is_checked_only_when_the_explorer_will_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = StackConfig.ephemeral(tmp_path)
    monkeypatch.setattr(devstack, "web_built", lambda: True)
    assert (config.web_port, "web (explorer)") in config.ports()
    monkeypatch.setattr(devstack, "web_built", lambda: False)
    assert not config.runs_web, "web/dist not built: the stack runs without the explorer"
    assert all(what != "web (explorer)" for _, what in config.ports())
    monkeypatch.setattr(devstack, "web_built", lambda: True)
    config.start_gateway = False
    assert not config.runs_web, "the explorer proxies to the gateway: no gateway, no explorer"


def test_the_explorer_proxies_to_the_stacks_gateway(tmp_path: Path) -> None:
    config = StackConfig.ephemeral(tmp_path)
    assert config.web_port not in {config.gateway_port, config.broker_port}
    env = config.web_env()
    assert env["WEB_GATEWAY_URL"] == config.gateway_url
    assert env["WEB_PORT"] == str(config.web_port)
    assert env["WEB_HOST"] == "127.0.0.1"
    assert config.web_url == f"http://127.0.0.1:{config.web_port}/"


def test_make_dev_serves_the_explorer_on_4173_unless_web_port_says_otherwise() -> None:
    assert config_from_env({}).web_port == 4173
    assert config_from_env({"WEB_PORT": "5000"}).web_port == 5000


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_the_explorer_runs_in_its_own_group_and_stops_with_the_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<!doctype html><title>explorer</title>")
    monkeypatch.setattr(devstack, "WEB_DIST", dist)
    config = StackConfig.ephemeral(tmp_path / "var")
    (config.var_dir / "log").mkdir(parents=True)
    stack = DevStack(config)
    try:
        stack.start_web()
        stack.wait_ready("web", f"http://127.0.0.1:{config.web_port}/healthz", timeout_s=30)
        pid = stack.procs["web"].pid
        assert os.getpgid(pid) == pid, "its own process group, which the stop signals as a whole"
        assert json.loads((config.var_dir / "devstack.pid").read_text())["children"]["web"]["pid"] == pid
        with urllib.request.urlopen(config.web_url + "ja/projects", timeout=5) as resp:
            assert b"<title>explorer</title>" in resp.read(), "app routes get the app"
            assert "connect-src 'self'" in resp.headers["content-security-policy"]
        # No gateway runs on the configured port: the proxy says so instead of hanging.
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(config.web_url + "graphql?query=%7B__typename%7D", timeout=10)
        assert err.value.code == 502
    finally:
        stack.stop()
    assert stack.procs == {}
    assert start_time(pid) is None, "stopped and reaped"
    assert not (config.var_dir / "devstack.pid").exists()
