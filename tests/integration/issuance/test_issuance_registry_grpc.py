"""The real registry adapter (GrpcRegistry over carbon_runtime's GrpcClient) against an in-process fake
RegistryService: accreditation lookups, MintBatch exactly once per issuance, outages and retries."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from carbon.registry.v1 import registry_pb2, registry_pb2_grpc, types_pb2
from sqlalchemy import select

from carbon_runtime.errors import DomainError, ErrorCode, not_found
from carbon_runtime.persistence.db import make_engine
from carbon_runtime.settings import AuthSettings
from carbon_runtime.transport.grpc_runtime import GrpcClient, current_principal
from services.issuance.adapters import tables
from services.issuance.adapters.registry_client import REGISTRY_SERVICE, GrpcRegistry
from services.issuance.domain.project import ValidationOutcome
from tests.integration.issuance.support import (
    ADMIN,
    HOLDING_ACCOUNT,
    PROPONENT,
    UNACCREDITED_ORG,
    VERIFIER,
    VERIFIER_ORG,
    Env,
    GrpcServerThread,
    IssueCredits,
    event_names,
    issue_credits,
    make_env,
    new_project,
    project_command,
    record_validation,
    registered_project,
    request_validation,
    verified_report,
)
from tests.support.databases import MigratedDatabaseUrl


class FakeRegistryService(registry_pb2_grpc.RegistryServiceServicer):
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.minted: dict[str, registry_pb2.MintBatchResponse] = {}
        self.requests: list[registry_pb2.MintBatchRequest] = []
        self.callers: list[tuple[str | None, frozenset[str]]] = []
        #: Mint, then answer UNAVAILABLE once, as if the response were lost on the way back.
        self.lose_next_response = False

    async def GetOrganization(self, request: Any, context: Any) -> registry_pb2.GetOrganizationResponse:
        accredited = {VERIFIER_ORG: True, UNACCREDITED_ORG: False}
        if request.organization_id not in accredited:
            raise not_found("ORGANIZATION_NOT_FOUND", "no such organization")
        org = types_pb2.Organization(
            organization_id=request.organization_id,
            name=request.organization_id,
            accredited_verifier=accredited[request.organization_id],
        )
        return registry_pb2.GetOrganizationResponse(organization=org)

    async def MintBatch(self, request: Any, context: Any) -> registry_pb2.MintBatchResponse:
        p = current_principal()
        with self.lock:
            self.callers.append((p.user_id, p.roles))
            self.requests.append(request)
            if request.issuance_id not in self.minted:
                prefix = request.serial_prefix
                self.minted[request.issuance_id] = registry_pb2.MintBatchResponse(
                    batch_id=request.batch_id,
                    serial_start=f"{prefix}-000001",
                    serial_end=f"{prefix}-{request.issued_quantity_t:06d}",
                )
            response = self.minted[request.issuance_id]
            lose = self.lose_next_response
            self.lose_next_response = False
        if lose:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "connection reset")
        return response


@pytest.fixture
def registry_service() -> FakeRegistryService:
    # Implements only the methods issuance calls; the generated base answers UNIMPLEMENTED for the rest.
    return FakeRegistryService()  # type: ignore[abstract]


@pytest.fixture
def grpc_env(
    migrated_database_url: MigratedDatabaseUrl, registry_service: FakeRegistryService
) -> Iterator[tuple[Env, GrpcServerThread]]:
    server = GrpcServerThread(
        lambda s: registry_pb2_grpc.add_RegistryServiceServicer_to_server(registry_service, s), [REGISTRY_SERVICE]
    )
    client = GrpcClient(f"127.0.0.1:{server.port}", [REGISTRY_SERVICE], deadline_ms=2000)
    engine = make_engine(migrated_database_url("issuance"))
    env = make_env(engine, GrpcRegistry(client, AuthSettings()))
    try:
        yield env, server
    finally:
        client.close()
        engine.dispose()


def _minted_rows(env: Env) -> list[Any]:
    with env.engine.connect() as conn:
        return list(conn.execute(select(tables.credit_batches)))


def test_issue_credits_through_grpc_mints_once_with_the_admins_identity(
    grpc_env: tuple[Env, GrpcServerThread], registry_service: FakeRegistryService
) -> None:
    env, server = grpc_env
    with server:
        report_id = verified_report(env, registered_project(env))
        batch_id = issue_credits(env.deps, ADMIN, IssueCredits(report_id, HOLDING_ACCOUNT, "iss-1"))
    [request] = registry_service.requests
    assert (request.batch_id, request.issued_quantity_t, request.holder_account_id) == (batch_id, 600, HOLDING_ACCOUNT)
    assert (request.attributes.program_id, request.attributes.category) == ("JCREDIT", 1)  # NDC_CONTRIBUTING
    assert registry_service.callers == [("u-admin", frozenset({"PROGRAM_ADMIN"}))]
    [row] = _minted_rows(env)
    assert (row.state, row.serial_start, row.serial_end) == (
        "ISSUED",
        f"{request.serial_prefix}-000001",
        f"{request.serial_prefix}-000600",
    )


def test_registry_down_is_unavailable_then_a_retry_mints_exactly_once(
    grpc_env: tuple[Env, GrpcServerThread], registry_service: FakeRegistryService
) -> None:
    env, server = grpc_env
    # Accreditation is asked of the registry, so the project is built with it up, then it goes away.
    with server:
        report_id = verified_report(env, registered_project(env))
    with pytest.raises(DomainError) as info:
        issue_credits(env.deps, ADMIN, IssueCredits(report_id, HOLDING_ACCOUNT, "iss-1"))
    assert info.value.code is ErrorCode.UNAVAILABLE
    [pending] = _minted_rows(env)
    assert pending.state == "PENDING"
    assert registry_service.requests == []
    with GrpcServerThread(
        lambda s: registry_pb2_grpc.add_RegistryServiceServicer_to_server(registry_service, s),
        [REGISTRY_SERVICE],
        port=server.port,
    ):
        batch_id = issue_credits(env.deps, ADMIN, IssueCredits(report_id, HOLDING_ACCOUNT, "iss-1"))
        assert issue_credits(env.deps, ADMIN, IssueCredits(report_id, HOLDING_ACCOUNT, "iss-1")) == batch_id
    assert batch_id == pending.id
    assert len(registry_service.minted) == 1
    assert len(registry_service.requests) == 1
    assert event_names(env.engine).count("CreditsIssued") == 1


def test_a_lost_mint_response_is_retried_and_mints_exactly_once(
    grpc_env: tuple[Env, GrpcServerThread], registry_service: FakeRegistryService
) -> None:
    env, server = grpc_env
    with server:
        report_id = verified_report(env, registered_project(env))
        registry_service.lose_next_response = True
        issue_credits(env.deps, ADMIN, IssueCredits(report_id, HOLDING_ACCOUNT))
    assert len(registry_service.requests) == 2
    assert len({r.issuance_id for r in registry_service.requests}) == 1
    assert len(registry_service.minted) == 1
    assert event_names(env.engine).count("CreditsIssued") == 1


def test_accreditation_is_read_from_the_registry_organization(grpc_env: tuple[Env, GrpcServerThread]) -> None:
    env, server = grpc_env
    with server:
        project_id = new_project(env)
        request_validation(env.deps, PROPONENT, project_id)
        record_validation(env.deps, VERIFIER, project_id, ValidationOutcome.APPROVED, None)
        with pytest.raises(DomainError) as info:
            new_project(env, project_command(verifier_id=UNACCREDITED_ORG))
        assert (info.value.code, info.value.reason) == (ErrorCode.INVALID_ARGUMENT, "VERIFIER_NOT_ACCREDITED")
        with pytest.raises(DomainError) as unknown:
            new_project(env, project_command(verifier_id="org-unknown"))
        assert unknown.value.reason == "VERIFIER_NOT_ACCREDITED"
