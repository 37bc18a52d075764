"""Every gRPC method of every service x the tokens an attacker can bring (issue 14, items 1 and 6).

One in-process grpc.aio server hosts all four services' servicers (their dependencies are stand-ins
that fail the test if ever reached: a refused call must never reach a handler) and an event log over
a real table. Only grpc.health.v1 answers without a token; the event log answers only a SERVICE token
minted for its producer; user tokens can never carry SERVICE.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import grpc
import jwt
import pytest
from carbon.events.v1 import event_log_pb2
from carbon.issuance.v1 import issuance_pb2
from carbon.registry.v1 import events_pb2, registry_pb2
from carbon.reporting.v1 import reporting_pb2
from carbon.trading.v1 import trading_pb2, trading_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy import Engine, MetaData

from carbon_runtime.messaging.outbox import add_outbox_tables
from carbon_runtime.messaging.replay import register_event_log, replay_from
from carbon_runtime.persistence.db import make_engine
from carbon_runtime.persistence.uow import UnitOfWork
from carbon_runtime.settings import DEV_JWT_SECRET, DEV_SERVICE_SECRET, AuthSettings
from carbon_runtime.transport.auth import SERVICE_ISSUER, TokenVerifier, issue_dev_token, issue_service_token
from carbon_runtime.transport.grpc_runtime import build_server
from services.issuance.entrypoints.grpc_server import register_issuance_service
from services.registry.entrypoints.grpc_server import register_registry_service
from services.reporting.entrypoints import grpc_server as reporting_grpc
from services.trading.entrypoints.grpc_server import TradingServicer
from tooling.devstack import free_port

PRODUCER = "registry"
AUTH = AuthSettings()
metadata = MetaData()
outbox = add_outbox_tables(metadata)

SERVICES = [
    issuance_pb2.DESCRIPTOR.services_by_name["IssuanceService"],
    registry_pb2.DESCRIPTOR.services_by_name["RegistryService"],
    trading_pb2.DESCRIPTOR.services_by_name["TradingService"],
    reporting_pb2.DESCRIPTOR.services_by_name["ReportingService"],
    event_log_pb2.DESCRIPTOR.services_by_name["EventLog"],
]
METHODS = [(f"/{s.full_name}/{m.name}", m.server_streaming) for s in SERVICES for m in s.methods]


class _Unreachable:
    """A dependency a refused call must never touch."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a refused call reached a handler dependency ({name})")


def _forged_user_service_token() -> str:
    # A dev-secret user token claiming SERVICE (what `make token --role SERVICE` used to print).
    import time

    now = int(time.time())
    claims = {"sub": "mallory", "roles": ["SERVICE"], "iat": now, "exp": now + 600}
    return jwt.encode(claims, DEV_JWT_SECRET, algorithm="HS256")


def _service_token_signed_with(secret: str, audience: str) -> str:
    import time

    now = int(time.time())
    claims = {"sub": "service:x", "roles": ["SERVICE"], "iss": SERVICE_ISSUER, "aud": audience,
              "iat": now, "exp": now + 600}  # fmt: skip
    return jwt.encode(claims, secret, algorithm="HS256")


class Server:
    def __init__(self, engine: Engine, *, production_reflection_off: bool = False) -> None:
        self.engine = engine
        self.reflection = not production_reflection_off
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.started = threading.Event()
        self.stop_event: asyncio.Event | None = None
        self.thread = threading.Thread(target=lambda: self.loop.run_until_complete(self._serve()), daemon=True)

    async def _serve(self) -> None:
        def register(server: Any) -> None:
            u: Any = _Unreachable()
            register_issuance_service(server, u, u)
            register_registry_service(server, u, u)
            trading_pb2_grpc.add_TradingServiceServicer_to_server(TradingServicer(u), server)
            reporting_grpc.register(server, u, u, u)
            register_event_log(server, self.engine, outbox, PRODUCER)

        server, health, _ = await build_server(
            host="127.0.0.1", port=self.port,
            verifier=TokenVerifier(AUTH, production=False, service_name=PRODUCER),
            register=register, service_names=[s.full_name for s in SERVICES], max_message_bytes=1 << 20,
            reflection_enabled=self.reflection,
        )  # fmt: skip
        await server.start()
        await health.set("", health_pb2.HealthCheckResponse.SERVING)
        self.stop_event = asyncio.Event()
        self.started.set()
        await self.stop_event.wait()
        await server.stop(0)

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self.thread.start()
        assert self.started.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.stop_event is not None
        self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(10)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('matrix')}/log.db")
    metadata.create_all(engine)
    with UnitOfWork(engine, outbox, PRODUCER) as uow:
        uow.add_event("Account", "acc-1", events_pb2.OrganizationCreated(organization_id="org-secret"))
    with Server(engine) as server:
        yield server
    engine.dispose()


