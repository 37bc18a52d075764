"""gRPC plumbing shared by every service.

Server side: grpc.aio with health checking (grpc.health.v1, used by Kubernetes probes), reflection,
maximum message sizes, and one interceptor that (1) continues the caller's trace, (2) verifies the
caller's bearer token from metadata and exposes the principal to handlers, (3) turns DomainError
into a status code with rich details (google.rpc.Status + ErrorInfo carrying the stable reason).

Client side: every call has a deadline; only idempotent calls (all our mutations carry idempotency
keys) are retried, and only on UNAVAILABLE, so a retry can never apply a change twice. Channels use
the service's client TLS (P_GRPC_TLS_CA_FILE and, for mutual TLS, P_GRPC_TLS_CLIENT_CERT_FILE/_KEY_FILE):
build_core installs it for the process, so turning on mTLS on the servers keeps peers talking.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from opentelemetry.trace import SpanKind

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.ops import telemetry
from carbon_runtime.transport.auth import ANONYMOUS, Principal, TokenVerifier

ERROR_DOMAIN = "carbon.platform"

_principal: contextvars.ContextVar[Principal] = contextvars.ContextVar("grpc_principal", default=ANONYMOUS)

_TO_GRPC: dict[ErrorCode, grpc.StatusCode] = {
    ErrorCode.UNAUTHENTICATED: grpc.StatusCode.UNAUTHENTICATED,
    ErrorCode.FORBIDDEN: grpc.StatusCode.PERMISSION_DENIED,
    ErrorCode.NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    ErrorCode.INVALID_ARGUMENT: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorCode.FAILED_PRECONDITION: grpc.StatusCode.FAILED_PRECONDITION,
    # Not enough units is a precondition of the system's state, not a malformed request.
    ErrorCode.INSUFFICIENT_BALANCE: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.CONFLICT: grpc.StatusCode.ALREADY_EXISTS,
    ErrorCode.UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
}


def current_principal() -> Principal:
    """The verified caller of the gRPC request being served."""
    return _principal.get()


def domain_error_to_status(err: DomainError) -> Any:
    code = _TO_GRPC[err.code]
    info = error_details_pb2.ErrorInfo(
        reason=err.reason,
        domain=ERROR_DOMAIN,
        metadata={"code": err.code.value, **{k: json.dumps(v, default=str) for k, v in err.details.items()}},
    )
    detail = any_pb2.Any()
    detail.Pack(info)
    status = status_pb2.Status(code=getattr(code_pb2, code.name), message=err.message, details=[detail])
    return rpc_status.to_status(status)


def status_to_domain_error(exc: grpc.RpcError) -> DomainError:
    """Rebuild the DomainError a peer raised, so it reaches the GraphQL caller unchanged."""
    status = rpc_status.from_call(exc)
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                code_name = info.metadata.get("code", "")
                if code_name in ErrorCode.__members__:
                    return DomainError(ErrorCode(code_name), info.reason, status.message)
    code = exc.code() if hasattr(exc, "code") else None
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED):
        return DomainError(ErrorCode.UNAVAILABLE, "DEPENDENCY_UNAVAILABLE", "a platform service is unavailable; retry")
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return DomainError(ErrorCode.UNAUTHENTICATED, "UNAUTHENTICATED", exc.details() or "unauthenticated")
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return DomainError(ErrorCode.FORBIDDEN, "NOT_AUTHORIZED", exc.details() or "forbidden")
    if code == grpc.StatusCode.NOT_FOUND:
        return DomainError(ErrorCode.NOT_FOUND, "NOT_FOUND", exc.details() or "not found")
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return DomainError(ErrorCode.INVALID_ARGUMENT, "INVALID_ARGUMENT", exc.details() or "invalid argument")
    return DomainError(ErrorCode.UNAVAILABLE, "DEPENDENCY_FAILED", "a platform service failed; retry")


# The only methods served without a token: Kubernetes probes cannot carry one. Everything else,
# reflection and the event log included, needs a valid bearer token (missing metadata is refused,
# never treated as anonymous: anyone who reaches a gRPC port would otherwise read the event logs).
PUBLIC_GRPC_PREFIXES: tuple[str, ...] = ("/grpc.health.v1.",)


class CarbonServerInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, verifier: TokenVerifier, public_prefixes: Sequence[str] = PUBLIC_GRPC_PREFIXES) -> None:
        self.verifier = verifier
        self.public_prefixes = tuple(public_prefixes)

    async def intercept_service(self, continuation: Callable[[Any], Awaitable[Any]], details: Any) -> Any:
        handler = await continuation(details)
        method: str = details.method
        if handler is None or method.startswith(self.public_prefixes):
            return handler
        verifier = self.verifier

        async def _enter(context: Any) -> tuple[dict[str, str], contextvars.Token[Principal]]:
            md = {k: v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}
            header = md.get("authorization")
            if not header:
                raise DomainError(ErrorCode.UNAUTHENTICATED, "UNAUTHENTICATED", "this method needs a bearer token")
            principal = await verifier.from_authorization_async(header)
            return md, _principal.set(principal)

        if handler.unary_unary is not None:
            inner_uu = handler.unary_unary

            async def unary_unary(request: Any, context: Any) -> Any:
                md = {k: v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}
                with telemetry.span_from_carrier(method, md, SpanKind.SERVER, **{"rpc.system": "grpc"}):
                    try:
                        _, token = await _enter(context)
                        try:
                            return await inner_uu(request, context)
                        finally:
                            _principal.reset(token)
                    except DomainError as err:
                        await _abort(context, err)

            return grpc.unary_unary_rpc_method_handler(
                unary_unary,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            inner_us = handler.unary_stream

            async def unary_stream(request: Any, context: Any) -> AsyncIterator[Any]:
                md = {k: v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}
                with telemetry.span_from_carrier(method, md, SpanKind.SERVER, **{"rpc.system": "grpc"}):
                    try:
                        _, token = await _enter(context)
                        try:
                            async for item in inner_us(request, context):
                                yield item
                        finally:
                            _principal.reset(token)
                    except DomainError as err:
                        await _abort(context, err)

            return grpc.unary_stream_rpc_method_handler(
                unary_stream,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_stream is not None:
            # Client-streaming kinds (reflection is one) get the same token check before they run.
            inner_ss = handler.stream_stream

            async def stream_stream(request_iterator: Any, context: Any) -> AsyncIterator[Any]:
                try:
                    _, token = await _enter(context)
                    try:
                        async for item in inner_ss(request_iterator, context):
                            yield item
                    finally:
                        _principal.reset(token)
                except DomainError as err:
                    await _abort(context, err)

            return grpc.stream_stream_rpc_method_handler(
                stream_stream,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_unary is not None:
            inner_su = handler.stream_unary

            async def stream_unary(request_iterator: Any, context: Any) -> Any:
                try:
                    _, token = await _enter(context)
                    try:
                        return await inner_su(request_iterator, context)
                    finally:
                        _principal.reset(token)
                except DomainError as err:
                    await _abort(context, err)

            return grpc.stream_unary_rpc_method_handler(
                stream_unary,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler


async def _abort(context: Any, err: DomainError) -> None:
    status = domain_error_to_status(err)
    await context.abort(status.code, status.details, status.trailing_metadata)


def server_options(max_message_bytes: int) -> list[tuple[str, int]]:
    return [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
    ]


@dataclass(frozen=True)
class ServerTls:
    """Server TLS; with a client CA, mutual TLS: callers must present a certificate it signed."""

    cert_file: str
    key_file: str
    client_ca_file: str | None = None

    def credentials(self) -> Any:
        key = Path(self.key_file).read_bytes()
        cert = Path(self.cert_file).read_bytes()
        ca = Path(self.client_ca_file).read_bytes() if self.client_ca_file else None
        return grpc.ssl_server_credentials([(key, cert)], root_certificates=ca, require_client_auth=ca is not None)


@dataclass(frozen=True)
class ClientTls:
    """Client TLS: the CA that signed the peers' server certificates and, for mutual TLS, this
    service's client certificate and key. `server_name` overrides the name checked against the
    peer's certificate (when peers are dialled by IP, or share one certificate name)."""

    ca_file: str
    cert_file: str | None = None
    key_file: str | None = None
    server_name: str | None = None

    def credentials(self) -> Any:
        return grpc.ssl_channel_credentials(
            root_certificates=Path(self.ca_file).read_bytes(),
            private_key=Path(self.key_file).read_bytes() if self.key_file else None,
            certificate_chain=Path(self.cert_file).read_bytes() if self.cert_file else None,
        )

    def options(self) -> list[tuple[str, Any]]:
        return [("grpc.ssl_target_name_override", self.server_name)] if self.server_name else []


