"""The whole platform (broker, four services, Hive Gateway) as `make dev` runs it, on free ports with
SQLite files in a temporary directory, per-client rate limits off:

(a) end to end: N participants at once (threads), each issuing a batch through the full MRV
    lifecycle, transferring, trading (a sell and a buy that match, settled DvP against the registry)
    and retiring through the gateway, phase by phase; throughput and p50/p99 per operation; the
    reporting lag (a retirement's response until disclosureReport shows it); then the
    reconciliation report (issuance vs registry vs reporting) and its discrepancy count.
(b) gateway overhead: creditBatch with fields of all four subgraphs through the gateway vs the same
    data fetched from the subgraphs directly (issuance creditBatch + _entities on the other three).
(c) placeOrder end to end through gRPC (TradingService.PlaceOrder, TRADER token in metadata) vs
    through the gateway: non-crossing 1 t sell orders, each locking units in the registry.

`python -m bench --only bench_platform [--quick]`.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import httpx
from carbon.trading.v1 import trading_pb2, trading_pb2_grpc, types_pb2

from bench.common import latency_summary, percentile_ms, ratio, timed_loop
from carbon_runtime.settings import DEV_JWT_SECRET
from carbon_runtime.transport.auth import issue_dev_token
from tooling.devstack import SERVICES, DevStack, StackConfig

ADMIN = issue_dev_token(
    DEV_JWT_SECRET, "bench-admin", None, ("REGISTRY_ADMIN", "PROGRAM_ADMIN", "EXCHANGE_ADMIN", "AUDITOR")
)
TRANSFERS_PER_PARTICIPANT = 5
TRADES_PER_PARTICIPANT = 3
RETIREMENTS_PER_PARTICIPANT = 5
LAG_SAMPLES_PER_PARTICIPANT = 3
LAG_POLL_S = 0.02
LAG_TIMEOUT_S = 30.0
SELL_PRICE_JPY = 100_000  # far above every bid: the placeOrder benchmark's sells never match


def token(sub: str, org: str | None, *roles: str) -> str:
    return issue_dev_token(DEV_JWT_SECRET, sub, org, roles)


class GraphQLCallError(RuntimeError):
    pass


class Client:
    """GraphQL over HTTP with one keep-alive connection (one per thread)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(timeout=60.0)

    def __call__(self, query: str, variables: dict[str, Any] | None = None, bearer: str | None = None) -> Any:
        headers = {"authorization": f"Bearer {bearer}"} if bearer else {}
        response = self.http.post(self.url, json={"query": query, "variables": variables or {}}, headers=headers)
        body: dict[str, Any] = response.json()
        if body.get("errors"):
            raise GraphQLCallError(str(body["errors"])[:500])
        return body["data"]

    def close(self) -> None:
        self.http.close()


