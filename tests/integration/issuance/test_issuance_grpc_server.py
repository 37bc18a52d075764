"""carbon.issuance.v1.IssuanceService: the read API peers use (registry, trading, reporting)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from carbon.issuance.v1 import issuance_pb2, issuance_pb2_grpc, types_pb2

from carbon_runtime.settings import AuthSettings
from carbon_runtime.transport.auth import issue_service_token
from services.issuance.adapters.read_model import ReadModel
from services.issuance.entrypoints.grpc_server import SERVICE_NAME, register_issuance_service
from tests.integration.issuance.support import (
    ADMIN,
    HOLDING_ACCOUNT,
    PROPONENT_ORG,
    Y2025,
    Env,
    GrpcServerThread,
    IssueCredits,
    issue_credits,
    registered_project,
    verified_report,
)


@pytest.fixture
def stub(env: Env) -> Iterator[issuance_pb2_grpc.IssuanceServiceStub]:
    reads = ReadModel(env.engine)
    with GrpcServerThread(lambda s: register_issuance_service(s, reads), [SERVICE_NAME]) as server:
        # Every gRPC method needs a token (issue 14): peers call with a service token for issuance.
        token = issue_service_token(AuthSettings(), "reporting", audience="issuance")
        channel = grpc.intercept_channel(grpc.insecure_channel(f"127.0.0.1:{server.port}"), _Bearer(token))
        yield issuance_pb2_grpc.IssuanceServiceStub(channel)
        channel.close()


class _Bearer(grpc.UnaryUnaryClientInterceptor):
    def __init__(self, token: str) -> None:
        self.token = token

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        metadata = [*(details.metadata or ()), ("authorization", f"Bearer {self.token}")]
        return continuation(details._replace(metadata=metadata), request)


def test_programs_are_listed_with_their_methodologies(stub: issuance_pb2_grpc.IssuanceServiceStub) -> None:
    programs = stub.ListPrograms(issuance_pb2.ListProgramsRequest(), timeout=5).programs
    assert [p.program_id for p in programs] == sorted(p.program_id for p in programs)
    jcredit = stub.GetProgram(issuance_pb2.GetProgramRequest(program_id="JCREDIT"), timeout=5).program
    boiler = next(m for m in jcredit.methodologies if m.methodology_id == "JCREDIT:EN-S-001")
    assert (boiler.credit_type, boiler.basis) == (types_pb2.CREDIT_TYPE_REDUCTION, types_pb2.CREDIT_BASIS_TECHNOLOGY)
    with pytest.raises(grpc.RpcError) as err:
        stub.GetProgram(issuance_pb2.GetProgramRequest(program_id="NOPE"), timeout=5)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_projects_batches_and_issued_totals_are_served(env: Env, stub: issuance_pb2_grpc.IssuanceServiceStub) -> None:
    project_id = registered_project(env)
    first = issue_credits(env.deps, ADMIN, IssueCredits(verified_report(env, project_id, 600), HOLDING_ACCOUNT))
    second = issue_credits(
        env.deps, ADMIN, IssueCredits(verified_report(env, project_id, 300, period=Y2025), HOLDING_ACCOUNT)
    )
    project = stub.GetProject(issuance_pb2.GetProjectRequest(project_id=project_id), timeout=5).project
    assert (project.status, project.proponent_organization_id, list(project.co_benefits)) == (
        types_pb2.PROJECT_STATUS_REGISTERED,
        PROPONENT_ORG,
        [7, 13],
    )
    batch = stub.GetCreditBatch(issuance_pb2.GetCreditBatchRequest(batch_id=first), timeout=5).batch
    assert (batch.issued_quantity_t, batch.attributes.category, batch.project_name) == (
        600,
        types_pb2.CREDIT_CATEGORY_NDC_CONTRIBUTING,
        "Boiler replacement, Osaka",
    )
    page1 = stub.ListCreditBatches(issuance_pb2.ListCreditBatchesRequest(project_id=project_id, page_size=1), timeout=5)
    page2 = stub.ListCreditBatches(
        issuance_pb2.ListCreditBatchesRequest(project_id=project_id, page_size=1, page_token=page1.next_page_token),
        timeout=5,
    )
    assert [b.batch_id for b in page1.batches] + [b.batch_id for b in page2.batches] == [first, second]
    assert page2.next_page_token == ""
    totals = stub.GetIssuedTotals(issuance_pb2.GetIssuedTotalsRequest(batch_ids=[second, first, "unknown"]), timeout=5)
    assert sorted((t.batch_id, t.issued_quantity_t, t.buffer_quantity_t) for t in totals.totals) == sorted(
        [(first, 600, 0), (second, 300, 0)]
    )
    assert [t.batch_id for t in totals.totals] == sorted([first, second])