def server_tls(settings: Any) -> ServerTls | None:
    if settings.grpc_tls_cert_file and settings.grpc_tls_key_file:
        return ServerTls(settings.grpc_tls_cert_file, settings.grpc_tls_key_file, settings.grpc_tls_client_ca_file)
    return None


def client_tls(settings: Any) -> ClientTls | None:
    """The client side of a service's settings (P_GRPC_TLS_CA_FILE, P_GRPC_TLS_CLIENT_CERT_FILE,
    P_GRPC_TLS_CLIENT_KEY_FILE, P_GRPC_TLS_SERVER_NAME); None: plaintext."""
    if settings.grpc_tls_ca_file:
        return ClientTls(
            settings.grpc_tls_ca_file,
            settings.grpc_tls_client_cert_file,
            settings.grpc_tls_client_key_file,
            getattr(settings, "grpc_tls_server_name", None),
        )
    return None


# The client TLS of this process's service, installed at start-up by build_core
# (carbon_runtime/ops/bootstrap.py), so every GrpcClient and replay channel a service builds speaks
# TLS to its peers without being handed the settings. Nothing sets it at import time.
_process_client_tls: ClientTls | None = None


def configure_client_tls(tls: ClientTls | None) -> None:
    global _process_client_tls
    _process_client_tls = tls


