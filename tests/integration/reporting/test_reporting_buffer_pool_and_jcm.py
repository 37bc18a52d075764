"""Reversals and buffer cancellations, and the registry's Japan-NDC flag on retirements, projected from
events (idempotent, order-independent) and served over GraphQL (bufferPool is public)."""

from __future__ import annotations

import random
import socket
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from carbon.issuance.v1 import events_pb2 as iss
from carbon.issuance.v1 import types_pb2 as itypes
from carbon.registry.v1 import events_pb2 as reg
from carbon.registry.v1 import types_pb2 as rtypes
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from carbon_runtime.persistence.db import make_engine
from carbon_runtime.settings import AuthSettings
from carbon_runtime.transport.auth import issue_dev_token
from services.reporting.adapters import read_model, tables
from services.reporting.adapters.read_model import SqlReadModel
from services.reporting.bootstrap import bootstrap, build_bus
from services.reporting.domain.commands import ClearReadModel
from services.reporting.entrypoints import consumer
from services.reporting.service.queries import ReportQueries
from services.reporting.settings import ReportingSettings
from tests.integration.reporting.support import (
    BATCH_VCS,
    BUYER,
    VCS_BUFFER_T,
    Logged,
    ScenarioBuilder,
    _attributes,
    _block,
    _ts,
    build_scenario,
)

BATCH_JCM = "batch-jcm-1"
BATCH_VCS_2 = "batch-vcs-2"


def extra_events() -> list[Logged]:
    """A JCM ITMO retired in a way Japan counts toward its NDC; a second VCS forest batch with a buffer; a
    second wildfire compensated by one pool-wide buffer cancellation spanning both VCS batches."""
    b = ScenarioBuilder()
    b.clock = datetime(2024, 9, 20, tzinfo=UTC)
    # Event ids derive from producer/aggregate/sequence: continue the scenario's aggregates' sequences
    # so these events are new events, not redeliveries of the scenario's.
    b._sequence = defaultdict(lambda: 100)
    jcm = _attributes(
        "proj-jcm",
        "JCM",
        "VN",
        ("2022-01-01", "2022-12-31"),
        itypes.CREDIT_TYPE_REDUCTION,
        itypes.CREDIT_BASIS_TECHNOLOGY,
        itypes.CREDIT_CATEGORY_NDC_CONTRIBUTING,
        True,
        itypes.AUTHORIZATION_NDC,
    )
    forest = _attributes(
        "proj-forest",
        "VCS",
        "KE",
        ("2020-01-01", "2020-12-31"),
        itypes.CREDIT_TYPE_REMOVAL,
        itypes.CREDIT_BASIS_NATURE,
        itypes.CREDIT_CATEGORY_GLOBAL,
        False,
        itypes.AUTHORIZATION_NONE,
    )
    for batch_id, attrs, buffer_t in ((BATCH_JCM, jcm, 0), (BATCH_VCS_2, forest, 40)):
        b.add(
            "issuance",
            "project",
            attrs.project_id,
            iss.CreditsIssued(
                batch_id=batch_id,
                issuance_id=f"iss-{batch_id}",
                attributes=attrs,
                project_name=attrs.project_id,
                program_name=attrs.program_id,
                methodology_title="M1",
                issued_quantity_t=400,
                buffer_quantity_t=buffer_t,
                serial_start=f"{batch_id.upper()}-000001",
                serial_end=f"{batch_id.upper()}-000400",
                holder_account_id="acc-buyer",
            ),
        )
    b.add(
        "registry",
        "batch",
        BATCH_JCM,
        reg.CreditsRetired(
            retirement_id="ret-jcm",
            batch_id=BATCH_JCM,
            account_id="acc-buyer",
            organization_id=BUYER,
            quantity_t=40,
            serial_ranges=[f"{BATCH_JCM.upper()}-000001-{BATCH_JCM.upper()}-000040"],
            purpose=rtypes.RETIREMENT_PURPOSE_VOLUNTARY_OFFSET,
            beneficiary="Buyer KK",
            retirement_year=2024,
            retired_at=_ts(datetime(2024, 10, 1, tzinfo=UTC)),
            counts_toward_japan_ndc=True,
        ),
    )
    b.add(
        "issuance",
        "project",
        "proj-forest",
        iss.ReversalReported(
            reversal_id="rev-storm",
            project_id="proj-forest",
            reversed_quantity_t=25,
            occurred_on="2024-10-05",
            description="Storm",
        ),
    )
    b.add(
        "registry",
        "buffer",
        "VCS",
        reg.BufferCancelled(
            cancellation_id="bufcan-pool",
            buffer_account_id="acc-buffer-vcs",
            quantity_t=15,
            blocks=[
                _block(BATCH_VCS, "acc-buffer-vcs", 471, 480, rtypes.UNIT_STATUS_CANCELLED),
                _block(BATCH_VCS_2, "acc-buffer-vcs", 396, 400, rtypes.UNIT_STATUS_CANCELLED),
            ],
            reversal_id="rev-storm",
            reason="Storm",
        ),
    )
    return b.events