@dataclass
class Recorder:
    """Latencies per operation name, from every thread."""

    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def time(self, operation: str, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            result = call()
        except Exception:
            with self.lock:
                self.errors[operation] += 1
            raise
        elapsed = time.perf_counter() - started
        with self.lock:
            self.samples[operation].append(elapsed)
        return result


# --- (a) participants ------------------------------------------------------------------------------------

Q_ORG = "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id } }"
Q_ACCOUNT = "mutation($o: ID!) { openAccount(input: {organizationId: $o}) { id } }"
Q_PROJECT = "mutation($i: CreateProjectInput!) { createProject(input: $i) { id status } }"
Q_REQUEST_VALIDATION = "mutation($p: ID!) { requestValidation(projectId: $p) { status } }"
Q_RECORD_VALIDATION = "mutation($p: ID!) { recordValidation(input: {projectId: $p, outcome: APPROVED}) { status } }"
Q_REGISTER = "mutation($p: ID!) { registerProject(projectId: $p) { status } }"
Q_REPORT = "mutation($i: SubmitMonitoringReportInput!) { submitMonitoringReport(input: $i) { id claimedQuantity } }"
Q_VERIFY = "mutation($r: ID!) { recordVerification(input: {monitoringReportId: $r, verifiedQuantity: 1000}) { id } }"
Q_ISSUE = (
    "mutation($r: ID!, $a: ID!) { issueCredits(input: {monitoringReportId: $r, accountId: $a}) "
    "{ id issuedQuantity bufferQuantity } }"
)
Q_TRANSFER = "mutation($i: TransferCreditsInput!) { transferCredits(input: $i) { quantity } }"
Q_INSTRUMENT = "mutation($i: CreateInstrumentInput!) { createInstrument(input: $i) { id } }"
Q_DEPOSIT = (
    'mutation($o: ID!) { depositFunds(input: {organizationId: $o, currency: "JPY", amount: "1000000"}) { available } }'
)
Q_PLACE = "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id status filledQuantity } }"
Q_RETIRE = "mutation($i: RetireCreditsInput!) { retireCredits(input: $i) { id quantity } }"
Q_DISCLOSURE = "query($o: ID!) { disclosureReport(organizationId: $o, year: 2024) { totalQuantity } }"
Q_TRADES = "query($i: ID!) { trades(instrumentId: $i) { quantity settled } }"
Q_RECONCILE = (
    "{ reconciliationReport { batchesChecked discrepancies { batchId measure leftSource leftQuantity "
    "rightSource rightQuantity description } } }"
)


@dataclass
class Participant:
    """A proponent (who also sells) and a buyer, with accounts, a batch and an instrument."""

    index: int
    gql: Client
    rec: Recorder
    verifier: str
    verifier_token: str
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    proponent: str = ""
    buyer: str = ""
    proponent_account: str = ""
    buyer_account: str = ""
    proponent_token: str = ""
    buyer_token: str = ""
    batch: str = ""
    instrument: str = ""
    retired_t: int = 0

    def call(self, operation: str, query: str, variables: dict[str, Any], bearer: str) -> Any:
        return self.rec.time(operation, lambda: self.gql(query, variables, bearer))

    def setup(self) -> None:
        org_input = {"name": f"Bench proponent {self.tag}", "country": "JP", "accreditedVerifier": False}
        self.proponent = self.call("createOrganization", Q_ORG, {"i": org_input}, ADMIN)["createOrganization"]["id"]
        buyer_input = {"name": f"Bench buyer {self.tag}", "country": "JP", "accreditedVerifier": False}
        self.buyer = self.call("createOrganization", Q_ORG, {"i": buyer_input}, ADMIN)["createOrganization"]["id"]
        self.proponent_account = self.call("openAccount", Q_ACCOUNT, {"o": self.proponent}, ADMIN)["openAccount"]["id"]
        self.buyer_account = self.call("openAccount", Q_ACCOUNT, {"o": self.buyer}, ADMIN)["openAccount"]["id"]
        self.proponent_token = token(f"p-{self.tag}", self.proponent, "PROPONENT", "ACCOUNT_HOLDER", "TRADER")
        self.buyer_token = token(f"b-{self.tag}", self.buyer, "ACCOUNT_HOLDER", "TRADER")

    def issue(self) -> None:
        """The MRV lifecycle, design to issuance: seven calls, timed one by one and as a whole."""
        started = time.perf_counter()
        project_input = {
            "name": f"Bench forest {self.tag}", "programId": "JCREDIT", "methodologyId": "JCREDIT:FO-001",
            "country": "JP", "proponentId": self.proponent, "verifierId": self.verifier,
            "creditingPeriodStart": "2023-04-01", "creditingPeriodEnd": "2031-03-31", "coBenefits": [13, 15],
            "reversalRisk": "LOW",
        }  # fmt: skip
        project = self.call("createProject", Q_PROJECT, {"i": project_input}, self.proponent_token)
        project_id = project["createProject"]["id"]
        self.call("requestValidation", Q_REQUEST_VALIDATION, {"p": project_id}, self.proponent_token)
        self.call("recordValidation", Q_RECORD_VALIDATION, {"p": project_id}, self.verifier_token)
        self.call("registerProject", Q_REGISTER, {"p": project_id}, ADMIN)
        report_input = {
            "projectId": project_id, "periodStart": "2023-04-01", "periodEnd": "2024-03-31",
            "baselineEmissions": "0", "projectEmissions": "0", "leakageEmissions": "0.4",
            "projectRemovals": "1250.9", "baselineRemovals": "50.2",
        }  # fmt: skip
        report = self.call("submitMonitoringReport", Q_REPORT, {"i": report_input}, self.proponent_token)
        report_id = report["submitMonitoringReport"]["id"]
        self.call("recordVerification", Q_VERIFY, {"r": report_id}, self.verifier_token)
        issued = self.call("issueCredits", Q_ISSUE, {"r": report_id, "a": self.proponent_account}, ADMIN)
        self.batch = issued["issueCredits"]["id"]
        with self.rec.lock:
            self.rec.samples["MRV lifecycle (7 calls)"].append(time.perf_counter() - started)

    def transfer(self) -> None:
        for n in range(TRANSFERS_PER_PARTICIPANT):
            transfer_input = {
                "fromAccountId": self.proponent_account, "toAccountId": self.buyer_account, "batchId": self.batch,
                "quantity": 10, "idempotencyKey": f"bench-t-{self.tag}-{n}",
            }  # fmt: skip
            self.call("transferCredits", Q_TRANSFER, {"i": transfer_input}, self.proponent_token)

    def prepare_trading(self) -> None:
        instrument_input = {
            "name": f"Bench instrument {self.tag}", "currency": "JPY", "tickSize": "1",
            "criteria": {"programIds": ["JCREDIT"], "batchId": self.batch},
        }  # fmt: skip
        self.instrument = self.call("createInstrument", Q_INSTRUMENT, {"i": instrument_input}, ADMIN)[
            "createInstrument"
        ]["id"]
        self.call("depositFunds", Q_DEPOSIT, {"o": self.buyer}, ADMIN)

    def trade(self) -> None:
        for n in range(TRADES_PER_PARTICIPANT):
            sell = {"instrumentId": self.instrument, "side": "SELL", "price": "3000", "quantity": 10,
                    "accountId": self.proponent_account, "idempotencyKey": f"bench-s-{self.tag}-{n}"}  # fmt: skip
            self.call("placeOrder SELL (rests)", Q_PLACE, {"i": sell}, self.proponent_token)
            buy = {"instrumentId": self.instrument, "side": "BUY", "price": "3100", "quantity": 10,
                   "accountId": self.buyer_account, "idempotencyKey": f"bench-b-{self.tag}-{n}"}  # fmt: skip
            placed = self.call("placeOrder BUY (matches)", Q_PLACE, {"i": buy}, self.buyer_token)["placeOrder"]
            if placed["status"] != "FILLED":
                raise RuntimeError(f"buy order did not match: {placed}")

    def retire_once(self, key: str) -> float:
        retire_input = {
            "accountId": self.buyer_account, "batchId": self.batch, "quantity": 5, "purpose": "SHK_ADJUSTMENT",
            "beneficiary": f"Bench buyer {self.tag}", "retirementYear": 2024, "offsetEmissions": "5",
            "idempotencyKey": key,
        }  # fmt: skip
        self.call("retireCredits", Q_RETIRE, {"i": retire_input}, self.buyer_token)
        self.retired_t += 5
        return time.perf_counter()

    def retire(self) -> None:
        for n in range(RETIREMENTS_PER_PARTICIPANT):
            self.retire_once(f"bench-r-{self.tag}-{n}")

    def lag(self) -> None:
        """Retire, then poll disclosureReport until its total includes this retirement."""
        for n in range(LAG_SAMPLES_PER_PARTICIPANT):
            answered = self.retire_once(f"bench-lag-{self.tag}-{n}")
            deadline = answered + LAG_TIMEOUT_S
            while True:
                total = self.gql(Q_DISCLOSURE, {"o": self.buyer}, self.buyer_token)["disclosureReport"]["totalQuantity"]
                now = time.perf_counter()
                if total >= self.retired_t:
                    with self.rec.lock:
                        self.rec.samples["reporting lag (retirement -> disclosureReport)"].append(now - answered)
                    break
                if now > deadline:
                    with self.rec.lock:
                        self.rec.errors["reporting lag (retirement -> disclosureReport)"] += 1
                    break
                time.sleep(LAG_POLL_S)


def _phase(participants: list[Participant], work: Callable[[Participant], None]) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(participants)) as pool:
        for future in [pool.submit(work, p) for p in participants]:
            future.result()
    return time.perf_counter() - started