def default_client_tls() -> ClientTls | None:
    return _process_client_tls


def open_channel(target: str, *, tls: ClientTls | None = None, options: Sequence[tuple[str, Any]] = ()) -> Any:
    """A synchronous channel to a peer: TLS with `tls`, else with the process's client TLS
    (configure_client_tls), else plaintext."""
    tls = tls if tls is not None else _process_client_tls
    if tls is None:
        return grpc.insecure_channel(target, options=list(options))
    return grpc.secure_channel(target, tls.credentials(), options=[*options, *tls.options()])


async def build_server(
    *,
    host: str,
    port: int,
    verifier: TokenVerifier,
    register: Callable[[Any], None],
    service_names: Sequence[str],
    max_message_bytes: int,
    tls: ServerTls | None = None,
    reflection_enabled: bool = True,
) -> tuple[Any, Any, int]:
    """Create (not start) a grpc.aio server with health and (unless turned off: production) reflection.
    Returns (server, health, port)."""
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection

    server = grpc.aio.server(
        interceptors=[CarbonServerInterceptor(verifier)], options=server_options(max_message_bytes)
    )
    register(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    if reflection_enabled:
        # Reflection lists every method; production turns it off (and it needs a token anyway).
        names = [*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME]
        reflection.enable_server_reflection(names, server)
    if tls is not None:
        bound = server.add_secure_port(f"{host}:{port}", tls.credentials())
    else:
        bound = server.add_insecure_port(f"{host}:{port}")
    # NOT_SERVING until the process finished starting; the runner flips it.
    for name in ["", *service_names]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
    return server, health_servicer, bound


def _service_config(service_names: Sequence[str]) -> str:
    return json.dumps(
        {
            "methodConfig": [
                {
                    "name": [{"service": s} for s in service_names],
                    "retryPolicy": {
                        "maxAttempts": 4,
                        "initialBackoff": "0.1s",
                        "maxBackoff": "1s",
                        "backoffMultiplier": 2,
                        "retryableStatusCodes": ["UNAVAILABLE"],
                    },
                }
            ]
        }
    )


class GrpcClient:
    """A synchronous client for one peer service (handlers run in worker threads).

    `call` sets the deadline, forwards the caller's bearer token and trace context, and turns any
    failure into a DomainError (UNAVAILABLE when the peer is down: safe to retry with the same key).
    """

    def __init__(
        self,
        target: str,
        retry_services: Sequence[str],
        *,
        deadline_ms: int = 5000,
        max_message_bytes: int = 4 * 1024 * 1024,
        tls: ClientTls | None = None,
        settings: Any = None,
    ) -> None:
        """TLS comes from `tls`, else from `settings` (a ServiceSettings: its client TLS), else from
        the process's client TLS that build_core installed, else the channel is plaintext."""
        self.target = target
        if tls is None and settings is not None:
            tls = client_tls(settings)
        self.tls = tls if tls is not None else _process_client_tls
        self.deadline_ms = deadline_ms
        options: list[tuple[str, Any]] = [
            ("grpc.enable_retries", 1),
            ("grpc.service_config", _service_config(retry_services)),
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
        ]
        self.channel = open_channel(target, tls=self.tls, options=options)

    def call(
        self,
        method: Callable[..., Any],
        request: Any,
        *,
        principal: Principal | None = None,
        token: str | None = None,
        deadline_ms: int | None = None,
    ) -> Any:
        metadata: list[tuple[str, str]] = list(telemetry.current_trace_context().items())
        bearer = token or (principal.token if principal is not None else None)
        if bearer:
            metadata.append(("authorization", f"Bearer {bearer}"))
        name = getattr(method, "_method", b"")
        span_name = name.decode() if isinstance(name, bytes) else str(name) or "grpc call"
        with telemetry.tracer().start_as_current_span(span_name, kind=SpanKind.CLIENT):
            metadata = [
                *list(telemetry.current_trace_context().items()),
                *[m for m in metadata if m[0] not in ("traceparent", "tracestate")],
            ]
            try:
                return method(request, timeout=(deadline_ms or self.deadline_ms) / 1000, metadata=metadata)
            except grpc.RpcError as exc:
                raise status_to_domain_error(exc) from exc

    def close(self) -> None:
        self.channel.close()
