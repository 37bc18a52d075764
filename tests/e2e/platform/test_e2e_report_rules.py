"""Issue 13 PART A through the gateway: the Carbon Credit Report's rules, end to end.

One dev stack (broker, four services, Hive Gateway) for all rules, as tests/e2e/platform/test_e2e_platform.py
starts it. Each test quotes the report (seed/000_50e4ea75cb909522.txt) it enforces. NDC use (償却) is a
registry-administrator gRPC call outside the public graph, so its rules are proven over the registry's
handlers (tests/unit/registry/test_registry_ndc_use_rules.py).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.platform.support import ADMIN, eventually
from tests.support.gql import Gql, GraphQLError, token
from tooling.devstack import DevStack, StackConfig

pytestmark = pytest.mark.e2e

NDC_AND_OIMP = {"letterId": "LoA-PE-1", "purposes": ["NDC", "OIMP"], "authorizedOn": "2019-06-01"}
NDC_ONLY = {"letterId": "LoA-US-1", "purposes": ["NDC"], "authorizedOn": "2021-06-01"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    config = StackConfig.ephemeral(Path(tmp_path_factory.mktemp("stack")))
    with DevStack(config) as s:
        yield s


@pytest.fixture(scope="module")
def gql(stack: DevStack) -> Iterator[Gql]:
    client = Gql(stack.config.gateway_url)
    yield client
    client.close()


@dataclass
class Parties:
    proponent: str
    verifier: str
    account: str
    proponent_token: str
    verifier_token: str


@pytest.fixture(scope="module")
def parties(gql: Gql) -> Parties:
    tag = uuid.uuid4().hex[:6]

    def org(name: str, verifier: bool) -> str:
        q = "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id } }"
        return str(
            gql(q, {"i": {"name": name, "country": "JP", "accreditedVerifier": verifier}}, ADMIN)["createOrganization"][
                "id"
            ]
        )

    proponent = org(f"Rules Proponent {tag}", False)
    verifier = org(f"Rules Verifier {tag}", True)
    account = str(
        gql("mutation($o: ID!) { openAccount(input: {organizationId: $o}) { id } }", {"o": proponent}, ADMIN)[
            "openAccount"
        ]["id"]
    )
    return Parties(
        proponent,
        verifier,
        account,
        token("rules-p", proponent, "PROPONENT", "ACCOUNT_HOLDER", "TRADER"),
        token("rules-v", verifier, "VERIFIER"),
    )  # fmt: skip


def registered_project(gql: Gql, p: Parties, **fields: Any) -> str:
    values: dict[str, Any] = {"proponentId": p.proponent, "verifierId": p.verifier, "coBenefits": [13]}
    values.update(fields)
    q = "mutation($i: CreateProjectInput!) { createProject(input: $i) { id } }"
    project = str(gql(q, {"i": values}, p.proponent_token)["createProject"]["id"])
    gql("mutation($p: ID!) { requestValidation(projectId: $p) { status } }", {"p": project}, p.proponent_token)
    gql("mutation($p: ID!) { recordValidation(input: {projectId: $p, outcome: APPROVED}) { status } }",
        {"p": project}, p.verifier_token)  # fmt: skip
    gql("mutation($p: ID!) { registerProject(projectId: $p) { status } }", {"p": project}, ADMIN)
    return project


SUBMIT = "mutation($i: SubmitMonitoringReportInput!) { submitMonitoringReport(input: $i) { id claimedQuantity } }"


def report_input(project: str, start: str, end: str, removals: bool = False) -> dict[str, Any]:
    figures = ({"baselineEmissions": "0", "projectEmissions": "0", "projectRemovals": "600", "baselineRemovals": "0"}
               if removals else {"baselineEmissions": "1000", "projectEmissions": "400"})  # fmt: skip
    return {"i": {"projectId": project, "periodStart": start, "periodEnd": end, **figures}}


def issue(gql: Gql, p: Parties, project: str, start: str, end: str, removals: bool = False) -> dict[str, Any]:
    report_vars = report_input(project, start, end, removals)
    report = str(gql(SUBMIT, report_vars, p.proponent_token)["submitMonitoringReport"]["id"])
    gql("mutation($r: ID!) { recordVerification(input: {monitoringReportId: $r, verifiedQuantity: 600}) { id } }",
        {"r": report}, p.verifier_token)  # fmt: skip
    batch: dict[str, Any] = gql(
        """mutation($r: ID!, $a: ID!) { issueCredits(input: {monitoringReportId: $r, accountId: $a}) {
             id issuedQuantity bufferQuantity category correspondingAdjustment authorization } }""",
        {"r": report, "a": p.account},
        ADMIN,
    )["issueCredits"]
    return batch


def refusal(gql: Gql, query: str, variables: dict[str, Any], bearer: str) -> dict[str, Any]:
    with pytest.raises(GraphQLError) as info:
        gql(query, variables, bearer)
    extensions: dict[str, Any] = info.value.errors[0].get("extensions", {})
    return {
        "code": extensions.get("code"),
        "reason": extensions.get("reason"),
        "message": info.value.errors[0]["message"],
    }


def decision(gql: Gql, batch_id: str, use: str) -> dict[str, Any]:
    q = """query($b: ID!, $u: InstitutionalUse!) { eligibilityDecision(batchId: $b, use: $u) {
             eligible reason rules { ruleId version passed } } }"""
    result: dict[str, Any] = eventually(lambda: gql(q, {"b": batch_id, "u": use}, ADMIN)["eligibilityDecision"])
    return result


@pytest.fixture(scope="module")
def redd(gql: Gql, parties: Parties) -> str:
    """A Peruvian REDD+ project, authorized for NDC and OIMP, first crediting period from 2019."""
    return registered_project(
        gql, parties, name="Madre de Dios REDD+", programId="VCS", methodologyId="VCS:VM0015", country="PE",
        creditingPeriodStart="2019-01-01", creditingPeriodEnd="2028-12-31", reversalRisk="HIGH",
        authorization=NDC_AND_OIMP,
    )  # fmt: skip


def test_monitoring_period_that_has_not_ended_is_invalid_argument(gql: Gql, parties: Parties, redd: str) -> None:
    """Item 5. §2.1: 「MRV（測定・報告・検証）を経て」 credits are certified; 表 1 Real: 「全ての排出削減・炭素吸収・
    炭素除去活動は、真に行われたことが証明されなければならない。」"""
    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)).isoformat()
    error = refusal(gql, SUBMIT, report_input(redd, "2026-01-01", tomorrow), parties.proponent_token)
    assert (error["code"], error["reason"]) == ("INVALID_ARGUMENT", "MONITORING_PERIOD_NOT_ENDED")


def test_batch_straddling_2021_is_refused_and_ca_only_from_2021(gql: Gql, parties: Parties, redd: str) -> None:
    """Item 4. 表 4 (ITMOs の定義): 「2021 年以降の緩和成果」; 脚注 27: 「対象ビンテージが 2021 年 1 月 1 日以降の
    クレジットについては、…相当調整を行うことが定められている。」"""
    error = refusal(gql, SUBMIT, report_input(redd, "2020-07-01", "2021-06-30"), parties.proponent_token)
    assert (error["code"], error["reason"]) == ("INVALID_ARGUMENT", "VINTAGE_STRADDLES_2021")
    assert "split" in error["message"]
    before = issue(gql, parties, redd, "2020-01-01", "2020-12-31")
    after = issue(gql, parties, redd, "2021-01-01", "2021-12-31")
    # CreditBatch.authorization is the registry's proto enum name (AUTHORIZATION_<vocabulary value>).
    assert (before["correspondingAdjustment"], before["authorization"]) == (False, "AUTHORIZATION_NONE")
    assert (after["correspondingAdjustment"], after["authorization"]) == (
        True,
        "AUTHORIZATION_NDC_AND_OTHER_INTERNATIONAL_MITIGATION",
    )
    # Item 7. 表 1 Permanent 「プロジェクトに可逆性リスクがある場合」: REDD+ carries a buffer share.
    assert before["bufferQuantity"] > 0 and after["bufferQuantity"] > 0
    # Item 1. 表 9 「2016 年 1 月 1 日登録～2020 年 12 月 31 日までの削減量」 (VCS): the 2020 batch of a 2019
    # activity is CORSIA-eligible, the 2021 one is outside VCS's window even with CA.
    assert decision(gql, before["id"], "CORSIA")["eligible"] is True
    late = decision(gql, after["id"], "CORSIA")
    assert late["eligible"] is False and "CORSIA-PILOT-VINTAGE v2" in late["reason"]


def test_corsia_cut_off_reads_the_crediting_period_not_the_platform_registration(gql: Gql, parties: Parties) -> None:
    """Item 1. 表 9: 「2016 年 1 月 1 日登録～」. The project is registered on this platform today, but its first
    crediting period began in 2015, so its 2016 reductions are not CORSIA units."""
    project = registered_project(
        gql, parties, name="Early REDD+", programId="VCS", methodologyId="VCS:VM0007", country="PE",
        creditingPeriodStart="2015-06-01", creditingPeriodEnd="2025-05-31", reversalRisk="MEDIUM",
    )  # fmt: skip
    batch = issue(gql, parties, project, "2016-01-01", "2016-12-31")
    result = decision(gql, batch["id"], "CORSIA")
    assert result["eligible"] is False
    failed = {r["ruleId"] for r in result["rules"] if not r["passed"]}
    assert failed == {"CORSIA-PILOT-REGISTRATION"}
    assert "2015-06-01" in result["reason"]


def test_ndc_only_authorization_does_not_satisfy_corsia(gql: Gql, parties: Parties) -> None:
    """Item 4. 表 4: CORSIA is among 「NDC 達成以外の国際緩和目的」; an authorization for NDC use only does not
    cover it, even for ACR, whose window runs to 2023 (表 9 ※ACR と ART は相当調整を行うことに言及)."""
    project = registered_project(
        gql, parties, name="Forest carbon, Maine", programId="ACR", methodologyId="ACR:IFM-NF",
        country="US", creditingPeriodStart="2021-01-01", creditingPeriodEnd="2030-12-31", reversalRisk="LOW",
        authorization=NDC_ONLY,
    )  # fmt: skip
    batch = issue(gql, parties, project, "2022-01-01", "2022-12-31", removals=True)
    assert batch["correspondingAdjustment"] is True
    result = decision(gql, batch["id"], "CORSIA")
    assert result["eligible"] is False
    assert {r["ruleId"] for r in result["rules"] if not r["passed"]} == {"CORSIA-ART6-CA"}


def test_jcm_is_category_1_and_counts_toward_japans_ndc(gql: Gql, parties: Parties) -> None:
    """Item 2. §6.1.1 (１) 「我が国の NDC の達成に資するカーボン・クレジット」（具体例） 「JCM」; 表 5 第 5 条:
    「2021 年 1 月 1 日以降に実現した排出削減・吸収に対して発行された JCM クレジットについて、無効化…された量を、
    日本国の NDC の達成に活用することができる。」 Issuance, the registry and reporting agree."""
    project = registered_project(
        gql, parties, name="High-efficiency boilers, Ulaanbaatar", programId="JCM", methodologyId="JCM:MN_AM002",
        country="MN", creditingPeriodStart="2022-01-01", creditingPeriodEnd="2030-12-31",
    )  # fmt: skip
    batch = issue(gql, parties, project, "2023-01-01", "2023-12-31")
    assert batch["category"] == "NDC_CONTRIBUTING"
    retired = gql(
        """mutation($i: RetireCreditsInput!) { retireCredits(input: $i) { countsTowardJapanNdc } }""",
        {"i": {"accountId": parties.account, "batchId": batch["id"], "quantity": 10, "purpose": "SHK_ADJUSTMENT",
               "beneficiary": "Rules Proponent", "retirementYear": 2025}},
        parties.proponent_token,
    )["retireCredits"]  # fmt: skip
    assert retired["countsTowardJapanNdc"] is True
    assert decision(gql, batch["id"], "SHK_MANDATORY")["eligible"] is True


def test_reversal_risk_is_the_contracts_enum(gql: Gql, parties: Parties) -> None:
    """Item 7. credit-graph-2: `reversalRisk: ReversalRisk` on CreateProjectInput; an unknown rating is
    refused by the schema itself."""
    q = """mutation($p: ID!, $v: ID!) { createProject(input: {name: "Biochar", programId: "VCS",
             methodologyId: "VCS:VM0015", country: "PE", proponentId: $p, verifierId: $v,
             reversalRisk: VERY_HIGH}) { id reversalRisk } }"""
    created = gql(q, {"p": parties.proponent, "v": parties.verifier}, parties.proponent_token)["createProject"]
    assert created["reversalRisk"] == "VERY_HIGH"
    body = gql.raw(q.replace("VERY_HIGH", "EXTREME"), {"p": parties.proponent, "v": parties.verifier},
                   parties.proponent_token)  # fmt: skip
    assert body.get("errors")
