"""End to end: two tiny subgraphs, composed by gateway/compose.mjs, served by gateway/run.sh.

Proves that the gateway routes a cross-subgraph entity query, forwards the agreed headers, and
refuses abusive documents (depth, aliases, tokens, batches, oversized bodies) before any subgraph
is called. Needs node and gateway/node_modules (installed here with `npm ci` when missing).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from carbon_runtime.ops.child_process import die_with_parent
from tests.e2e.gateway import support as tiny_subgraphs

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[3]
GATEWAY_DIR = REPO_ROOT / "gateway"
SECRET = "test-gateway-secret"
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
STARTUP_TIMEOUT_S = 60.0
UNROUTABLE_URL = "http://127.0.0.1:9/graphql"  # discard port: nothing listens there


@dataclass
class Gateway:
    url: str
    log_path: Path

    def post(self, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.post(self.url, json=body, headers=headers or {}, timeout=30.0)

    def query(self, document: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.post({"query": document}, headers)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start_subgraph(name: str) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = _free_port()
    config = uvicorn.Config(
        tiny_subgraphs.create_app(name), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"subgraph-{name}", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"subgraph {name} did not start on port {port}")
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}/graphql"


def _ensure_node_modules() -> None:
    if not (GATEWAY_DIR / "node_modules" / "@graphql-hive" / "gateway").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=GATEWAY_DIR, check=True, timeout=600)


def _stop_process_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@dataclass
class Supergraph:
    path: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def supergraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Supergraph]:
    """Both tiny subgraphs running, their SDL dumped and composed into a tmp dir."""
    _ensure_node_modules()
    tmp = tmp_path_factory.mktemp("supergraph")
    subgraphs_dir = tmp / "subgraphs"
    subgraphs_dir.mkdir()
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []
    # Only what the gateway needs: no inherited HOST/PORT/OPENTELEMETRY/GATEWAY_* surprises.
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"HOST", "PORT", "OPENTELEMETRY", "CONFIG_PATH"} and not key.startswith("GATEWAY_")
    }
    try:
        for name, schema_factory in tiny_subgraphs.SCHEMAS.items():
            (subgraphs_dir / f"{name}.graphql").write_text(schema_factory().as_str() + "\n", encoding="utf-8")
            server, thread, url = _start_subgraph(name)
            servers.append((server, thread))
            env[f"GATEWAY_{name.upper()}_URL"] = url
        # Composed with unroutable URLs: every query below then proves that GATEWAY_<NAME>_URL
        # overrides the composed routing URL at runtime.
        compose_env = env | {f"GATEWAY_{name.upper()}_URL": UNROUTABLE_URL for name in tiny_subgraphs.SCHEMAS}
        composed = subprocess.run(
            [
                "node",
                str(GATEWAY_DIR / "compose.mjs"),
                "--subgraphs-dir",
                str(subgraphs_dir),
                "--out-dir",
                str(tmp),
            ],
            env=compose_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert composed.returncode == 0, composed.stderr
        assert "type Order" in (tmp / "api-schema.graphql").read_text(encoding="utf-8")
        assert f'url: "{UNROUTABLE_URL}"' in (tmp / "supergraph.graphql").read_text(encoding="utf-8")
        yield Supergraph(path=tmp / "supergraph.graphql", env=env)
    finally:
        for server, _ in servers:
            server.should_exit = True
        for _, thread in servers:
            thread.join(timeout=15)


def _run_gateway(
    supergraph: Supergraph, log_path: Path, environment: str, extra_env: dict[str, str] | None = None
) -> Iterator[Gateway]:
    extra_env = extra_env or {}
    port = _free_port()
    env = supergraph.env | {
        "GATEWAY_PORT": str(port),
        "GATEWAY_HOST": "127.0.0.1",
        "GATEWAY_ENVIRONMENT": environment,
        "CARBON_GATEWAY_SECRET": SECRET,
        "SUPERGRAPH": str(supergraph.path),
        # Production requires an allowlist of documents; these tests send ad-hoc documents.
        "GATEWAY_PERSISTED_DOCUMENTS": "off",
        **extra_env,
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["bash", str(GATEWAY_DIR / "run.sh")],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent(),  # no gateway outlives a killed test run
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gateway exited early:\n{log_path.read_text(errors='replace')}")
            try:
                if httpx.get(f"{base}/readyz", timeout=2.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gateway not ready:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.2)
        yield Gateway(url=f"{base}/graphql", log_path=log_path)
    finally:
        _stop_process_group(process)


@pytest.fixture(scope="module")
def gateway(supergraph: Supergraph) -> Iterator[Gateway]:
    # A generous cost budget: these tests probe the depth, alias and token limits on their own.
    yield from _run_gateway(
        supergraph, supergraph.path.with_name("gateway-dev.log"), "dev", {"GATEWAY_MAX_COST": "100000000"}
    )


@pytest.fixture(scope="module")
def production_gateway(supergraph: Supergraph) -> Iterator[Gateway]:
    yield from _run_gateway(supergraph, supergraph.path.with_name("gateway-production.log"), "production")


def _nested_accounts(levels: int) -> str:
    """organization(1) + 2 per level + id(1): depth = 2 * levels + 2."""
    selection = "id"
    for _ in range(levels):
        selection = f"accounts {{ owner {{ {selection} }} }}"
    return f'{{ organization(id: "o1") {{ {selection} }} }}'


def _error_messages(response: httpx.Response) -> list[str]:
    return [str(error["message"]) for error in response.json().get("errors", [])]


def test_cross_subgraph_entity_query_resolves(gateway: Gateway) -> None:
    response = gateway.query('{ order(id: "o9") { id quantity account { id balance owner { name } } } }')
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "order": {
                "id": "o9",
                "quantity": 5,
                "account": {"id": "a1", "balance": 120, "owner": {"name": "Org o1"}},
            }
        }
    }


def test_gateway_forwards_authorization_traceparent_and_its_own_secret(gateway: Gateway) -> None:
    response = gateway.query(
        "{ seenHeaders }",
        headers={"authorization": "Bearer t0k", "traceparent": TRACEPARENT, "x-gateway-secret": "forged"},
    )
    assert response.json() == {
        "data": {
            "seenHeaders": [
                "authorization=Bearer t0k",
                f"traceparent={TRACEPARENT}",
                f"x-gateway-secret={SECRET}",
            ]
        }
    }


def test_query_at_depth_limit_is_served(gateway: Gateway) -> None:
    response = gateway.query(_nested_accounts(5))  # depth 12
    assert response.status_code == 200
    assert "errors" not in response.json()
    assert response.json()["data"]["organization"]["accounts"][0]["owner"]["accounts"]


def test_query_deeper_than_limit_is_refused_before_subgraphs(gateway: Gateway) -> None:
    before = dict(tiny_subgraphs.CALLS)
    response = gateway.query(_nested_accounts(6))  # depth 14
    assert response.json().get("data") is None
    assert _error_messages(response) == ["Syntax Error: Query depth limit of 12 exceeded, found 14."]
    assert dict(tiny_subgraphs.CALLS) == before


def test_thirty_aliases_are_served(gateway: Gateway) -> None:
    aliases = " ".join(f'o{i}: order(id: "{i}") {{ id }}' for i in range(30))
    response = gateway.query(f"{{ {aliases} }}")
    assert "errors" not in response.json()
    assert len(response.json()["data"]) == 30


def test_alias_flood_is_refused_before_subgraphs(gateway: Gateway) -> None:
    before = dict(tiny_subgraphs.CALLS)
    aliases = " ".join(f'o{i}: order(id: "{i}") {{ id }}' for i in range(31))
    response = gateway.query(f"{{ {aliases} }}")
    assert response.json().get("data") is None
    assert _error_messages(response) == ["Syntax Error: Aliases limit of 30 exceeded, found 31."]
    assert dict(tiny_subgraphs.CALLS) == before


def test_token_flood_is_refused(gateway: Gateway) -> None:
    response = gateway.query("{ " + "seenHeaders " * 2001 + "}")
    assert response.json().get("data") is None
    assert _error_messages(response) == ["Syntax Error: Token limit of 2000 exceeded."]


def test_batched_operations_are_refused(gateway: Gateway) -> None:
    response = gateway.post([{"query": "{ seenHeaders }"}, {"query": "{ seenHeaders }"}])
    assert response.status_code == 400
    assert _error_messages(response) == ["Batching is not supported."]


def test_oversized_body_is_refused_with_413(gateway: Gateway) -> None:
    response = gateway.post({"query": "{ seenHeaders }", "variables": {"pad": "x" * 1_100_000}})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_ENTITY_TOO_LARGE"


def test_dev_shows_field_suggestions_introspection_and_graphiql(gateway: Gateway) -> None:
    suggestion = gateway.query("{ seenHeader }")
    assert 'Did you mean "seenHeaders"?' in _error_messages(suggestion)[0]
    introspection = gateway.query("{ __schema { queryType { name } } }")
    assert introspection.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    graphiql = httpx.get(gateway.url, headers={"accept": "text/html"}, timeout=10.0)
    assert graphiql.status_code == 200
    assert "text/html" in graphiql.headers["content-type"]


def test_production_hides_field_suggestions_introspection_and_graphiql(production_gateway: Gateway) -> None:
    suggestion = production_gateway.query("{ seenHeader }")
    assert _error_messages(suggestion) == ['Cannot query field "seenHeader" on type "Query". [Suggestion hidden]']
    introspection = production_gateway.query("{ __schema { queryType { name } } }")
    assert introspection.json().get("data") is None
    assert "introspection has been disabled" in _error_messages(introspection)[0]
    graphiql = httpx.get(production_gateway.url, headers={"accept": "text/html"}, timeout=10.0)
    assert "text/html" not in graphiql.headers.get("content-type", "")
    served = production_gateway.query('{ order(id: "p1") { account { balance } } }')
    assert served.json() == {"data": {"order": {"account": {"balance": 120}}}}


# -- issue 14, item 4: cost limit, per-client rate limit, client address, persisted documents --------


@pytest.fixture(scope="module")
def guarded_gateway(supergraph: Supergraph) -> Iterator[Gateway]:
    """Small budgets, so one test can exceed each of them."""
    yield from _run_gateway(
        supergraph,
        supergraph.path.with_name("gateway-guarded.log"),
        "dev",
        {
            "GATEWAY_MAX_COST": "50",
            "GATEWAY_ASSUMED_LIST_SIZE": "10",
            "GATEWAY_RATE_LIMIT_PER_S": "1",
            "GATEWAY_RATE_LIMIT_BURST": "5",
        },
    )


def test_a_query_over_the_cost_limit_is_refused_before_any_subgraph(guarded_gateway: Gateway) -> None:
    """Lists nest multiplicatively (accounts.owner.accounts...): few tokens, a huge answer."""
    before = dict(tiny_subgraphs.CALLS)
    response = guarded_gateway.query(_nested_accounts(3), headers={"authorization": "Bearer cost"})
    assert "errors" in response.json() and "data" not in (response.json().get("data") or {})
    assert any("cost" in message.lower() for message in _error_messages(response)), response.text
    assert dict(tiny_subgraphs.CALLS) == before
    cheap = guarded_gateway.query('{ organization(id: "o1") { id } }', headers={"authorization": "Bearer cost"})
    assert "errors" not in cheap.json()


def test_the_gateway_limits_the_rate_per_client(guarded_gateway: Gateway) -> None:
    mine = {"authorization": "Bearer rate-limited-client"}
    statuses = [guarded_gateway.query('{ organization(id: "o1") { id } }', headers=mine).status_code for _ in range(8)]
    assert statuses[:5] == [200] * 5 and 429 in statuses[5:]
    refused = guarded_gateway.query('{ organization(id: "o1") { id } }', headers=mine)
    assert refused.status_code == 429 and refused.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    # Another client has its own budget.
    other = guarded_gateway.query('{ organization(id: "o1") { id } }', headers={"authorization": "Bearer other"})
    assert other.status_code == 200


@pytest.fixture(scope="module")
def persisted_gateway(supergraph: Supergraph, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    import hashlib
    import json

    document = '{ organization(id: "o1") { id } }'
    path = tmp_path_factory.mktemp("persisted") / "documents.json"
    path.write_text(json.dumps({hashlib.sha256(document.encode()).hexdigest(): document}))
    yield from _run_gateway(
        supergraph,
        supergraph.path.with_name("gateway-persisted.log"),
        "production",
        {"GATEWAY_PERSISTED_DOCUMENTS": "on", "GATEWAY_PERSISTED_DOCUMENTS_FILE": str(path)},
    )


def test_production_runs_only_persisted_documents(persisted_gateway: Gateway) -> None:
    import hashlib

    document = '{ organization(id: "o1") { id } }'
    before = dict(tiny_subgraphs.CALLS)
    arbitrary = persisted_gateway.post({"query": '{ organization(id: "o2") { id } }'})
    assert "errors" in arbitrary.json() and not arbitrary.json().get("data")
    assert dict(tiny_subgraphs.CALLS) == before
    known = persisted_gateway.post({"documentId": hashlib.sha256(document.encode()).hexdigest()})
    assert known.json() == {"data": {"organization": {"id": "o1"}}}, known.text
