"""The GraphQL-over-HTTP audit suite (graphql-http's `auditServer`, pinned in tests/http-audit/) passes
at the gateway and at a subgraph, with no failure and no warning (issue 22).

The subgraphs used to warn 8 times: no `application/graphql-response+json`, no 4xx on parse and
validation failures, `data` present on a parse failure (carbon_runtime/transport/graphql_runtime.py).
Needs node and tests/http-audit/node_modules (`make setup` runs `npm ci` there).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tooling.devstack import DevStack

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[3]
AUDIT_DIR = ROOT / "tests" / "http-audit"
SUBGRAPH = "registry"


def audit(url: str) -> list[dict[str, Any]]:
    """Every audit's result: id, name, status (ok, notice, warn, error) and, when not ok, the reason
    and the response that failed it."""
    node = shutil.which("node")
    assert node, "node is required (Node >= 20)"
    assert (AUDIT_DIR / "node_modules" / "graphql-http").is_dir(), (
        f"graphql-http is not installed: run `npm ci` in {AUDIT_DIR} (make setup does)"
    )
    done = subprocess.run(
        [node, str(AUDIT_DIR / "audit.mjs"), url], cwd=AUDIT_DIR, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)["results"]
    assert len(results) >= 40, f"suspiciously few audits ran: {len(results)}"
    return results


def _not_ok(results: list[dict[str, Any]]) -> list[str]:
    return [
        f"{r['status']} {r['id']} {r['name']}: {r.get('reason')} "
        f"(HTTP {r.get('httpStatus')}, {r.get('contentType')}: {r.get('body', '')[:200]})"
        for r in results
        if r["status"] != "ok"
    ]


def test_the_gateway_passes_the_graphql_over_http_audit(platform_stack: DevStack) -> None:
    failures = _not_ok(audit(platform_stack.config.gateway_url))

    assert not failures, "\n".join(failures)


def test_a_subgraph_passes_the_graphql_over_http_audit_without_warnings(platform_stack: DevStack) -> None:
    url = f"http://127.0.0.1:{platform_stack.config.http_ports[SUBGRAPH]}/graphql"

    failures = _not_ok(audit(url))

    assert not failures, "\n".join(failures)


def test_a_subgraph_request_error_reaches_the_client_through_the_gateway_with_its_contract_code(
    platform_stack: DevStack,
) -> None:
    # The gateway accepts any Decimal; the trading subgraph refuses "abc" while coercing the
    # variables, now with a 400 (it accepts application/graphql-response+json, as the gateway asks).
    # The gateway must still hand the client the subgraph's refusal, not an internal error.
    query = "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }"
    order = {"instrumentId": "i", "side": "BUY", "price": "abc", "quantity": 1, "accountId": "a"}
    with httpx.Client(timeout=30) as client:
        body = client.post(platform_stack.config.gateway_url, json={"query": query, "variables": {"i": order}}).json()

    codes = [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]
    assert codes == ["INVALID_ARGUMENT"], body