def end_to_end(url: str, n: int) -> tuple[list[dict[str, Any]], dict[str, Any], list[Participant]]:
    rec = Recorder()
    admin = Client(url)
    verifier_input = {"name": f"Bench verifier {uuid.uuid4().hex[:6]}", "country": "JP", "accreditedVerifier": True}
    verifier = admin(Q_ORG, {"i": verifier_input}, ADMIN)["createOrganization"]["id"]
    verifier_token = token("bench-verifier", verifier, "VERIFIER")
    participants = [Participant(i, Client(url), rec, verifier, verifier_token) for i in range(n)]
    phases: list[tuple[str, Callable[[Participant], None], tuple[str, ...]]] = [
        ("setup", Participant.setup, ("createOrganization", "openAccount")),
        ("issue", Participant.issue, ("MRV lifecycle (7 calls)", "createProject", "issueCredits")),
        ("transfer", Participant.transfer, ("transferCredits",)),
        ("trade setup", Participant.prepare_trading, ("createInstrument", "depositFunds")),
        ("trade", Participant.trade, ("placeOrder SELL (rests)", "placeOrder BUY (matches)")),
        ("retire", Participant.retire, ("retireCredits",)),
    ]
    rows: list[dict[str, Any]] = []
    for phase, work, operations in phases:
        elapsed = _phase(participants, work)
        for operation in operations:
            samples = rec.samples.get(operation, [])
            summary = latency_summary(samples, elapsed)
            rows.append({"case": f"(a) {phase}: {operation}", "participants": n, **summary})
    retire_samples = list(rec.samples["retireCredits"])
    _phase(participants, Participant.lag)
    lag = rec.samples.get("reporting lag (retirement -> disclosureReport)", [])
    rows.append(
        {
            "case": "(a) reporting lag: retirement response -> disclosureReport shows it",
            "participants": n,
            "ops": len(lag),
            "p50_ms": percentile_ms(lag, 0.5),
            "p99_ms": percentile_ms(lag, 0.99),
            "timeouts": rec.errors.get("reporting lag (retirement -> disclosureReport)", 0),
        }
    )
    rec.samples["retireCredits"] = retire_samples
    reconciliation = reconcile(admin, participants)
    admin.close()
    errors = {k: v for k, v in rec.errors.items() if v}
    return rows, {"reconciliation": reconciliation, "errors": errors}, participants


