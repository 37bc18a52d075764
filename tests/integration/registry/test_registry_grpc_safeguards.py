"""The safeguard RPCs (trusted list, approval, cancellation, reinstatement) through a real grpc.aio
server in-process, with the safeguards switched on: the caller comes from the bearer token."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import pytest
from carbon.registry.v1 import registry_pb2, registry_pb2_grpc, types_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from carbon_runtime.persistence.db import make_engine
from carbon_runtime.settings import AuthSettings
from carbon_runtime.transport.auth import TokenVerifier, issue_dev_token
from carbon_runtime.transport.grpc_runtime import build_server
from services.registry.domain.safeguards import SafeguardPolicy
from services.registry.entrypoints.grpc_server import register_registry_service
from tests.integration.registry.support import Registry, make_deps
from tests.support.databases import MigratedDatabaseUrl

AUTH = AuthSettings()
HOUR = 3600

Metadata = tuple[tuple[str, str | bytes], ...]


def token(sub: str, org: str | None, *roles: str) -> Metadata:
    return (("authorization", f"Bearer {issue_dev_token(AUTH.jwt_secret, sub, org, roles)}"),)


def reason_of(error: grpc.aio.AioRpcError) -> str:
    status = rpc_status.from_call(error)
    assert status is not None
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return str(info.reason)
    raise AssertionError("no ErrorInfo in the status details")


@dataclass
class Served:
    stub: registry_pb2_grpc.RegistryServiceAsyncStub
    registry: Registry
    proponent: str
    buyer: str
    source: str
    target: str
    batch: str

    def holder(self, sub: str = "alice") -> Metadata:
        return token(sub, self.proponent, "ACCOUNT_HOLDER")

    async def transfer(self, quantity: int) -> str:
        response = await self.stub.Transfer(
            registry_pb2.TransferRequest(
                from_account_id=self.source, to_account_id=self.target, batch_id=self.batch, quantity_t=quantity
            ),
            metadata=self.holder(),
        )
        return response.transfer_id


@pytest.fixture
async def served(migrated_database_url: MigratedDatabaseUrl) -> AsyncIterator[Served]:
    engine = make_engine(migrated_database_url("registry"))
    policy = SafeguardPolicy(
        trusted_account_delay_s=HOUR,
        untrusted_transfer_delay_s=HOUR,
        four_eyes_threshold_t=100,
        max_failed_authorizations=1,
    )
    deps = dataclasses.replace(make_deps(engine), safeguards=policy)
    registry = Registry(deps)
    proponent, buyer = registry.org("Proponent K.K."), registry.org("Buyer Ltd", "GB")
    source, target = registry.account(proponent), registry.account(buyer)
    batch = registry.mint(proponent, source, 1000)

    def register(server: object) -> None:
        register_registry_service(server, deps.bus, deps.reads)

    server, _health, port = await build_server(
        host="127.0.0.1",
        port=0,
        verifier=TokenVerifier(AUTH, production=False),
        register=register,
        service_names=[],
        max_message_bytes=4 * 1024 * 1024,
    )
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        stub = registry_pb2_grpc.RegistryServiceStub(channel)
        yield Served(stub, registry, proponent, buyer, source, target, batch)
    finally:
        await channel.close()
        await server.stop(None)
        engine.dispose()


async def test_grpc_add_trusted_account_reports_the_delayed_effective_time_and_replays(served: Served) -> None:
    request = registry_pb2.AddTrustedAccountRequest(
        idempotency_key="trust-1", account_id=served.source, trusted_account_id=served.target
    )
    added = await served.stub.AddTrustedAccount(request, metadata=served.holder())
    assert (added.account_id, added.trusted_account_id) == (served.source, served.target)
    assert added.effective_at.ToSeconds() - added.added_at.ToSeconds() == HOUR
    assert await served.stub.AddTrustedAccount(request, metadata=served.holder()) == added


async def test_grpc_remove_trusted_account_refuses_an_unlisted_account(served: Served) -> None:
    await served.stub.AddTrustedAccount(
        registry_pb2.AddTrustedAccountRequest(account_id=served.source, trusted_account_id=served.target),
        metadata=served.holder(),
    )
    request = registry_pb2.RemoveTrustedAccountRequest(account_id=served.source, trusted_account_id=served.target)
    removed = await served.stub.RemoveTrustedAccount(request, metadata=served.holder())
    assert (removed.account_id, removed.trusted_account_id) == (served.source, served.target)
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await served.stub.RemoveTrustedAccount(request, metadata=served.holder())
    assert error.value.code() is grpc.StatusCode.NOT_FOUND
    assert reason_of(error.value) == "TRUSTED_ACCOUNT_NOT_LISTED"


async def test_grpc_approve_transfer_needs_a_second_account_holder(served: Served) -> None:
    transfer_id = await served.transfer(200)
    request = registry_pb2.ApproveTransferRequest(idempotency_key="approve-1", transfer_id=transfer_id)
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await served.stub.ApproveTransfer(request, metadata=served.holder("alice"))
    assert error.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert reason_of(error.value) == "APPROVER_IS_INITIATOR"
    approved = await served.stub.ApproveTransfer(request, metadata=served.holder("bob"))
    assert approved.transfer_id == transfer_id
    assert approved.status == types_pb2.TRANSFER_STATUS_HELD  # the buyer's account is not trusted: still held


async def test_grpc_cancel_transfer_returns_the_units_to_the_source_balance(served: Served) -> None:
    transfer_id = await served.transfer(30)
    cancelled = await served.stub.CancelTransfer(
        registry_pb2.CancelTransferRequest(idempotency_key="cancel-1", transfer_id=transfer_id),
        metadata=served.holder(),
    )
    assert cancelled.transfer_id == transfer_id and cancelled.quantity_t == 30
    assert all(block.status == types_pb2.UNIT_STATUS_HELD for block in cancelled.blocks)
    read = await served.stub.GetAccount(
        registry_pb2.GetAccountRequest(account_id=served.source), metadata=served.holder()
    )
    assert (read.account.balance_t, read.account.locked_t) == (1000, 0)


async def test_grpc_reinstate_account_reopens_a_suspended_account_for_registry_admins_only(served: Served) -> None:
    intruder = token("mallory", served.proponent, "TRADER")
    with pytest.raises(grpc.aio.AioRpcError):
        await served.stub.Retire(
            registry_pb2.RetireRequest(
                account_id=served.source,
                batch_id=served.batch,
                quantity_t=1,
                purpose=types_pb2.RETIREMENT_PURPOSE_VOLUNTARY_OFFSET,
                beneficiary="Mallory",
                retirement_year=2024,
            ),
            metadata=intruder,
        )
    request = registry_pb2.ReinstateAccountRequest(idempotency_key="reinstate-1", account_id=served.source)
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await served.stub.ReinstateAccount(request, metadata=served.holder())
    assert error.value.code() is grpc.StatusCode.PERMISSION_DENIED
    reinstated = await served.stub.ReinstateAccount(request, metadata=token("admin", None, "REGISTRY_ADMIN"))
    assert reinstated.account_id == served.source
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await served.stub.ReinstateAccount(
            registry_pb2.ReinstateAccountRequest(account_id=served.source),
            metadata=token("admin", None, "REGISTRY_ADMIN"),
        )
    assert reason_of(error.value) == "ACCOUNT_NOT_SUSPENDED"
