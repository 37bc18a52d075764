"""Fuzzing: schemathesis generates GraphQL operations (valid and odd arguments) against each
subgraph's in-process ASGI app, anonymously and with a token holding every role; no request may
end in a server error, an INTERNAL error or a response that shows stack traces or internal paths.
Bounded and derandomized, so a run is repeatable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from graphql import IntValueNode, StringValueNode, ValueNode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.core.result import Ok

from carbon_runtime.ops.process import ServiceProcess
from carbon_runtime.settings import DEV_JWT_SECRET
from carbon_runtime.transport.auth import issue_dev_token
from services.issuance.bootstrap import bootstrap as issuance_bootstrap
from services.issuance.settings import IssuanceSettings
from services.registry.bootstrap import bootstrap as registry_bootstrap
from services.registry.settings import RegistrySettings
from services.reporting.bootstrap import bootstrap as reporting_bootstrap
from services.reporting.settings import ReportingSettings
from services.trading.bootstrap import bootstrap as trading_bootstrap
from services.trading.settings import TradingSettings
from tests.support.databases import DatabaseTemplates

EXAMPLES_PER_SUBGRAPH = 120
EVERY_ROLE = issue_dev_token(
    DEV_JWT_SECRET,
    "fuzzer",
    "FUZZ-ORG",
    [
        "REGISTRY_ADMIN",
        "PROGRAM_ADMIN",
        "EXCHANGE_ADMIN",
        "VERIFIER",
        "PROPONENT",
        "ACCOUNT_HOLDER",
        "TRADER",
        "AUDITOR",
    ],
)
LEAKS = ("Traceback", 'File "', "/work/", '.py"', "site-packages", "sqlalchemy", "psycopg", "sqlite3.")
# Peers are unreachable on purpose: a mutation that needs one must answer UNAVAILABLE, not fail.
NOWHERE = "127.0.0.1:9"


def _strings(*examples: str) -> st.SearchStrategy[ValueNode]:
    """Well-formed examples mixed with arbitrary text, as a client could send."""
    return st.one_of(st.sampled_from(examples), st.text(max_size=40)).map(lambda text: StringValueNode(value=text))


def register_contract_scalars() -> None:
    big = st.integers(min_value=-(2**70), max_value=2**70)
    schemathesis.graphql.scalar(
        "Tonnes", st.one_of(st.integers(-5, 5000), big).map(lambda n: IntValueNode(value=str(n)))
    )
    schemathesis.graphql.scalar("Decimal", _strings("12.50", "0", "-1", "1e999999", "NaN", "Infinity", "0.000000001"))
    schemathesis.graphql.scalar("Date", _strings("2024-04-01", "2024-02-30", "0001-01-01", "9999-12-31"))
    schemathesis.graphql.scalar("DateTime", _strings("2024-04-01T00:00:00Z", "2024-04-01T25:00:00+09:00"))


def _process(service: str, database_url: str) -> ServiceProcess:
    common: dict[str, Any] = {
        "database_url": database_url,
        "kafka_bootstrap_servers": None,
        "rate_limit_per_s": 0,
        "grpc_deadline_ms": 200,
    }
    if service == "issuance":
        return issuance_bootstrap(IssuanceSettings(**common, registry_grpc_target=NOWHERE))
    if service == "registry":
        return registry_bootstrap(RegistrySettings(**common))
    if service == "trading":
        return trading_bootstrap(TradingSettings(**common, registry_grpc_target=NOWHERE))
    return reporting_bootstrap(ReportingSettings(**common))


@pytest.fixture(params=["issuance", "registry", "trading", "reporting"])
def subgraph(
    request: pytest.FixtureRequest, database_templates: DatabaseTemplates, tmp_path: Path
) -> Iterator[tuple[str, ServiceProcess]]:
    service = str(request.param)
    url = database_templates.new_url(service, "sqlite", tmp_path)  # at the service's migration head
    process = _process(service, url)
    try:
        yield service, process
    finally:
        for stop in process.on_stop:
            stop()


def _leaks(text: str) -> list[str]:
    return [marker for marker in LEAKS if marker in text]


def test_fuzzed_graphql_operations_never_fail_internally_or_leak_internals(
    subgraph: tuple[str, ServiceProcess],
) -> None:
    service, process = subgraph
    register_contract_scalars()
    schema = schemathesis.graphql.from_asgi("/graphql", process.http_app)
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert operations, f"{service}: no operations found"
    strategy = st.one_of([operation.as_strategy() for operation in operations])
    problems: list[str] = []

    @settings(
        max_examples=EXAMPLES_PER_SUBGRAPH,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, authenticated=st.booleans())
    def run(case: Any, authenticated: bool) -> None:
        if authenticated:
            case.headers = {**(case.headers or {}), "authorization": f"Bearer {EVERY_ROLE}"}
        response = case.call()
        text = response.text
        codes: list[Any] = []
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        if isinstance(body, dict):
            codes = [(error.get("extensions") or {}).get("code") for error in (body.get("errors") or [])]
        if response.status_code >= 500 or "INTERNAL" in codes or _leaks(text):
            problems.append(f"{response.status_code} {codes} {_leaks(text)} for {case.body!r:.300}: {text[:300]}")

    run()
    assert not problems, f"{service}: " + "\n".join(problems[:5])
