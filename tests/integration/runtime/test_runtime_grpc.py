"""gRPC plumbing: identity from metadata, DomainError -> status + ErrorInfo, health, replay stream."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from carbon.registry.v1 import events_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy import Engine, MetaData

from carbon_runtime.errors import DomainError, ErrorCode, insufficient
from carbon_runtime.messaging.outbox import add_outbox_tables
from carbon_runtime.messaging.replay import register_event_log, replay_from
from carbon_runtime.persistence.db import make_engine
from carbon_runtime.persistence.uow import UnitOfWork
from carbon_runtime.settings import DEV_JWT_SECRET, AuthSettings
from carbon_runtime.transport.auth import TokenVerifier, issue_dev_token, issue_service_token
from carbon_runtime.transport.grpc_runtime import GrpcClient, build_server, current_principal
from tooling.devstack import free_port

metadata = MetaData()
outbox = add_outbox_tables(metadata)


def _echo_handler() -> Any:
    def whoami(request: bytes, context: Any) -> bytes:
        p = current_principal()
        return f"{p.user_id}|{p.organization_id}".encode()

    async def whoami_async(request: bytes, context: Any) -> bytes:
        return await asyncio.to_thread(whoami, request, context)

    async def spend(request: bytes, context: Any) -> bytes:
        raise insufficient("INSUFFICIENT_BALANCE", "only 3 t available", available_t=3)

    return grpc.method_handlers_generic_handler(
        "test.Echo",
        {
            "WhoAmI": grpc.unary_unary_rpc_method_handler(whoami_async),
            "Spend": grpc.unary_unary_rpc_method_handler(spend),
        },
    )


class ServerThread:
    def __init__(self, engine: Engine) -> None:
        self.port = free_port()
        self.engine = engine
        self.loop = asyncio.new_event_loop()
        self.started = threading.Event()
        self.stop_event: asyncio.Event | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        def register(server: Any) -> None:
            server.add_generic_rpc_handlers((_echo_handler(),))
            register_event_log(server, self.engine, outbox, "test")

        server, health, _ = await build_server(
            host="127.0.0.1",
            port=self.port,
            verifier=TokenVerifier(AuthSettings(), production=False),
            register=register,
            service_names=["test.Echo"],
            max_message_bytes=1024 * 1024,
        )
        await server.start()
        await health.set("", health_pb2.HealthCheckResponse.SERVING)
        self.stop_event = asyncio.Event()
        self.started.set()
        await self.stop_event.wait()
        await server.stop(0)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        assert self.started.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.stop_event is not None
        self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(10)


@pytest.fixture
def server(tmp_path: Any) -> Iterator[ServerThread]:
    engine = make_engine(f"sqlite:///{tmp_path}/g.db")
    metadata.create_all(engine)
    with ServerThread(engine) as s:
        yield s
    engine.dispose()


def _user_token() -> str:
    return issue_dev_token(DEV_JWT_SECRET, "alice", "org-7", ["TRADER"])


def _unary(client: GrpcClient, name: str) -> Any:
    return client.channel.unary_unary(f"/test.Echo/{name}", request_serializer=None, response_deserializer=None)


def test_caller_identity_travels_in_metadata_and_is_verified(server: ServerThread) -> None:
    client = GrpcClient(f"127.0.0.1:{server.port}", ["test.Echo"])
    token = issue_dev_token(DEV_JWT_SECRET, "alice", "org-7", ["TRADER"])
    assert client.call(_unary(client, "WhoAmI"), b"", token=token) == b"alice|org-7"
    with pytest.raises(DomainError) as err:
        client.call(_unary(client, "WhoAmI"), b"", token=issue_dev_token("forged", "mallory", None, []))
    assert err.value.code is ErrorCode.UNAUTHENTICATED
    client.close()


def test_domain_errors_become_status_codes_with_reason_details(server: ServerThread) -> None:
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    with pytest.raises(grpc.RpcError) as raw:
        spend: Any = channel.unary_unary("/test.Echo/Spend")
        spend(b"", timeout=5, metadata=[("authorization", f"Bearer {_user_token()}")])
    assert raw.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "only 3 t available" in (raw.value.details() or "")
    client = GrpcClient(f"127.0.0.1:{server.port}", ["test.Echo"])
    with pytest.raises(DomainError) as err:
        client.call(_unary(client, "Spend"), b"", token=_user_token())
    assert (err.value.code, err.value.reason) == (ErrorCode.INSUFFICIENT_BALANCE, "INSUFFICIENT_BALANCE")
    channel.close()
    client.close()


def test_unreachable_peer_is_unavailable_and_safe_to_retry() -> None:
    client = GrpcClient(f"127.0.0.1:{free_port()}", ["test.Echo"], deadline_ms=500)
    with pytest.raises(DomainError) as err:
        client.call(_unary(client, "WhoAmI"), b"", token=_user_token())
    assert err.value.code is ErrorCode.UNAVAILABLE
    client.close()


def test_health_service_answers_for_kubernetes_probes(server: ServerThread) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as ch:
        resp = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
    assert resp.status == health_pb2.HealthCheckResponse.SERVING


def test_event_log_replays_from_a_position(server: ServerThread) -> None:
    for i in range(7):
        with UnitOfWork(server.engine, outbox, "test") as uow:
            uow.add_event("Organization", f"org-{i}", events_pb2.OrganizationCreated(organization_id=f"org-{i}"))
    _reader = issue_service_token(AuthSettings(), "reporting", audience="test")
    everything = list(replay_from(f"127.0.0.1:{server.port}", 0, token=_reader))
    assert [env.organization_created.organization_id for _, env in everything] == [f"org-{i}" for i in range(7)]
    later = list(replay_from(f"127.0.0.1:{server.port}", everything[3][0], token=_reader))
    assert [pos for pos, _ in later] == [pos for pos, _ in everything[4:]]
