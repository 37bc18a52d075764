"""GraphQL subgraph plumbing: contract error codes, masking, limits, production hardening, probes."""

from __future__ import annotations

import json
from typing import Any

import pytest
import strawberry
from fastapi.testclient import TestClient

from carbon_runtime.errors import not_found
from carbon_runtime.settings import DEV_JWT_SECRET, ServiceSettings
from carbon_runtime.transport.auth import TokenVerifier, issue_dev_token
from carbon_runtime.transport.graphql_contract import Tonnes
from carbon_runtime.transport.graphql_runtime import RequestContext, build_schema, create_http_app
from carbon_runtime.transport.limits import document_hash

Info = strawberry.Info[RequestContext, None]


@strawberry.type
class Node:
    id: str

    @strawberry.field
    def child(self) -> Node:
        return Node(id=self.id + "x")


@strawberry.type
class Query:
    @strawberry.field
    def whoami(self, info: Info) -> str:
        return info.context.principal.user_id or "anonymous"

    @strawberry.field
    def missing(self) -> str:
        raise not_found("BATCH_NOT_FOUND", "no batch with id B1")

    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("database password is hunter2")

    @strawberry.field
    def node(self) -> Node:
        return Node(id="n")

    @strawberry.field
    def echo_tonnes(self, quantity: Tonnes) -> Tonnes:
        return quantity


def _client(**overrides: Any) -> TestClient:
    settings = ServiceSettings(service_name="test", **overrides)
    schema = build_schema(settings, Query)
    app = create_http_app(settings, schema, TokenVerifier(settings.auth, production=False), ready_check=lambda: True)
    return TestClient(app)


def _post(client: TestClient, query: str, token: str | None = None, **headers: str) -> Any:
    h = dict(headers)
    if token:
        h["authorization"] = f"Bearer {token}"
    return client.post("/graphql", json={"query": query}, headers=h)


def test_domain_errors_carry_the_contract_code_and_reason() -> None:
    body = _post(_client(), "{ missing }").json()
    err = body["errors"][0]
    assert err["extensions"] == {"code": "NOT_FOUND", "reason": "BATCH_NOT_FOUND"}
    assert err["message"] == "no batch with id B1"


def test_unexpected_errors_are_masked_without_internals() -> None:
    body = _post(_client(), "{ boom }").json()
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL"
    assert "hunter2" not in str(body)


def test_bad_token_is_unauthenticated_and_good_token_identifies_the_caller() -> None:
    client = _client()
    bad = _post(client, "{ whoami }", issue_dev_token("forged", "mallory", None, [])).json()
    assert bad["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    good = _post(client, "{ whoami }", issue_dev_token(DEV_JWT_SECRET, "alice", "o1", ["AUDITOR"])).json()
    assert good["data"] == {"whoami": "alice"}


def test_tonnes_refuse_fractions_negatives_and_booleans() -> None:
    client = _client()
    assert _post(client, "{ echoTonnes(quantity: 5) }").json()["data"] == {"echoTonnes": 5}
    for literal in ["1.5", "-1", "true", '"5"']:
        body = _post(client, f"{{ echoTonnes(quantity: {literal}) }}").json()
        assert body["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT", literal


def test_deep_queries_and_alias_floods_are_refused() -> None:
    client = _client(graphql_max_depth=4, graphql_max_aliases=3)
    deep = "{ node { child { child { child { child { child { id } } } } } } }"
    assert _post(client, deep).json()["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"
    flood = "{ " + " ".join(f"a{i}: whoami" for i in range(10)) + " }"
    assert "aliases" in _post(client, flood).json()["errors"][0]["message"].lower()


def test_request_body_size_is_limited() -> None:
    client = _client(max_request_bytes=2048)
    resp = client.post("/graphql", content=b'{"query": "' + b" " * 4096 + b'{ whoami }"}',
                       headers={"content-type": "application/json"})  # fmt: skip
    assert resp.status_code == 413


def test_production_turns_introspection_off_and_requires_the_gateway_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARBON_JWKS_URL", "https://idp.example/jwks")
    monkeypatch.setenv("CARBON_OIDC_ISSUER", "https://idp.example/")
    monkeypatch.setenv("CARBON_SERVICE_SECRET", "vault-secret-" + "v" * 32)
    monkeypatch.setenv("CARBON_GATEWAY_SECRET", "gw-secret-" + "g" * 32)
    client = _client(environment="production")
    assert _post(client, "{ whoami }").status_code == 403
    ok = _post(client, "{ whoami }", **{"x-gateway-secret": "gw-secret-" + "g" * 32}).json()
    assert ok["data"] == {"whoami": "anonymous"}
    intro = _post(client, "{ __schema { types { name } } }", **{"x-gateway-secret": "gw-secret-" + "g" * 32}).json()
    assert intro["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"
    assert (
        client.get("/graphql", headers={"x-gateway-secret": "gw-secret-" + "g" * 32, "accept": "text/html"}).status_code
        != 200
    )


def test_probes_and_metrics_answer() -> None:
    client = _client()
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and "text/plain" in metrics.headers["content-type"]


def test_each_client_is_rate_limited_separately() -> None:
    client = _client(rate_limit_per_s=0.001, rate_limit_burst=3)
    alice = issue_dev_token(DEV_JWT_SECRET, "alice", "o1", [])
    bob = issue_dev_token(DEV_JWT_SECRET, "bob", "o2", [])
    codes = [_post(client, "{ whoami }", alice).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = _post(client, "{ whoami }", alice).json()
    assert limited["errors"][0]["extensions"] == {"code": "UNAVAILABLE", "reason": "RATE_LIMITED"}
    assert _post(client, "{ whoami }", bob).status_code == 200


def test_persisted_documents_mode_runs_only_registered_documents(tmp_path: Any) -> None:
    allowed = "{ whoami }"
    path = tmp_path / "docs.json"
    path.write_text(json.dumps({document_hash(allowed): allowed}))
    client = _client(persisted_documents_file=str(path))
    assert _post(client, allowed).json()["data"] == {"whoami": "anonymous"}
    refused = _post(client, "{ missing }").json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_batched_requests_are_refused() -> None:
    resp = _client().post("/graphql", json=[{"query": "{ whoami }"}] * 50)
    assert resp.status_code == 400
