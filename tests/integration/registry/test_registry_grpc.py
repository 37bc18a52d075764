"""The RegistryService through a real grpc.aio server in-process: bearer tokens in metadata, errors
as status codes with google.rpc.ErrorInfo reasons."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import pytest
from carbon.registry.v1 import registry_pb2, registry_pb2_grpc, types_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from carbon_runtime.persistence.db import make_engine
from carbon_runtime.settings import AuthSettings
from carbon_runtime.transport.auth import TokenVerifier, issue_dev_token, issue_service_token
from carbon_runtime.transport.grpc_runtime import build_server
from services.registry.entrypoints.grpc_server import register_registry_service
from tests.integration.registry.support import Registry, make_deps
from tests.support.databases import MigratedDatabaseUrl

AUTH = AuthSettings()


Metadata = tuple[tuple[str, str | bytes], ...]


def token(sub: str, org: str | None, *roles: str) -> Metadata:
    return (("authorization", f"Bearer {issue_dev_token(AUTH.jwt_secret, sub, org, roles)}"),)


def service_token(name: str) -> Metadata:
    return (("authorization", f"Bearer {issue_service_token(AUTH, name)}"),)


@dataclass
class Served:
    stub: registry_pb2_grpc.RegistryServiceAsyncStub
    registry: Registry


@pytest.fixture
async def served(migrated_database_url: MigratedDatabaseUrl) -> AsyncIterator[Served]:
    engine = make_engine(migrated_database_url("registry"))
    deps = make_deps(engine)

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
        yield Served(registry_pb2_grpc.RegistryServiceStub(channel), Registry(deps))
    finally:
        await channel.close()
        await server.stop(None)
        engine.dispose()


def reason_of(error: grpc.aio.AioRpcError) -> str:
    status = rpc_status.from_call(error)
    assert status is not None
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return str(info.reason)
    raise AssertionError("no ErrorInfo in the status details")


async def test_grpc_flow_mint_transfer_retire_and_read(served: Served) -> None:
    admin = token("admin", None, "REGISTRY_ADMIN")
    org = (
        await served.stub.CreateOrganization(
            registry_pb2.CreateOrganizationRequest(name="Proponent", country="JP"), metadata=admin
        )
    ).organization.organization_id
    account = (
        await served.stub.OpenAccount(
            registry_pb2.OpenAccountRequest(organization_id=org, kind=types_pb2.ACCOUNT_KIND_HOLDING), metadata=admin
        )
    ).account.account_id
    other = (
        await served.stub.OpenAccount(
            registry_pb2.OpenAccountRequest(organization_id=org, kind=types_pb2.ACCOUNT_KIND_HOLDING), metadata=admin
        )
    ).account.account_id
    service = service_token("issuance")
    minted = await served.stub.MintBatch(served.registry.mint_request(org, account, 100), metadata=service)
    holder = token("alice", org, "ACCOUNT_HOLDER")
    await served.stub.Transfer(
        registry_pb2.TransferRequest(
            from_account_id=account, to_account_id=other, batch_id=minted.batch_id, quantity_t=10
        ),
        metadata=holder,
    )
    retired = await served.stub.Retire(
        registry_pb2.RetireRequest(
            account_id=account,
            batch_id=minted.batch_id,
            quantity_t=5,
            purpose=types_pb2.RETIREMENT_PURPOSE_VOLUNTARY_OFFSET,
            beneficiary="Alice",
            retirement_year=2024,
        ),
        metadata=holder,
    )
    assert len(retired.serial_ranges) == 1
    read = await served.stub.GetAccount(registry_pb2.GetAccountRequest(account_id=account), metadata=holder)
    assert read.account.balance_t == 85
    holdings = await served.stub.ListHoldings(
        registry_pb2.ListHoldingsRequest(account_id=account, page_size=1), metadata=holder
    )
    assert len(holdings.blocks) == 1 and holdings.next_page_token == ""
    totals = await served.stub.GetBatchTotals(registry_pb2.GetBatchTotalsRequest(), metadata=service)
    assert totals.batches[0].minted_quantity_t == 100
    organization = await served.stub.GetOrganization(
        registry_pb2.GetOrganizationRequest(organization_id=org), metadata=holder
    )
    assert list(organization.organization.account_ids) == [account, other, f"RETIREMENT-{org}"]


async def test_grpc_insufficient_balance_is_failed_precondition_with_reason(served: Served) -> None:
    org = served.registry.org()
    account, other = served.registry.account(org), served.registry.account(org)
    batch = served.registry.mint(org, account, 10)
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await served.stub.Transfer(
            registry_pb2.TransferRequest(from_account_id=account, to_account_id=other, batch_id=batch, quantity_t=11),
            metadata=token("alice", org, "ACCOUNT_HOLDER"),
        )
    assert error.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert reason_of(error.value) == "INSUFFICIENT_BALANCE"


async def test_grpc_refuses_anonymous_and_foreign_callers(served: Served) -> None:
    org = served.registry.org()
    account = served.registry.account(org)
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await served.stub.GetAccount(registry_pb2.GetAccountRequest(account_id=account))
    assert error.value.code() is grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await served.stub.GetAccount(
            registry_pb2.GetAccountRequest(account_id=account), metadata=token("bob", "OTHER", "ACCOUNT_HOLDER")
        )
    assert error.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert reason_of(error.value) == "NOT_AUTHORIZED"


async def test_grpc_reused_key_with_other_arguments_is_already_exists(served: Served) -> None:
    admin = token("admin", None, "REGISTRY_ADMIN")
    request = registry_pb2.CreateOrganizationRequest(idempotency_key="k", name="A", country="JP")
    first = await served.stub.CreateOrganization(request, metadata=admin)
    assert await served.stub.CreateOrganization(request, metadata=admin) == first
    request.name = "B"
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await served.stub.CreateOrganization(request, metadata=admin)
    assert error.value.code() is grpc.StatusCode.ALREADY_EXISTS
    assert reason_of(error.value) == "TRANSACTION_ID_REUSED"


async def test_grpc_lock_settle_unlock_and_ndc_use(served: Served) -> None:
    registry = served.registry
    seller, buyer = registry.org(), registry.org()
    account, buyer_account = registry.account(seller), registry.account(buyer)
    batch = registry.mint(seller, account, 50)
    service = service_token("trading")
    locked = await served.stub.Lock(
        registry_pb2.LockRequest(account_id=account, quantity_t=30, lock_id="order-9"), metadata=service
    )
    assert sum(b.quantity_t for b in locked.blocks) == 30
    settled = await served.stub.Settle(
        registry_pb2.SettleRequest(
            idempotency_key="trade-9", lock_id="order-9", quantity_t=20, to_account_id=buyer_account, trade_id="9"
        ),
        metadata=service,
    )
    assert settled.remaining_locked_t == 10
    unlocked = await served.stub.Unlock(registry_pb2.UnlockRequest(lock_id="order-9"), metadata=service)
    assert unlocked.remaining_locked_t == 0
    used = await served.stub.UseForNdc(
        registry_pb2.UseForNdcRequest(
            account_id=account, batch_id=batch, quantity_t=5, ndc_country="JP", ndc_year=2030
        ),
        metadata=token("admin", None, "REGISTRY_ADMIN"),
    )
    assert sum(b.quantity_t for b in used.blocks) == 5
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await served.stub.CancelFromBuffer(
            registry_pb2.CancelFromBufferRequest(
                buffer_account_id="NOPE", program_id="X", quantity_t=1, reversal_id="R"
            ),
            metadata=service,
        )
    assert error.value.code() is grpc.StatusCode.NOT_FOUND
    registry.assert_invariants()