EVENTS = build_scenario() + extra_events()


@pytest.fixture
def engine(reporting_database_url: str) -> Iterator[Engine]:
    eng = make_engine(reporting_database_url)
    yield eng
    eng.dispose()


def apply_each(engine: Engine, events: list[Logged]) -> None:
    for item in events:
        consumer.apply_one(build_bus(engine), item.envelope)


def test_pool_wide_buffer_cancellation_is_stored_once_per_batch_its_blocks_name(engine: Engine) -> None:
    apply_each(engine, EVENTS + EVENTS[-3:])  # the last events delivered twice
    with engine.connect() as conn:
        rows = conn.execute(select(tables.buffer_cancellations).order_by(tables.buffer_cancellations.c.batch_id)).all()
        reversals = read_model.load_reversals(conn)
    assert [(r.cancellation_id, r.batch_id, r.quantity_t, r.reversal_id) for r in rows] == [
        ("bufcan-1", BATCH_VCS, 20, "rev-fire"),
        ("bufcan-pool", BATCH_VCS, 10, "rev-storm"),
        ("bufcan-pool", BATCH_VCS_2, 5, "rev-storm"),
    ]
    assert [(r.reversal_id, r.batch_id, r.reversed_quantity_t) for r in reversals] == [
        ("rev-fire", BATCH_VCS, 30),
        ("rev-storm", "", 25),
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_buffer_pool_is_the_same_whatever_the_delivery_order_and_duplication(engine: Engine, seed: int) -> None:
    queries = ReportQueries(SqlReadModel(engine))
    apply_each(engine, EVENTS)
    expected = queries.buffer_pool("VCS")
    with engine.connect() as conn:
        expected_rows = read_model.snapshot(conn)
    build_bus(engine).handle(ClearReadModel())
    rng = random.Random(seed)
    shuffled = rng.sample(EVENTS, len(EVENTS)) + rng.choices(EVENTS, k=6)
    apply_each(engine, shuffled)
    assert queries.buffer_pool("VCS") == expected
    with engine.connect() as conn:
        assert read_model.snapshot(conn) == expected_rows


def test_buffer_cancellation_whose_blocks_do_not_add_up_is_rejected_without_effect(engine: Engine) -> None:
    b = ScenarioBuilder()
    env = b.add(
        "registry",
        "batch",
        BATCH_VCS,
        reg.BufferCancelled(
            cancellation_id="bufcan-bad",
            batch_id=BATCH_VCS,
            buffer_account_id="acc-buffer-vcs",
            quantity_t=99,
            blocks=[_block(BATCH_VCS, "acc-buffer-vcs", 1, 10, rtypes.UNIT_STATUS_CANCELLED)],
            reversal_id="rev-fire",
        ),
    )
    assert consumer.apply_one(build_bus(engine), env) is False
    with engine.connect() as conn:
        assert conn.execute(select(tables.buffer_cancellations)).all() == []


def test_retirement_keeps_the_registrys_japan_ndc_flag(engine: Engine) -> None:
    apply_each(engine, EVENTS)
    with engine.connect() as conn:
        flags = {r.retirement_id: r.counts_toward_japan_ndc for r in read_model.load_retirements(conn)}
    assert flags == {"ret-shk": False, "ret-vol": False, "ret-jcm": True}


# --- GraphQL ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bearer(org: str | None, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_dev_token(AuthSettings().jwt_secret, 'user-1', org, roles)}"}


@pytest.fixture
def client(engine: Engine, reporting_database_url: str) -> Iterator[TestClient]:
    apply_each(engine, EVENTS)
    settings = ReportingSettings(
        database_url=reporting_database_url,
        http_port=free_port(),
        grpc_port=free_port(),
        kafka_bootstrap_servers=None,
    )
    process = bootstrap(settings)
    with TestClient(process.http_app) as test_client:
        yield test_client
    for stop in process.on_stop:
        stop()


def gql(client: TestClient, query: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query}, headers=headers or {})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


