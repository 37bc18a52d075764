"""The registry subgraph over HTTP with dev tokens: contract mutations and queries, and the contract's
error codes in extensions.code. Also the public certificate pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carbon_runtime.persistence.db import make_engine
from carbon_runtime.settings import AuthSettings
from carbon_runtime.transport.auth import issue_dev_token
from services.registry.bootstrap import bootstrap
from services.registry.settings import RegistrySettings
from tests.integration.registry.support import Registry, make_deps
from tests.support.databases import MigratedDatabaseUrl

SECRET = AuthSettings().jwt_secret


class Api:
    def __init__(self, client: TestClient, registry: Registry) -> None:
        self.client = client
        self.registry = registry

    def __call__(self, query: str, variables: dict[str, Any] | None = None, *, as_: str | None = None) -> Any:
        headers = {"authorization": f"Bearer {as_}"} if as_ else {}
        response = self.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()


def tok(sub: str, org: str | None, *roles: str) -> str:
    return issue_dev_token(SECRET, sub, org, roles)


ADMIN = tok("admin", None, "REGISTRY_ADMIN")


def code(result: Any) -> str:
    return str(result["errors"][0]["extensions"]["code"])


@pytest.fixture
def api(migrated_database_url: MigratedDatabaseUrl) -> Iterator[Api]:
    database_url = migrated_database_url("registry")
    process = bootstrap(RegistrySettings(database_url=database_url, kafka_bootstrap_servers=None))
    engine = make_engine(database_url)
    try:
        with TestClient(process.http_app) as client:
            yield Api(client, Registry(make_deps(engine)))
    finally:
        engine.dispose()
        for stop in process.on_stop:
            stop()


CREATE_ORG = """mutation($input: CreateOrganizationInput!) {
  createOrganization(input: $input) { id name country accreditedVerifier accounts { id } } }"""
OPEN = """mutation($input: OpenAccountInput!) { openAccount(input: $input) { id kind owner { id } balance } }"""
TRANSFER = """mutation($input: TransferCreditsInput!) { transferCredits(input: $input) {
  id quantity from { id } to { id kind } blocks { serialStart serialEnd quantity status batch { id } } } }"""
RETIRE = """mutation($input: RetireCreditsInput!) { retireCredits(input: $input) {
  id quantity serialRanges purpose beneficiary retirementYear offsetEmissions retiredAt certificateId
  account { id } batch { id } } }"""
CANCEL = """mutation($input: CancelCreditsInput!) { cancelCredits(input: $input) {
  id quantity serialRanges purpose cancelledAt } }"""
ACCOUNT = """query($id: ID!) { account(id: $id) { id kind balance owner { name }
  holdings { serialStart serialEnd quantity status batch { id } } } }"""


def setup_org(api: Api) -> tuple[str, str, str]:
    org = api(CREATE_ORG, {"input": {"name": "Proponent", "country": "JP"}}, as_=ADMIN)["data"]["createOrganization"]
    account = api(OPEN, {"input": {"organizationId": org["id"]}}, as_=ADMIN)["data"]["openAccount"]
    other = api(OPEN, {"input": {"organizationId": org["id"]}}, as_=ADMIN)["data"]["openAccount"]
    assert account["kind"] == "HOLDING" and account["balance"] == 0
    batch = api.registry.mint(org["id"], account["id"], 100)
    return org["id"], account["id"], other["id"] + "|" + batch


def test_graphql_transfer_retire_cancel_and_read_account(api: Api) -> None:
    org, account, rest = setup_org(api)
    other, batch = rest.split("|")
    holder = tok("alice", org, "ACCOUNT_HOLDER")
    moved = api(
        TRANSFER,
        {"input": {"fromAccountId": account, "toAccountId": other, "batchId": batch, "quantity": 10}},
        as_=holder,
    )["data"]["transferCredits"]
    assert moved["quantity"] == 10 and moved["to"]["id"] == other
    assert moved["blocks"][0]["status"] == "HELD" and moved["blocks"][0]["batch"]["id"] == batch
    retired = api(
        RETIRE,
        {
            "input": {
                "accountId": account,
                "batchId": batch,
                "quantity": 5,
                "purpose": "SHK_ADJUSTMENT",
                "beneficiary": "Proponent K.K.",
                "retirementYear": 2024,
                "offsetEmissions": "4.50",
                "activityDescription": "Head office electricity",
            }
        },
        as_=holder,
    )["data"]["retireCredits"]
    assert retired["offsetEmissions"] == "4.50" and len(retired["serialRanges"]) == 1
    cancelled = api(
        CANCEL,
        {
            "input": {
                "accountId": account,
                "batchId": batch,
                "quantity": 3,
                "purpose": "VOLUNTARY_OFFSET",
                "beneficiary": "Air",
            }
        },
        as_=holder,
    )["data"]["cancelCredits"]
    assert cancelled["quantity"] == 3
    read = api(ACCOUNT, {"id": account}, as_=holder)["data"]["account"]
    assert read["balance"] == 82 and read["owner"]["name"] == "Proponent"
    assert sum(h["quantity"] for h in read["holdings"]) == 82
    public = api(
        """query($id: ID!, $b: ID!, $a: ID!, $o: ID!) { retirement(id: $id) { quantity account { id } }
           retirements(batchId: $b) { id } verifyJournal { ok checked }
           _entities(representations: [{__typename: "CreditBatch", id: $b},
                                        {__typename: "Account", id: $a}, {__typename: "Organization", id: $o}]) {
             ... on CreditBatch { retiredQuantity } ... on Account { kind } ... on Organization { name } } }""",
        {"id": retired["id"], "b": batch, "a": account, "o": org},
    )
    assert "errors" not in public, public
    public = public["data"]
    assert public["retirement"]["quantity"] == 5
    assert [r["id"] for r in public["retirements"]] == [retired["id"]]
    assert public["verifyJournal"]["ok"] and public["verifyJournal"]["checked"] >= 6
    assert public["_entities"][0]["retiredQuantity"] == 8
    assert public["_entities"][1:] == [{"kind": "HOLDING"}, {"name": "Proponent"}]
    certificate = api(
        "query($id: ID!) { certificate(id: $id) { quantity beneficiary } verifyCertificate(id: $id) { valid } }",
        {"id": retired["certificateId"]},
    )["data"]
    assert certificate["certificate"]["quantity"] == 5 and certificate["verifyCertificate"]["valid"]
    html = api.client.get(f"/certificates/{retired['certificateId']}")
    assert html.status_code == 200 and "Proponent K.K." in html.text and "text/html" in html.headers["content-type"]
    as_json = api.client.get(f"/certificates/{retired['certificateId']}.json")
    assert as_json.status_code == 200 and as_json.json()["quantity"] == 5
    assert api.client.get("/certificates/RC-NOPE.json").status_code == 404


def test_graphql_errors_carry_contract_codes(api: Api) -> None:
    org, account, rest = setup_org(api)
    other, batch = rest.split("|")
    transfer = {"input": {"fromAccountId": account, "toAccountId": other, "batchId": batch, "quantity": 10}}
    assert code(api(TRANSFER, transfer)) == "UNAUTHENTICATED"
    assert code(api(TRANSFER, transfer, as_=tok("bob", "OTHER", "ACCOUNT_HOLDER"))) == "FORBIDDEN"
    holder = tok("alice", org, "ACCOUNT_HOLDER")
    too_much = {"input": {**transfer["input"], "quantity": 101}}
    assert code(api(TRANSFER, too_much, as_=holder)) == "INSUFFICIENT_BALANCE"
    unknown = {"input": {**transfer["input"], "batchId": "NOPE"}}
    assert code(api(TRANSFER, unknown, as_=holder)) == "NOT_FOUND"
    keyed = {"input": {**transfer["input"], "idempotencyKey": "k-1"}}
    first = api(TRANSFER, keyed, as_=holder)["data"]["transferCredits"]
    assert api(TRANSFER, keyed, as_=holder)["data"]["transferCredits"]["id"] == first["id"]
    other_args = {"input": {**keyed["input"], "quantity": 11}}
    assert code(api(TRANSFER, other_args, as_=holder)) == "CONFLICT"
    assert code(api(CREATE_ORG, {"input": {"name": "X", "country": "JP"}}, as_=holder)) == "FORBIDDEN"
    assert code(api(ACCOUNT, {"id": account})) == "UNAUTHENTICATED"
    assert code(api(ACCOUNT, {"id": account}, as_=tok("bob", "OTHER", "ACCOUNT_HOLDER"))) == "FORBIDDEN"
    assert api(ACCOUNT, {"id": account}, as_=tok("eve", None, "AUDITOR"))["data"]["account"]["balance"] == 90
    assert code(api(ACCOUNT, {"id": account}, as_="not-a-jwt")) == "UNAUTHENTICATED"
    zero = {"input": {**transfer["input"], "quantity": 0}}
    assert code(api(TRANSFER, zero, as_=holder)) == "INVALID_ARGUMENT"