def reconcile(admin: Client, participants: list[Participant], timeout_s: float = 60.0) -> dict[str, Any]:
    """Wait until every trade settled, then until reporting has caught up (no discrepancy), bounded."""
    started = time.perf_counter()
    deadline = started + timeout_s
    unsettled = -1
    while time.perf_counter() < deadline:
        unsettled = 0
        for p in participants:
            trades = admin(Q_TRADES, {"i": p.instrument}, ADMIN)["trades"]
            unsettled += sum(1 for trade in trades if not trade["settled"])
        if unsettled == 0:
            break
        time.sleep(0.25)
    report: dict[str, Any] = {}
    while True:
        report = admin(Q_RECONCILE, None, ADMIN)["reconciliationReport"]
        if not report["discrepancies"] or time.perf_counter() > deadline:
            break
        time.sleep(0.5)
    return {
        "batches_checked": report.get("batchesChecked"),
        "discrepancies": len(report.get("discrepancies", [])),
        "first_discrepancies": [d["description"] for d in report.get("discrepancies", [])[:3]],
        "unsettled_trades": unsettled,
        "waited_s": round(time.perf_counter() - started, 2),
    }


# --- (b) gateway overhead ------------------------------------------------------------------------------------

Q_BATCH_GATEWAY = """query($b: ID!) { creditBatch(id: $b) {
  id issuedQuantity serialStart project { name }
  retiredQuantity
  tradedQuantity
  eligibility { use eligible reason } } }"""
Q_BATCH_ISSUANCE = "query($b: ID!) { creditBatch(id: $b) { id issuedQuantity serialStart project { name } } }"
Q_ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on CreditBatch { %s } } }"
ENTITY_FIELDS = {
    "registry": "retiredQuantity",
    "trading": "tradedQuantity",
    "reporting": "eligibility { use eligible reason }",
}


def gateway_overhead(
    config: StackConfig, batch_id: str, count: int, max_s: float
) -> tuple[list[dict[str, Any]], float | None]:
    gateway = Client(config.gateway_url)
    subgraphs = {s: Client(f"http://127.0.0.1:{config.http_ports[s]}/graphql") for s in SERVICES}
    representation = [{"__typename": "CreditBatch", "id": batch_id}]

    def through_gateway(_i: int) -> None:
        data = gateway(Q_BATCH_GATEWAY, {"b": batch_id}, ADMIN)["creditBatch"]
        if not data["eligibility"]:
            raise RuntimeError("reporting has not seen the batch")

    def direct(_i: int) -> None:
        subgraphs["issuance"](Q_BATCH_ISSUANCE, {"b": batch_id}, ADMIN)
        for service, fields in ENTITY_FIELDS.items():
            entities = subgraphs[service](Q_ENTITIES % fields, {"r": representation}, ADMIN)["_entities"]
            if not entities or entities[0] is None:
                raise RuntimeError(f"{service} did not resolve the batch")

    rows = []
    results = {}
    for case, step in (
        ("through the gateway (1 request)", through_gateway),
        ("subgraphs directly (4 requests)", direct),
    ):
        for i in range(20):
            step(i)
        samples, elapsed = timed_loop(step, count, max_s)
        results[case] = latency_summary(samples, elapsed)
        rows.append({"case": f"(b) creditBatch x4 subgraphs, {case}", **results[case]})
    gateway.close()
    for client in subgraphs.values():
        client.close()
    r = ratio(
        results["through the gateway (1 request)"]["ops_per_s"], results["subgraphs directly (4 requests)"]["ops_per_s"]
    )
    return rows, r


