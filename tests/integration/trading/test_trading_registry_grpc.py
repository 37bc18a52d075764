"""The real gRPC registry adapter against an in-process fake RegistryService (grpc.aio)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from datetime import date
from typing import Any

import grpc
import pytest
from carbon.issuance.v1 import types_pb2 as issuance_types_pb2
from carbon.registry.v1 import registry_pb2, registry_pb2_grpc, types_pb2

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.transport.grpc_runtime import GrpcClient, domain_error_to_status
from services.trading.adapters.registry_client import REGISTRY_SERVICE, GrpcRegistry
from services.trading.service.ports import DeliveryCriteria


class FakeRegistryService(registry_pb2_grpc.RegistryServiceServicer):
    def __init__(self) -> None:
        self.requests: list[tuple[str, Any, str | None]] = []

    def _record(self, name: str, request: Any, context: Any) -> None:
        md = dict(context.invocation_metadata() or ())
        self.requests.append((name, request, md.get("authorization")))

    async def GetAccount(self, request: Any, context: Any) -> registry_pb2.GetAccountResponse:
        self._record("GetAccount", request, context)
        if request.account_id == "missing":
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such account")
        return registry_pb2.GetAccountResponse(
            account=types_pb2.Account(
                account_id=request.account_id,
                organization_id="org-1",
                kind=types_pb2.ACCOUNT_KIND_HOLDING,
                balance_t=40,
                locked_t=2,
            )
        )

    async def Lock(self, request: Any, context: Any) -> registry_pb2.LockResponse:
        self._record("Lock", request, context)
        if request.quantity_t > 100:
            status = domain_error_to_status(
                DomainError(ErrorCode.INSUFFICIENT_BALANCE, "UNITS_NOT_HELD", "not enough matching units")
            )
            await context.abort(status.code, status.details, status.trailing_metadata)
        return registry_pb2.LockResponse(lock_id=request.lock_id)

    async def Unlock(self, request: Any, context: Any) -> registry_pb2.UnlockResponse:
        self._record("Unlock", request, context)
        return registry_pb2.UnlockResponse(remaining_locked_t=3)

    async def Settle(self, request: Any, context: Any) -> registry_pb2.SettleResponse:
        self._record("Settle", request, context)
        return registry_pb2.SettleResponse(
            settlement_id="stl-1",
            deliveries=[
                types_pb2.TransferAccounting(batch_id="b-old", quantity_t=request.quantity_t - 1),
                types_pb2.TransferAccounting(batch_id="b-new", quantity_t=1),
            ],
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def fake_registry() -> Iterator[tuple[FakeRegistryService, str]]:
    servicer = FakeRegistryService()  # type: ignore[abstract]  # only the methods the exchange calls
    port = _free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop: asyncio.Event | None = None

    async def serve() -> None:
        nonlocal stop
        stop = asyncio.Event()
        server = grpc.aio.server()
        registry_pb2_grpc.add_RegistryServiceServicer_to_server(servicer, server)
        server.add_insecure_port(f"127.0.0.1:{port}")
        await server.start()
        started.set()
        await stop.wait()
        await server.stop(grace=None)

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    started.wait(10)
    yield servicer, f"127.0.0.1:{port}"
    assert stop is not None
    loop.call_soon_threadsafe(stop.set)
    thread.join(10)
    loop.close()


def test_lock_sends_criteria_lock_id_and_callers_token(fake_registry: tuple[FakeRegistryService, str]) -> None:
    servicer, target = fake_registry
    adapter = GrpcRegistry(GrpcClient(target, retry_services=[REGISTRY_SERVICE]))
    adapter.lock(
        account_id="a-1",
        quantity_t=5,
        lock_id="order-1",
        criteria=DeliveryCriteria(
            program_ids=("jcredit",),
            credit_types=("REMOVAL",),
            categories=("NDC_CONTRIBUTING",),
            vintage_from=date(2020, 1, 1),
            batch_id="b-1",
        ),
        idempotency_key="lock-order-1",
        token="trader-token",
    )
    name, request, auth = servicer.requests[-1]
    assert (name, request.lock_id, request.quantity_t, auth) == ("Lock", "order-1", 5, "Bearer trader-token")
    assert list(request.criteria.credit_types) == [issuance_types_pb2.CREDIT_TYPE_REMOVAL]
    assert list(request.criteria.categories) == [issuance_types_pb2.CREDIT_CATEGORY_NDC_CONTRIBUTING]
    assert (request.criteria.vintage_from, request.criteria.vintage_to, request.criteria.batch_id) == (
        "2020-01-01",
        "",
        "b-1",
    )


def test_lock_refusal_keeps_the_registrys_error_code(fake_registry: tuple[FakeRegistryService, str]) -> None:
    _, target = fake_registry
    adapter = GrpcRegistry(GrpcClient(target, retry_services=[REGISTRY_SERVICE]))
    with pytest.raises(DomainError) as err:
        adapter.lock(
            account_id="a-1", quantity_t=500, lock_id="o", criteria=DeliveryCriteria(), idempotency_key="k", token="t"
        )
    assert (err.value.code, err.value.reason) == (ErrorCode.INSUFFICIENT_BALANCE, "UNITS_NOT_HELD")


def test_settle_reports_every_batch_delivered_and_uses_the_trade_key(
    fake_registry: tuple[FakeRegistryService, str],
) -> None:
    servicer, target = fake_registry
    adapter = GrpcRegistry(GrpcClient(target, retry_services=[REGISTRY_SERVICE]))
    receipt = adapter.settle(
        lock_id="sell-1",
        quantity_t=10,
        to_account_id="buyer",
        trade_id="t-1",
        idempotency_key="settle-t-1",
        token="service-token",
    )
    assert receipt.settlement_id == "stl-1"
    assert [(d.batch_id, d.quantity_t) for d in receipt.deliveries] == [("b-old", 9), ("b-new", 1)]
    _, request, auth = servicer.requests[-1]
    assert (request.idempotency_key, request.trade_id, auth) == ("settle-t-1", "t-1", "Bearer service-token")


def test_get_account_and_unlock_map_the_registry_answers(fake_registry: tuple[FakeRegistryService, str]) -> None:
    servicer, target = fake_registry
    adapter = GrpcRegistry(GrpcClient(target, retry_services=[REGISTRY_SERVICE]))
    account = adapter.get_account("a-9", "tok")
    assert (account.organization_id, account.kind, account.balance_t) == ("org-1", "HOLDING", 40)
    with pytest.raises(DomainError) as err:
        adapter.get_account("missing", "tok")
    assert err.value.code is ErrorCode.NOT_FOUND
    assert adapter.unlock(lock_id="o-1", quantity_t=None, idempotency_key="u", token="tok") == 3
    assert not servicer.requests[-1][1].HasField("quantity_t")  # absent releases everything


def test_registry_down_is_unavailable() -> None:
    adapter = GrpcRegistry(GrpcClient(f"127.0.0.1:{_free_port()}", retry_services=[REGISTRY_SERVICE], deadline_ms=500))
    with pytest.raises(DomainError) as err:
        adapter.settle(lock_id="l", quantity_t=1, to_account_id="a", trade_id="t", idempotency_key="k", token="s")
    assert err.value.code is ErrorCode.UNAVAILABLE
