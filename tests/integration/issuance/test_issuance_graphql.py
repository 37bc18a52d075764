"""The issuance subgraph over HTTP (FastAPI app from bootstrap), with dev tokens: the contract's
mutations and queries, and the contract's error codes in extensions.code."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.issuance.bootstrap import bootstrap
from services.issuance.settings import IssuanceSettings
from tests.integration.issuance.support import (
    ADMIN,
    HOLDING_ACCOUNT,
    PROPONENT,
    PROPONENT_ORG,
    VERIFIER,
    VERIFIER_ORG,
    FakeRegistry,
)
from tests.support.databases import MigratedDatabaseUrl
from tooling.devstack import free_port

PROJECT_FIELDS = (
    "id name status country coBenefits program { id name } methodology { id creditType basis } proponent { id }"
)


class Api:
    def __init__(self, client: TestClient, registry: FakeRegistry) -> None:
        self.client = client
        self.registry = registry

    def raw(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = self.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        body: dict[str, Any] = response.json()
        return body

    def ok(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> Any:
        body = self.raw(query, variables, token)
        assert not body.get("errors"), body
        return body["data"]

    def code(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> str:
        body = self.raw(query, variables, token)
        assert body.get("errors"), body
        return str(body["errors"][0]["extensions"]["code"])


@pytest.fixture
def api(migrated_database_url: MigratedDatabaseUrl) -> Iterator[Api]:
    database_url = migrated_database_url("issuance")
    registry = FakeRegistry()
    settings = IssuanceSettings(
        database_url=database_url, http_port=free_port(), grpc_port=free_port(), kafka_bootstrap_servers=None
    )
    process = bootstrap(settings, registry=registry)
    with TestClient(process.http_app) as client:
        yield Api(client, registry)
    for stop in process.on_stop:
        stop()


CREATE = f"mutation($input: CreateProjectInput!) {{ createProject(input: $input) {{ {PROJECT_FIELDS} }} }}"
SUBMIT = """mutation($input: SubmitMonitoringReportInput!) { submitMonitoringReport(input: $input) {
  id claimedQuantity verifiedQuantity baselineEmissions leakageEmissions verifier { id } project { id } } }"""
ISSUE = """mutation($input: IssueCreditsInput!) { issueCredits(input: $input) {
  id issuedQuantity bufferQuantity serialStart serialEnd creditType basis category correspondingAdjustment
  vintageStart vintageEnd project { id name } } }"""


def _project_input(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "Boiler replacement, Osaka",
        "programId": "JCREDIT",
        "methodologyId": "JCREDIT:EN-S-001",
        "country": "JP",
        "proponentId": PROPONENT_ORG,
        "verifierId": VERIFIER_ORG,
        "creditingPeriodStart": "2024-01-01",
        "creditingPeriodEnd": "2028-12-31",
        "coBenefits": [7, 13],
    }
    values.update(overrides)
    return values


def _registered(api: Api) -> str:
    project_id = str(api.ok(CREATE, {"input": _project_input()}, PROPONENT.token)["createProject"]["id"])
    api.ok("mutation($id: ID!) { requestValidation(projectId: $id) { status } }", {"id": project_id}, PROPONENT.token)
    validated = api.ok(
        "mutation($i: RecordValidationInput!) { recordValidation(input: $i) { status } }",
        {"i": {"projectId": project_id, "outcome": "APPROVED", "comment": "sound"}},
        VERIFIER.token,
    )
    assert validated["recordValidation"]["status"] == "VALIDATED"
    registered = api.ok(
        "mutation($id: ID!) { registerProject(projectId: $id) { status } }", {"id": project_id}, ADMIN.token
    )
    assert registered["registerProject"]["status"] == "REGISTERED"
    return project_id


def _verified_report(api: Api, project_id: str) -> str:
    report = api.ok(
        SUBMIT,
        {
            "input": {
                "projectId": project_id,
                "periodStart": "2024-01-01",
                "periodEnd": "2024-12-31",
                "baselineEmissions": "1000.9",
                "projectEmissions": "400.2",
            }
        },
        PROPONENT.token,
    )["submitMonitoringReport"]
    assert (report["claimedQuantity"], report["verifiedQuantity"], report["leakageEmissions"]) == (600, None, "0")
    verified = api.ok(
        "mutation($i: RecordVerificationInput!) { recordVerification(input: $i) { verifiedQuantity verifier { id } } }",
        {"i": {"monitoringReportId": report["id"], "verifiedQuantity": 590}},
        VERIFIER.token,
    )["recordVerification"]
    assert verified == {"verifiedQuantity": 590, "verifier": {"id": VERIFIER_ORG}}
    return str(report["id"])


def test_the_certification_steps_through_graphql_issue_a_batch_that_can_be_read_back(api: Api) -> None:
    project_id = _registered(api)
    report_id = _verified_report(api, project_id)
    batch = api.ok(ISSUE, {"input": {"monitoringReportId": report_id, "accountId": HOLDING_ACCOUNT}}, ADMIN.token)[
        "issueCredits"
    ]
    assert (batch["issuedQuantity"], batch["bufferQuantity"], batch["category"], batch["creditType"]) == (
        590,
        0,
        "NDC_CONTRIBUTING",
        "REDUCTION",
    )
    assert (batch["vintageStart"], batch["vintageEnd"], batch["project"]["id"]) == (
        "2024-01-01",
        "2024-12-31",
        project_id,
    )
    read = api.ok(
        """query($id: ID!, $p: ID!) { creditBatch(id: $id) { id serialStart }
           project(id: $p) { status coBenefits batches { id } monitoringReports { id verifiedQuantity } } }""",
        {"id": batch["id"], "p": project_id},
    )
    assert read["creditBatch"] == {"id": batch["id"], "serialStart": batch["serialStart"]}
    assert read["project"]["batches"] == [{"id": batch["id"]}]
    assert read["project"]["monitoringReports"] == [{"id": report_id, "verifiedQuantity": 590}]
    again = api.code(ISSUE, {"input": {"monitoringReportId": report_id, "accountId": "acct-other"}}, ADMIN.token)
    assert again == "CONFLICT"


def test_graphql_refusals_carry_the_contract_error_codes(api: Api) -> None:
    assert api.code(CREATE, {"input": _project_input()}) == "UNAUTHENTICATED"
    assert api.code(CREATE, {"input": _project_input()}, VERIFIER.token) == "FORBIDDEN"
    assert api.code(CREATE, {"input": _project_input(verifierId=PROPONENT_ORG)}, PROPONENT.token) == "INVALID_ARGUMENT"
    assert api.code(CREATE, {"input": _project_input(programId="NOPE")}, PROPONENT.token) == "NOT_FOUND"
    assert api.code(CREATE, {"input": _project_input()}, "not-a-jwt") == "UNAUTHENTICATED"
    project_id = _registered(api)
    for bad in ("abc", "NaN", "Infinity"):
        submit = {
            "projectId": project_id,
            "periodStart": "2024-01-01",
            "periodEnd": "2024-12-31",
            "baselineEmissions": bad,
            "projectEmissions": "1",
        }
        assert api.code(SUBMIT, {"input": submit}, PROPONENT.token) == "INVALID_ARGUMENT", bad
    assert (
        api.code("mutation($id: ID!) { registerProject(projectId: $id) { id } }", {"id": project_id}, ADMIN.token)
        == "FAILED_PRECONDITION"
    )
    assert api.ok('query { project(id: "nope") { id } }') == {"project": None}


def test_issue_credits_over_graphql_is_unavailable_while_the_registry_is_down_and_retry_succeeds(api: Api) -> None:
    report_id = _verified_report(api, _registered(api))
    variables = {"input": {"monitoringReportId": report_id, "accountId": HOLDING_ACCOUNT, "idempotencyKey": "k"}}
    api.registry.down = True
    assert api.code(ISSUE, variables, ADMIN.token) == "UNAVAILABLE"
    api.registry.down = False
    first = api.ok(ISSUE, variables, ADMIN.token)["issueCredits"]["id"]
    assert api.ok(ISSUE, variables, ADMIN.token)["issueCredits"]["id"] == first
    assert len(api.registry.minted) == 1


def test_reference_data_and_project_listing_queries(api: Api) -> None:
    programs = api.ok("{ programs { id name } }")["programs"]
    assert {"id": "JCM", "name": "Joint Crediting Mechanism"} in programs
    methodologies = api.ok('{ methodologies(programId: "JBLUE") { id program { id } creditType basis } }')
    assert {m["program"]["id"] for m in methodologies["methodologies"]} == {"JBLUE"}
    for name in ("A", "B", "C"):
        api.ok(CREATE, {"input": _project_input(name=name)}, PROPONENT.token)
    api.ok(
        CREATE,
        {"input": _project_input(name="Cookstoves", programId="GS", methodologyId="GS:MMECD", country="KE")},
        PROPONENT.token,
    )
    query = """query($after: String) {
      projects(filter: {programId: "JCREDIT", status: DRAFT}, first: 2, after: $after) {
        nodes { name } endCursor hasNextPage } }"""
    page1 = api.ok(query)["projects"]
    page2 = api.ok(query, {"after": page1["endCursor"]})["projects"]
    assert ([n["name"] for n in page1["nodes"]], page1["hasNextPage"]) == (["A", "B"], True)
    assert ([n["name"] for n in page2["nodes"]], page2["hasNextPage"]) == (["C"], False)
    by_country = api.ok('{ projects(filter: {country: "KE", creditType: REDUCTION}) { nodes { name } } }')
    assert by_country["projects"]["nodes"] == [{"name": "Cookstoves"}]
    assert api.code('{ projects(first: 1, after: "!!!") { hasNextPage } }') == "INVALID_ARGUMENT"


def test_program_admin_edits_reference_data_over_graphql(api: Api) -> None:
    created = api.ok(
        """mutation { createProgram(input: {id: "PURO", name: "Puro.earth", operator: "Puro.earth Oy",
           scope: "INTERNATIONAL"}) { id name } }""",
        token=ADMIN.token,
    )
    assert created == {"createProgram": {"id": "PURO", "name": "Puro.earth"}}
    methodology = api.ok(
        """mutation { createMethodology(input: {programId: "PURO", code: "BC", title: "Biochar", creditType: REMOVAL,
           basis: TECHNOLOGY, sector: "CARBON_DIOXIDE_REMOVAL", family: "BIOCHAR"}) { id program { id } } }""",
        token=ADMIN.token,
    )
    assert methodology == {"createMethodology": {"id": "PURO:BC", "program": {"id": "PURO"}}}
    assert api.code('mutation { updateProgram(input: {id: "PURO", name: "x"}) { id } }', token=PROPONENT.token) == (
        "FORBIDDEN"
    )
    assert api.code('mutation { updateProgram(input: {id: "PURO", scope: "GALACTIC"}) { id } }', token=ADMIN.token) == (
        "INVALID_ARGUMENT"
    )
