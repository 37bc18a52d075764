"""GraphQL over HTTP (issue 22): a subgraph answers `application/graphql-response+json` as the spec
says (400 and no `data` on request errors) and keeps the legacy `application/json` behaviour.

The full audit (graphql-http's auditServer) runs against a live subgraph in
tests/e2e/gateway/test_graphql_over_http_audit.py; these are the rules it checks, one by one, fast.
"""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from fastapi.testclient import TestClient

from carbon_runtime.errors import not_found
from carbon_runtime.settings import ServiceSettings
from carbon_runtime.transport.auth import TokenVerifier
from carbon_runtime.transport.graphql_runtime import accepts_graphql_response_json, build_schema, create_http_app

GRAPHQL_RESPONSE = "application/graphql-response+json"


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str = "world") -> str:
        return f"hello {name}"

    @strawberry.field
    def batch(self) -> str:
        raise not_found("BATCH_NOT_FOUND", "no batch with id B1")


@pytest.fixture(scope="module")
def client() -> TestClient:
    settings = ServiceSettings(service_name="test", rate_limit_per_s=0)
    schema = build_schema(settings, Query)
    verifier = TokenVerifier(settings.auth, production=False)
    return TestClient(create_http_app(settings, schema, verifier, ready_check=lambda: True))


def _post(client: TestClient, accept: str | None, query: str, variables: dict[str, Any] | None = None) -> Any:
    headers = {"accept": accept} if accept else {}
    return client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, False),
        ("*/*", False),
        ("application/json", False),
        (GRAPHQL_RESPONSE, True),
        (f"{GRAPHQL_RESPONSE}, application/json, multipart/mixed", True),  # what Hive Gateway sends
        (f"application/json, {GRAPHQL_RESPONSE};q=0.9", False),
        (f"{GRAPHQL_RESPONSE};q=0", False),
    ],
)
def test_graphql_response_json_is_chosen_only_when_the_client_prefers_it(accept: str | None, expected: bool) -> None:
    assert accepts_graphql_response_json(accept) is expected


def test_a_successful_response_has_the_media_type_the_client_accepts(client: TestClient) -> None:
    modern = _post(client, GRAPHQL_RESPONSE, "{ hello }")
    legacy = _post(client, "application/json", "{ hello }")

    assert modern.status_code == legacy.status_code == 200
    assert modern.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert legacy.headers["content-type"].startswith("application/json")
    assert modern.json() == legacy.json() == {"data": {"hello": "hello world"}}


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{", None),  # does not parse
        ("{ hello(nope: 1) }", None),  # does not validate
        ("query($n: String!) { hello(name: $n) }", {"n": 7}),  # variables do not coerce
    ],
    ids=["parse", "validation", "variable-coercion"],
)
def test_a_request_error_is_a_400_without_data_for_graphql_response_json(
    client: TestClient, query: str, variables: dict[str, Any] | None
) -> None:
    response = _post(client, GRAPHQL_RESPONSE, query, variables)

    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"


def test_a_request_error_stays_a_200_with_null_data_for_legacy_json_clients(client: TestClient) -> None:
    response = _post(client, "application/json", "{")

    assert response.status_code == 200
    assert response.json()["data"] is None
    assert response.json()["errors"][0]["extensions"] == {"code": "INVALID_ARGUMENT", "reason": "INVALID_DOCUMENT"}


def test_a_parse_error_carries_the_contract_code_also_when_the_parser_cache_answers(client: TestClient) -> None:
    # The second identical request is a parser-cache hit, which raises before ContractErrors runs.
    for _ in range(2):
        errors = _post(client, None, "{ hello(").json()["errors"]
        assert errors[0]["extensions"]["code"] == "INVALID_ARGUMENT"


def test_a_field_error_is_a_200_with_data_even_for_graphql_response_json(client: TestClient) -> None:
    response = _post(client, GRAPHQL_RESPONSE, "{ batch }")

    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None  # the operation ran; the non-null root field failed
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert body["errors"][0]["path"] == ["batch"]