def _call(target: str, path: str, streaming: bool, token: str | None) -> grpc.StatusCode:
    metadata: tuple[tuple[str, str | bytes], ...] = (("authorization", f"Bearer {token}"),) if token is not None else ()
    failure: grpc.RpcError | None = None
    with grpc.insecure_channel(target) as channel:
        try:
            if streaming:
                stream: Any = channel.unary_stream(path)
                list(stream(b"", timeout=5, metadata=metadata))
            else:
                unary: Any = channel.unary_unary(path)
                unary(b"", timeout=5, metadata=metadata)
        except grpc.RpcError as exc:
            failure = exc
    if failure is None:
        return grpc.StatusCode.OK
    details = failure.details() or ""
    assert "Signature" not in details and "audience" not in details.lower(), "the JWT library's text is not echoed"
    code: grpc.StatusCode = failure.code()
    return code


ATTACKER_TOKENS = {
    "no token": None,
    "empty bearer": "",
    "garbage": "not-a-jwt",
    "forged signature": issue_dev_token("attacker-secret", "mallory", "org-1", ["REGISTRY_ADMIN"]),
    "user token claiming SERVICE": _forged_user_service_token(),
    "service token signed with a guessed secret": _service_token_signed_with("guessed-secret", PRODUCER),
}


@pytest.mark.parametrize(("path", "streaming"), METHODS, ids=[p for p, _ in METHODS])
@pytest.mark.parametrize("label", list(ATTACKER_TOKENS))
def test_every_grpc_method_refuses_callers_without_a_valid_token(
    served: Server, path: str, streaming: bool, label: str
) -> None:
    assert _call(served.target, path, streaming, ATTACKER_TOKENS[label]) == grpc.StatusCode.UNAUTHENTICATED


def test_health_answers_without_a_token_for_kubernetes_probes(served: Server) -> None:
    with grpc.insecure_channel(served.target) as ch:
        resp = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
    assert resp.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_needs_a_token(served: Server) -> None:
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    with grpc.insecure_channel(served.target) as ch:
        stub = reflection_pb2_grpc.ServerReflectionStub(ch)
        with pytest.raises(grpc.RpcError) as refused:
            list(stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5))
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_reflection_is_off_in_production(tmp_path: Any) -> None:
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    engine = make_engine(f"sqlite:///{tmp_path}/p.db")
    metadata.create_all(engine)
    token = issue_dev_token(DEV_JWT_SECRET, "admin", None, ["REGISTRY_ADMIN"])
    with Server(engine, production_reflection_off=True) as server, grpc.insecure_channel(server.target) as ch:
        stub = reflection_pb2_grpc.ServerReflectionStub(ch)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        with pytest.raises(grpc.RpcError) as refused:
            list(stub.ServerReflectionInfo(iter([request]), timeout=5, metadata=[("authorization", f"Bearer {token}")]))
    assert refused.value.code() == grpc.StatusCode.UNIMPLEMENTED
    engine.dispose()


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (
            issue_dev_token(DEV_JWT_SECRET, "admin", None, ["REGISTRY_ADMIN", "AUDITOR"]),
            grpc.StatusCode.PERMISSION_DENIED,
        ),
        (issue_service_token(AUTH, "reporting"), grpc.StatusCode.PERMISSION_DENIED),  # no audience
        (issue_service_token(AUTH, "reporting", audience="trading"), grpc.StatusCode.UNAUTHENTICATED),
        (_service_token_signed_with(DEV_SERVICE_SECRET + "x", PRODUCER), grpc.StatusCode.UNAUTHENTICATED),
    ],
    ids=["staff user", "service token without audience", "service token for another service", "wrong key"],
)
def test_event_log_is_refused_to_everyone_but_a_service_token_for_its_producer(
    served: Server, token: str, code: grpc.StatusCode
) -> None:
    assert _call(served.target, "/carbon.events.v1.EventLog/Replay", True, token) == code
    assert _call(served.target, "/carbon.events.v1.EventLog/Head", False, token) == code


def test_event_log_replays_to_a_service_token_minted_for_its_producer(served: Server) -> None:
    token = issue_service_token(AUTH, "reporting", audience=PRODUCER)
    events = list(replay_from(served.target, 0, timeout_s=5, token=token))
    assert [env.organization_created.organization_id for _, env in events] == ["org-secret"]
