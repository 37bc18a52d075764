"""The platform e2e tests' shared world: organizations, accounts and a batch issued through the full
MRV lifecycle via the gateway (tests/e2e/platform/test_e2e_platform.py, test_e2e_tracing.py)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from tests.support.gql import Gql, GraphQLError, token

ADMIN = token("admin", None, "REGISTRY_ADMIN", "PROGRAM_ADMIN", "EXCHANGE_ADMIN")


def eventually(check: Callable[[], Any], timeout_s: float = 10.0) -> Any:
    """Reporting is eventually consistent (contract: within 5 s in the dev stack)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            result = check()
            if result:
                return result
        except (AssertionError, GraphQLError):
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.25)


def _org(gql: Gql, name: str, verifier: bool = False) -> str:
    q = "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id accreditedVerifier } }"
    data = gql(q, {"i": {"name": name, "country": "JP", "accreditedVerifier": verifier}}, ADMIN)
    return str(data["createOrganization"]["id"])


def _account(gql: Gql, org: str) -> str:
    q = "mutation($o: ID!) { openAccount(input: {organizationId: $o}) { id kind } }"
    return str(gql(q, {"o": org}, ADMIN)["openAccount"]["id"])


class World:
    """Organizations, accounts and a batch issued through the full MRV lifecycle."""

    def __init__(self, gql: Gql) -> None:
        tag = uuid.uuid4().hex[:6]
        self.proponent = _org(gql, f"Forest Owner {tag}")
        self.verifier = _org(gql, f"Verifier {tag}", verifier=True)
        self.buyer = _org(gql, f"Buyer {tag}")
        self.proponent_account = _account(gql, self.proponent)
        self.buyer_account = _account(gql, self.buyer)
        self.proponent_token = token("p-user", self.proponent, "PROPONENT", "ACCOUNT_HOLDER", "TRADER")
        self.verifier_token = token("v-user", self.verifier, "VERIFIER")
        self.buyer_token = token("b-user", self.buyer, "ACCOUNT_HOLDER", "TRADER")

        project = gql(
            """mutation($i: CreateProjectInput!) { createProject(input: $i) { id status } }""",
            {"i": {
                "name": f"Kumamoto forest management {tag}", "programId": "JCREDIT",
                "methodologyId": "JCREDIT:FO-001", "country": "JP", "proponentId": self.proponent,
                "verifierId": self.verifier, "creditingPeriodStart": "2023-04-01",
                "creditingPeriodEnd": "2031-03-31", "coBenefits": [13, 15], "reversalRisk": "LOW",
            }},
            self.proponent_token,
        )["createProject"]  # fmt: skip
        self.project = str(project["id"])
        assert project["status"] == "DRAFT"
        gql("mutation($p: ID!) { requestValidation(projectId: $p) { status } }", {"p": self.project},
            self.proponent_token)  # fmt: skip
        validated = gql(
            "mutation($p: ID!) { recordValidation(input: {projectId: $p, outcome: APPROVED}) { status } }",
            {"p": self.project},
            self.verifier_token,
        )
        assert validated["recordValidation"]["status"] == "VALIDATED"
        registered = gql("mutation($p: ID!) { registerProject(projectId: $p) { status } }", {"p": self.project}, ADMIN)
        assert registered["registerProject"]["status"] == "REGISTERED"
        report = gql(
            """mutation($i: SubmitMonitoringReportInput!) {
                 submitMonitoringReport(input: $i) { id claimedQuantity } }""",
            {"i": {
                "projectId": self.project, "periodStart": "2023-04-01", "periodEnd": "2024-03-31",
                "baselineEmissions": "0", "projectEmissions": "0", "leakageEmissions": "0.4",
                "projectRemovals": "1250.9", "baselineRemovals": "50.2",
            }},
            self.proponent_token,
        )["submitMonitoringReport"]  # fmt: skip
        # Removals: floor(1250.9 - 50.2 - 0.4) = 1200 whole tonnes claimed.
        assert report["claimedQuantity"] == 1200
        self.report = str(report["id"])
        gql(
            "mutation($r: ID!) { recordVerification(input: {monitoringReportId: $r, verifiedQuantity: 1000}) { id } }",
            {"r": self.report},
            self.verifier_token,
        )
        batch = gql(
            """mutation($r: ID!, $a: ID!) { issueCredits(input: {monitoringReportId: $r, accountId: $a}) {
                 id issuedQuantity bufferQuantity serialStart serialEnd category creditType } }""",
            {"r": self.report, "a": self.proponent_account},
            ADMIN,
        )["issueCredits"]
        self.batch = str(batch["id"])
        self.issued = batch
