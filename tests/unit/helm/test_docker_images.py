"""Dockerfiles in deploy/docker: pinned bases, multi-stage, numeric non-root user, no build tools
in the runtime stage, and ports/commands that match docs/conventions.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
DOCKER_DIR = REPO_ROOT / "deploy" / "docker"
SERVICES = {"issuance": (8101, 50101), "registry": (8102, 50102), "trading": (8103, 50103), "reporting": (8104, 50104)}
PINNED_BASE = re.compile(r"^FROM (python:\d+\.\d+\.\d+-slim-bookworm|node:20\.\d+\.\d+-bookworm-slim) AS \w+$")


def stages(path: Path) -> list[list[str]]:
    """Instruction lines (continuations joined) grouped by build stage."""
    text = re.sub(r"\\\n\s*", " ", path.read_text(encoding="utf-8"))
    result: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("FROM "):
            result.append([])
        assert result, f"{path.name}: instruction before the first FROM: {line}"
        result[-1].append(line)
    return result


@pytest.mark.parametrize("name", [*SERVICES, "gateway", "web"])
def test_dockerfile_is_multi_stage_with_pinned_bases_and_numeric_non_root_user(name: str) -> None:
    built = stages(DOCKER_DIR / f"{name}.Dockerfile")
    assert len(built) >= 2, "build and runtime stages"
    for stage in built:
        assert PINNED_BASE.match(stage[0]), stage[0]
    runtime = built[-1]
    users = [line for line in runtime if line.startswith("USER ")]
    assert users == ["USER 10001:10001"], "numeric, non-root, matches the chart's runAsUser"
    runtime_text = "\n".join(runtime)
    for tool in ("build-essential", "gcc", "g++", "make ", "apt-get install"):
        assert tool not in runtime_text, f"{name}: {tool!r} in the runtime stage"
    assert "HEALTHCHECK" in runtime_text


@pytest.mark.parametrize("svc", SERVICES)
def test_service_image_runs_the_service_and_exposes_its_ports(svc: str) -> None:
    built = stages(DOCKER_DIR / f"{svc}.Dockerfile")
    build_text = "\n".join(built[0])
    assert "pip install -r requirements.lock" in build_text
    assert "python scripts/gen_protos.py" in build_text
    runtime = built[-1]
    http, grpc = SERVICES[svc]
    assert f"EXPOSE {http} {grpc}" in runtime
    assert runtime[-1] == f'CMD ["python", "-m", "services.{svc}", "serve"]'
    assert f"127.0.0.1:{grpc}" in "\n".join(runtime), "HEALTHCHECK probes the gRPC health service"


def test_service_dockerfiles_differ_only_in_name_and_ports() -> None:
    def normalised(svc: str) -> str:
        http, grpc = SERVICES[svc]
        text = (DOCKER_DIR / f"{svc}.Dockerfile").read_text(encoding="utf-8")
        return text.replace(svc, "<svc>").replace(str(grpc), "<grpc>").replace(str(http), "<http>")

    reference = normalised("issuance")
    for svc in SERVICES:
        assert normalised(svc) == reference, svc


def test_gateway_image_runs_the_gateway_launcher_on_all_interfaces() -> None:
    built = stages(DOCKER_DIR / "gateway.Dockerfile")
    assert any("npm ci" in line for line in built[0])
    assert built[-1][-1] == 'CMD ["bash", "/app/gateway/run.sh"]', "the gateway's own launcher"
    assert any("gateway/run.sh" in line and line.startswith("COPY ") for line in built[0])
    runtime = "\n".join(built[-1])
    assert "GATEWAY_HOST=0.0.0.0" in runtime, "gateway.config.ts defaults to 127.0.0.1"
    assert "GATEWAY_PORT=4000" in runtime
    assert "EXPOSE 4000" in built[-1]


def test_web_image_builds_with_npm_and_ships_only_the_built_app_and_its_server() -> None:
    built = stages(DOCKER_DIR / "web.Dockerfile")
    build_text = "\n".join(built[0])
    assert "npm ci" in build_text, "the locked dependencies"
    assert "npm run build" in build_text and "npm run size" in build_text, "tsc, vite and the bundle budget"
    runtime = built[-1]
    copies = [line for line in runtime if line.startswith("COPY ")]
    assert copies == [
        "COPY --from=build /app/web/dist /app/web/dist",
        "COPY web/server/serve.mjs /app/web/server/serve.mjs",
    ], "no node_modules or sources at run time: serve.mjs uses the Node standard library only"
    runtime_text = "\n".join(runtime)
    assert "npm " not in runtime_text, "nothing installed at run time"
    assert "WEB_HOST=0.0.0.0" in runtime_text, "serve.mjs defaults to 127.0.0.1"
    assert "WEB_PORT=8080" in runtime_text and "EXPOSE 8080" in runtime
    assert "127.0.0.1:8080/healthz" in runtime_text, "HEALTHCHECK probes serve.mjs's /healthz"
    assert runtime[-1] == 'CMD ["node", "/app/web/server/serve.mjs"]'


def test_the_chart_runs_the_web_image_on_its_port() -> None:
    helpers = (REPO_ROOT / "deploy" / "helm" / "carbon-platform" / "templates" / "_helpers.tpl").read_text()
    port = re.search(r'define "carbon\.webPort" -\}\}(\d+)\{\{', helpers)
    assert port, "_helpers.tpl defines carbon.webPort"
    assert f"EXPOSE {port.group(1)}" in stages(DOCKER_DIR / "web.Dockerfile")[-1]


def test_every_dockerfile_has_the_same_dockerignore() -> None:
    reference = (DOCKER_DIR / ".dockerignore").read_text(encoding="utf-8")
    for dockerfile in DOCKER_DIR.glob("*.Dockerfile"):
        ignore = dockerfile.with_name(dockerfile.name + ".dockerignore")
        assert ignore.read_text(encoding="utf-8") == reference, ignore.name
    for secret_pattern in ("**/.env", "**/*.pem", "**/*.key", "**/.venv"):
        assert secret_pattern in reference.splitlines()
    # `COPY web/ ./` must not carry a local build, its test output or node_modules into the image.
    for local_output in ("**/node_modules", "web/dist/", "web/test-results/"):
        assert local_output in reference.splitlines()
