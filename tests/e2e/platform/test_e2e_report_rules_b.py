"""Issue 13 PART B through the gateway: SHK onset, permanent uses checked against eligibility,
disclosure (Fig. 12) and plain decimal numbers, end to end.

One dev stack (broker, four services, Hive Gateway) for all of them, as
tests/e2e/platform/test_e2e_platform.py starts it. Each test quotes the report
(seed/000_50e4ea75cb909522.txt) it enforces. Rules proven below the gateway only: tender averages
rounded to the currency's minor unit (tests/unit/trading/test_domain_tender.py), Article 6 dates in
JST (tests/unit/reporting/test_domain_reporting_article6.py) and "first transfer" as the units leaving
the host Party (tests/integration/registry/test_registry_transfer.py), which need an authorized batch
moved abroad.
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

JST = dt.timezone(dt.timedelta(hours=9))


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
class World:
    proponent: str
    account: str
    buyer_account: str
    proponent_token: str
    japan_reductions: str  # J-Credit solar, Japan: the proponent's own domestic reductions
    kenya_forest: str  # VCS afforestation in Kenya: removals, abroad
    peru_redd: str  # VCS REDD+ in Peru, 2018: a CORSIA pilot-phase unit


def _org(gql: Gql, name: str, verifier: bool = False) -> str:
    q = "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id } }"
    data = gql(q, {"i": {"name": name, "country": "JP", "accreditedVerifier": verifier}}, ADMIN)
    return str(data["createOrganization"]["id"])


def _account(gql: Gql, org: str) -> str:
    q = "mutation($o: ID!) { openAccount(input: {organizationId: $o}) { id } }"
    return str(gql(q, {"o": org}, ADMIN)["openAccount"]["id"])


def _batch(gql: Gql, who: dict[str, str], project: dict[str, Any], period: tuple[str, str], removals: bool) -> str:
    values = {"proponentId": who["proponent"], "verifierId": who["verifier"], "coBenefits": [13], **project}
    q = "mutation($i: CreateProjectInput!) { createProject(input: $i) { id } }"
    project_id = str(gql(q, {"i": values}, who["p_token"])["createProject"]["id"])
    gql("mutation($p: ID!) { requestValidation(projectId: $p) { status } }", {"p": project_id}, who["p_token"])
    gql("mutation($p: ID!) { recordValidation(input: {projectId: $p, outcome: APPROVED}) { status } }",
        {"p": project_id}, who["v_token"])  # fmt: skip
    gql("mutation($p: ID!) { registerProject(projectId: $p) { status } }", {"p": project_id}, ADMIN)
    figures = ({"baselineEmissions": "0", "projectEmissions": "0", "projectRemovals": "600", "baselineRemovals": "0"}
               if removals else {"baselineEmissions": "1000", "projectEmissions": "400"})  # fmt: skip
    submit = "mutation($i: SubmitMonitoringReportInput!) { submitMonitoringReport(input: $i) { id } }"
    report = gql(submit, {"i": {"projectId": project_id, "periodStart": period[0], "periodEnd": period[1], **figures}},
                 who["p_token"])["submitMonitoringReport"]["id"]  # fmt: skip
    gql("mutation($r: ID!) { recordVerification(input: {monitoringReportId: $r, verifiedQuantity: 600}) { id } }",
        {"r": report}, who["v_token"])  # fmt: skip
    issued = gql(
        "mutation($r: ID!, $a: ID!) { issueCredits(input: {monitoringReportId: $r, accountId: $a}) { id } }",
        {"r": report, "a": who["account"]},
        ADMIN,
    )["issueCredits"]
    return str(issued["id"])


@pytest.fixture(scope="module")
def world(gql: Gql) -> World:
    tag = uuid.uuid4().hex[:6]
    proponent, verifier, buyer = (
        _org(gql, f"B Proponent {tag}"),
        _org(gql, f"B Verifier {tag}", True),
        _org(gql, f"B Buyer {tag}"),
    )
    account, buyer_account = _account(gql, proponent), _account(gql, buyer)
    who = {
        "proponent": proponent, "verifier": verifier, "account": account,
        "p_token": token("b-p", proponent, "PROPONENT", "ACCOUNT_HOLDER", "TRADER"),
        "v_token": token("b-v", verifier, "VERIFIER"),
    }  # fmt: skip
    japan = _batch(gql, who, {"name": f"Solar {tag}", "programId": "JCREDIT", "methodologyId": "JCREDIT:EN-R-002",
                              "country": "JP", "creditingPeriodStart": "2023-04-01",
                              "creditingPeriodEnd": "2031-03-31"},
                   ("2023-04-01", "2023-09-30"), removals=False)  # fmt: skip
    kenya = _batch(gql, who, {"name": f"Kenya forest {tag}", "programId": "VCS", "methodologyId": "VCS:VM0047",
                              "country": "KE", "creditingPeriodStart": "2017-01-01",
                              "creditingPeriodEnd": "2046-12-31", "reversalRisk": "LOW"},
                   ("2018-01-01", "2018-12-31"), removals=True)  # fmt: skip
    peru = _batch(gql, who, {"name": f"Peru REDD+ {tag}", "programId": "VCS", "methodologyId": "VCS:VM0015",
                             "country": "PE", "creditingPeriodStart": "2017-01-01",
                             "creditingPeriodEnd": "2026-12-31", "reversalRisk": "HIGH"},
                  ("2018-01-01", "2018-12-31"), removals=False)  # fmt: skip
    return World(proponent, account, buyer_account, who["p_token"], japan, kenya, peru)


def refusal(gql: Gql, query: str, variables: dict[str, Any], bearer: str) -> dict[str, Any]:
    with pytest.raises(GraphQLError) as info:
        gql(query, variables, bearer)
    error = info.value.errors[0]
    extensions: dict[str, Any] = error.get("extensions", {})
    return {"code": extensions.get("code"), "reason": extensions.get("reason"), "message": error["message"]}


RETIRE = "mutation($i: RetireCreditsInput!) { retireCredits(input: $i) { id quantity } }"
CANCEL = "mutation($i: CancelCreditsInput!) { cancelCredits(input: $i) { id quantity purpose } }"
SHK = """query($i: ShkReportInput!) { shkReport(input: $i) {
  reportedEmissions transferredOnset adjustedEmissions onsetTransferIds } }"""


def this_fiscal_year() -> int:
    today = dt.datetime.now(JST).date()
    return today.year if today.month >= 4 else today.year - 1


def retire_input(w: World, batch: str, quantity: int, purpose: str, **extra: Any) -> dict[str, Any]:
    return {"i": {"accountId": w.account, "batchId": batch, "quantity": quantity, "purpose": purpose,
                  "beneficiary": "B Proponent", "retirementYear": dt.datetime.now(JST).year, **extra}}  # fmt: skip


def test_shk_onset_adds_back_only_own_domestic_reduction_credits(gql: Gql, world: World) -> None:
    """図 3: 「カーボン・クレジット発行者が他者にカーボン・クレジットを移転した場合、その移転分の排出削減量は自ら
    主張することが出来ない（カーボン・クレジット移転分のオンセットが必要）」; 脚注 8: 「森林の整備及び保全により
    炭素吸収された温室効果ガスの炭素吸収量として認証された国内認証排出削減量については、この上乗せ報告は対象外で
    ある。」 The proponent transfers 10 t of its Japanese solar J-Credits and 10 t of its Kenyan forest
    credits to a buyer: only the J-Credits are added back."""
    q = "mutation($i: TransferCreditsInput!) { transferCredits(input: $i) { id quantity } }"
    ids = {}
    for batch in (world.japan_reductions, world.kenya_forest):
        moved = gql(q, {"i": {"fromAccountId": world.account, "toAccountId": world.buyer_account, "batchId": batch,
                              "quantity": 10}}, world.proponent_token)["transferCredits"]  # fmt: skip
        ids[batch] = moved["id"]
    variables = {"i": {"organizationId": world.proponent, "fiscalYear": this_fiscal_year(),
                       "reportedEmissions": "1000"}}  # fmt: skip
    report = eventually(lambda: (r := gql(SHK, variables, ADMIN)["shkReport"])["onsetTransferIds"] and r, timeout_s=15)
    assert report["onsetTransferIds"] == [ids[world.japan_reductions]]
    assert report["transferredOnset"] == "10"
    assert report["adjustedEmissions"] == "1010"


def test_decimals_in_the_graph_are_plain_strings_never_exponents(gql: Gql, world: World) -> None:
    """Issue 13 item 9 (「数字は契約どおり」): every Decimal is a plain decimal string. Eight zero decimals come
    back as "0.00000000" (not "0E-8"), and "1E+1" as "10"."""
    for given, shown in (("0.00000000", "0.00000000"), ("1E+1", "10")):
        variables = {"i": {"organizationId": world.proponent, "fiscalYear": 2010, "reportedEmissions": given}}
        assert gql(SHK, variables, ADMIN)["shkReport"]["reportedEmissions"] == shown


def test_corsia_cancellation_is_refused_for_a_batch_corsia_does_not_accept(gql: Gql, world: World) -> None:
    """表 5 第 5 条 2 項三号: 「取消しすることによる、国際的な排出削減制度における活用（ただし、当該制度の実施主体
    により活用が認められた JCM クレジットに限る。…）」; 表 9: J-Credits are no CORSIA pilot-phase units, a 2018
    VCS reduction is. FAILED_PRECONDITION names the rule that refused."""
    cancel = {"accountId": world.account, "quantity": 5, "purpose": "CORSIA", "beneficiary": "B Air"}
    refused = refusal(gql, CANCEL, {"i": {**cancel, "batchId": world.japan_reductions}}, world.proponent_token)
    assert refused["code"] == "FAILED_PRECONDITION"
    assert "CORSIA-PILOT-PROGRAM" in refused["message"]
    done = gql(CANCEL, {"i": {**cancel, "batchId": world.peru_redd}}, world.proponent_token)["cancelCredits"]
    assert (done["quantity"], done["purpose"]) == (5, "CORSIA")


def test_net_zero_neutralization_takes_removals_only(gql: Gql, world: World) -> None:
    """表 6 (SBTi): 「ネットゼロ時点で評価するクレジットは炭素吸収・炭素除去系のみとしている。」"""
    refused = refusal(gql, RETIRE, retire_input(world, world.japan_reductions, 5, "NET_ZERO_NEUTRALIZATION"),
                      world.proponent_token)  # fmt: skip
    assert refused["code"] == "FAILED_PRECONDITION"
    assert "SBTI-NEUTRALIZATION-REMOVALS" in refused["message"]
    done = gql(RETIRE, retire_input(world, world.kenya_forest, 5, "NET_ZERO_NEUTRALIZATION"), world.proponent_token)
    assert done["retireCredits"]["quantity"] == 5


def test_ets_compliance_names_the_scheme_and_table_8_limits_apply(gql: Gql, world: World) -> None:
    """表 8 (California): 「量的制限は 2013 年～2020 年は義務に対し最大 8%、2021 年～2025 年は最大 4%、2026 年
    以降は最大 6%の予定。」 Without a scheme the retirement is refused; against a 1,000 t obligation for 2026,
    70 t is refused by ETS-CA-2026- and 60 t is retired."""
    ets = "ETS_COMPLIANCE"
    refused = refusal(gql, RETIRE, retire_input(world, world.japan_reductions, 5, ets), world.proponent_token)
    assert refused["code"] == "FAILED_PRECONDITION" and "ETS-SCHEME-REQUIRED" in refused["message"]
    california = {"etsScheme": "CALIFORNIA_CAP_AND_TRADE", "etsObligation": 1000, "retirementYear": 2026}
    over = retire_input(world, world.japan_reductions, 70, ets, **california)
    refused = refusal(gql, RETIRE, over, world.proponent_token)
    assert refused["code"] == "FAILED_PRECONDITION" and "ETS-CA-2026-" in refused["message"]
    within = retire_input(world, world.japan_reductions, 60, ets, **california)
    assert gql(RETIRE, within, world.proponent_token)["retireCredits"]["quantity"] == 60


def test_disclosure_shows_permanence_of_removals_and_cancellations_for_offsetting(gql: Gql, world: World) -> None:
    """図 12 「カーボン・クレジット活用時の望ましい情報開示項目（例）」; ISSB 「…クレジットのタイプ（排出削減か炭素
    除去か、炭素除去の場合は自然ベースか技術ベースか等）、認証スキーム、永続性等に係る情報開示を明記している。」
    The forest removal retired for neutralisation carries its permanence; the CORSIA cancellation is listed."""
    year = dt.datetime.now(JST).year
    q = """query($o: ID!, $y: Int!) { disclosureReport(organizationId: $o, year: $y) {
      lines { batch { id } creditType permanence { storage horizonYears bufferSharePercent } }
      cancellations { batch { id } quantity purpose cancelledOn country } } }"""

    def ready() -> Any:
        report = gql(q, {"o": world.proponent, "y": year}, ADMIN)["disclosureReport"]
        kenya = [line for line in report["lines"] if line["batch"]["id"] == world.kenya_forest]
        return report if kenya and report["cancellations"] else None

    report = eventually(ready, timeout_s=15)
    (forest,) = [line for line in report["lines"] if line["batch"]["id"] == world.kenya_forest]
    assert forest["creditType"] == "REMOVAL"
    assert forest["permanence"]["storage"] == "NATURE" and forest["permanence"]["horizonYears"] == 100
    assert "E" not in forest["permanence"]["bufferSharePercent"]
    assert all(line["permanence"] is None for line in report["lines"] if line["creditType"] == "REDUCTION")
    corsia = [c for c in report["cancellations"] if c["batch"]["id"] == world.peru_redd]
    assert corsia == [{"batch": {"id": world.peru_redd}, "quantity": 5, "purpose": "CORSIA",
                       "cancelledOn": dt.datetime.now(JST).date().isoformat(), "country": "PE"}]  # fmt: skip