# --- (c) placeOrder via gRPC vs the gateway ----------------------------------------------------------------------


def place_order_paths(
    config: StackConfig, p: Participant, count: int, max_s: float
) -> tuple[list[dict[str, Any]], float | None]:
    gateway = Client(config.gateway_url)
    channel = grpc.insecure_channel(f"127.0.0.1:{config.grpc_ports['trading']}")
    stub = trading_pb2_grpc.TradingServiceStub(channel)
    metadata = (("authorization", f"Bearer {p.proponent_token}"),)

    def via_grpc(i: int) -> None:
        request = trading_pb2.PlaceOrderRequest(
            idempotency_key=f"bench-grpc-{p.tag}-{i}",
            instrument_id=p.instrument,
            side=types_pb2.ORDER_SIDE_SELL,
            price_decimal=str(SELL_PRICE_JPY),
            quantity_t=1,
            account_id=p.proponent_account,
        )
        stub.PlaceOrder(request, metadata=metadata, timeout=30)

    def via_gateway(i: int) -> None:
        order = {"instrumentId": p.instrument, "side": "SELL", "price": str(SELL_PRICE_JPY), "quantity": 1,
                 "accountId": p.proponent_account, "idempotencyKey": f"bench-gw-{p.tag}-{i}"}  # fmt: skip
        gateway(Q_PLACE, {"i": order}, p.proponent_token)

    rows = []
    results = {}
    try:
        for case, step in (("gRPC TradingService.PlaceOrder", via_grpc), ("gateway placeOrder", via_gateway)):
            for i in range(5):
                step(1_000_000 + i)
            samples, elapsed = timed_loop(step, count, max_s)
            results[case] = latency_summary(samples, elapsed)
            rows.append({"case": f"(c) sell order 1 t (registry lock), {case}", **results[case]})
    finally:
        channel.close()
        gateway.close()
    r = ratio(results["gateway placeOrder"]["ops_per_s"], results["gRPC TradingService.PlaceOrder"]["ops_per_s"])
    return rows, r


# --- run -------------------------------------------------------------------------------------------------------------


def run(quick: bool) -> dict[str, Any]:
    n = 4 if quick else 8
    count_b = 150 if quick else 1000
    count_c = 60 if quick else 250
    max_s = 20.0 if quick else 60.0
    rate_limits_off = {f"{s.upper()}_RATE_LIMIT_PER_S": "0" for s in SERVICES}
    keep = os.environ.get("CARBON_BENCH_KEEP_DIR")  # set it to keep the stack's logs and databases
    with tempfile.TemporaryDirectory(prefix="bench-platform-") as tmp:
        config = StackConfig.ephemeral(Path(keep or tmp))
        config.extra_env.update(rate_limits_off)
        started = time.perf_counter()
        with DevStack(config):
            startup_s = time.perf_counter() - started
            rows_a, extra, participants = end_to_end(config.gateway_url, n)
            rows_b, gateway_ratio = gateway_overhead(config, participants[0].batch, count_b, max_s)
            rows_c, place_ratio = place_order_paths(config, participants[0], count_c, max_s)
    reconciliation = extra["reconciliation"]
    return {
        "name": "platform end to end (dev stack: broker, four services, Hive Gateway; SQLite)",
        "description": (
            f"(a) {n} participants in threads, phase by phase: MRV lifecycle to issuance, "
            f"{TRANSFERS_PER_PARTICIPANT} transfers, {TRADES_PER_PARTICIPANT} matching sell/buy pairs, "
            f"{RETIREMENTS_PER_PARTICIPANT} retirements each (ops/s = phase ops / phase wall-clock); reporting lag "
            f"over {LAG_SAMPLES_PER_PARTICIPANT} retirements each, polled every {LAG_POLL_S * 1000:.0f} ms. "
            f"(b) {count_b} sequential creditBatch reads. (c) {count_c} sequential placeOrder per path. "
            f"Stack start-up {startup_s:.1f} s. Reconciliation: {reconciliation}. Errors: {extra['errors'] or 'none'}."
        ),
        "rows": rows_a + rows_b + rows_c,
        "ratios": {
            "gateway_vs_direct_subgraphs": gateway_ratio,
            "placeOrder_gateway_vs_grpc": place_ratio,
            "reconciliation_discrepancies": reconciliation["discrepancies"],
        },
        "goals": {"reconciliation_discrepancies": "== 0"},
        "reconciliation": reconciliation,
        "errors": extra["errors"],
    }