BUFFER_POOL = """query { bufferPool(programId: "VCS") {
  programId bufferIssued cancelledForReversals remaining
  reversals { reversalId projectId batchId quantity occurredOn description cancelled shortfall } } }"""


def test_buffer_pool_is_public_and_shows_each_reversals_shortfall(client: TestClient) -> None:
    pool = gql(client, BUFFER_POOL)["bufferPool"]
    assert (pool["programId"], pool["bufferIssued"], pool["cancelledForReversals"], pool["remaining"]) == (
        "VCS",
        VCS_BUFFER_T + 40,
        35,
        VCS_BUFFER_T + 40 - 35,
    )
    assert pool["reversals"] == [
        {
            "reversalId": "rev-fire",
            "projectId": "proj-forest",
            "batchId": BATCH_VCS,
            "quantity": 30,
            "occurredOn": "2024-09-10",
            "description": "Wildfire",
            "cancelled": 20,
            "shortfall": 10,
        },
        {
            "reversalId": "rev-storm",
            "projectId": "proj-forest",
            "batchId": None,
            "quantity": 25,
            "occurredOn": "2024-10-05",
            "description": "Storm",
            "cancelled": 15,
            "shortfall": 10,
        },
    ]


def test_buffer_pool_of_a_program_without_buffer_is_empty(client: TestClient) -> None:
    pool = gql(client, 'query { bufferPool(programId: "JCREDIT") { bufferIssued remaining reversals { reversalId } } }')
    assert pool["bufferPool"] == {"bufferIssued": 0, "remaining": 0, "reversals": []}


def test_disclosure_line_says_whether_japan_counts_the_retirement_toward_its_ndc(client: TestClient) -> None:
    query = f"""query {{ disclosureReport(organizationId: "{BUYER}", year: 2024) {{
      lines {{ retirementId countsTowardJapanNdc }} }} }}"""
    lines = gql(client, query, headers=bearer(BUYER, "ACCOUNT_HOLDER"))["disclosureReport"]["lines"]
    assert {line["retirementId"]: line["countsTowardJapanNdc"] for line in lines} == {
        "ret-shk": False,
        "ret-vol": False,
        "ret-jcm": True,
    }


def test_japan_reports_a_counted_jcm_retirement_as_use_toward_its_ndc(client: TestClient) -> None:
    query = 'query { article6Report(year: 2024, party: "JP") { records { action sourceId usingParty purposeOfUse } } }'
    records = gql(client, query, headers=bearer(None, "AUDITOR"))["article6Report"]["records"]
    assert [r for r in records if r["sourceId"] == "ret-jcm"] == [
        {"action": "Use", "sourceId": "ret-jcm", "usingParty": "JP", "purposeOfUse": "NDC"}
    ]
