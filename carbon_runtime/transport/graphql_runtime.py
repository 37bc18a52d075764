"""GraphQL subgraphs: a Strawberry federation schema on FastAPI at /graphql, plus /healthz, /readyz
and /metrics.

Errors carry the contract's `extensions.code` (and a stable `reason`); unexpected exceptions are
masked so no stack trace or internal detail ever reaches a partner. Parser and validation caches are
on; depth, alias and token limits are enforced in the subgraph too, not only at the gateway.

GraphQL over HTTP: a client that accepts `application/graphql-response+json` (the gateway does) gets
that media type back, a 400 for a request error (the document does not parse or validate, or the
variables do not coerce) and no `data` entry when the operation never ran; a client that accepts only
`application/json` keeps the legacy behaviour (200 with `data: null`). graphql-http's `auditServer`
checks this (tests/e2e/gateway/test_graphql_over_http_audit.py).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import strawberry
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.error import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from opentelemetry.trace import SpanKind
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.fastapi import BaseContext, GraphQLRouter
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.config import StrawberryConfig
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types import StreamExecutionResult
from strawberry.types.execution import ExecutionResult as StrawberryExecutionResult
from strawberry.types.unset import UNSET

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.ops import telemetry
from carbon_runtime.settings import ServiceSettings
from carbon_runtime.token_bucket import TokenBucketLimiter
from carbon_runtime.transport.auth import ANONYMOUS, Principal, TokenVerifier
from carbon_runtime.transport.graphql_contract import SCALAR_MAP
from carbon_runtime.transport.limits import load_persisted_documents, persisted_documents_rule

log = logging.getLogger(__name__)


class RequestContext(BaseContext):
    """What every resolver receives as `info.context`."""

    def __init__(self, extras: dict[str, Any] | None = None) -> None:
        super().__init__()
        self._principal: Principal = ANONYMOUS
        self._auth_error: DomainError | None = None
        self.extras: dict[str, Any] = extras if extras is not None else {}

    @property
    def principal(self) -> Principal:
        # A bad token fails every resolver that asks who the caller is, instead of silently
        # downgrading the caller to anonymous.
        if self._auth_error is not None:
            raise self._auth_error
        return self._principal


def _error_code(err: GraphQLError) -> tuple[str, str | None, str]:
    original = err.original_error
    if isinstance(original, DomainError):
        return original.code.value, original.reason, original.message
    preset = (err.extensions or {}).get("code")
    if original is None and isinstance(preset, str):
        return preset, (err.extensions or {}).get("reason"), err.message
    if original is None:
        # Parse/validation errors: the document itself is wrong.
        return ErrorCode.INVALID_ARGUMENT.value, "INVALID_DOCUMENT", err.message
    if isinstance(original, GraphQLError):
        return _error_code(original)
    log.error("unexpected error in resolver", exc_info=original)
    return "INTERNAL", None, "internal error; the platform operators have been notified"


def contract_errors(errors: Sequence[GraphQLError]) -> list[GraphQLError]:
    """Every error with the contract's `extensions.code` (and `reason`), internals hidden. Idempotent:
    an error that already carries a code keeps it."""
    converted: list[GraphQLError] = []
    for err in errors:
        code, reason, message = _error_code(err)
        extensions: dict[str, Any] = {"code": code}
        if reason:
            extensions["reason"] = reason
        converted.append(
            GraphQLError(
                message=message,
                nodes=err.nodes,
                source=err.source,
                positions=err.positions,
                path=err.path,
                original_error=None,
                extensions=extensions,
            )
        )
    return converted


class ContractErrors(SchemaExtension):
    """Rewrites every error to carry `extensions.code` from the contract and hides internals."""

    def _convert(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return contract_errors(errors)

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, GraphQLExecutionResult | StrawberryExecutionResult) and result.errors:
            result.errors = self._convert(list(result.errors))
        pre = self.execution_context.pre_execution_errors
        if pre:
            self.execution_context.pre_execution_errors = self._convert(list(pre))

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        # Each result a streaming transport (SSE) sends is rewritten before it leaves, like a plain
        # response: without this a subscription's errors would carry no code and leak internals.
        if isinstance(result, GraphQLExecutionResult | StrawberryExecutionResult) and result.errors:
            result.errors = self._convert(list(result.errors))
        yield


def schema_extensions(settings: ServiceSettings) -> list[Any]:
    ext: list[Any] = [
        ContractErrors,
        ParserCache(maxsize=512),
        ValidationCache(maxsize=512),
        QueryDepthLimiter(max_depth=settings.graphql_max_depth),
        MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases),
        MaxTokensLimiter(max_token_count=4000),
    ]
    if settings.is_production:
        ext.append(AddValidationRules([NoSchemaIntrospectionCustomRule]))
    if settings.persisted_documents_file:
        rule = persisted_documents_rule(load_persisted_documents(settings.persisted_documents_file))
        ext.append(AddValidationRules([rule]))
    return ext


class CarbonSchema(strawberry.federation.Schema):
    """Refused requests (DomainError, invalid documents) are an everyday outcome for an API, not a
    server fault: they are logged at INFO without a traceback; only unexpected errors at ERROR."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        unexpected: list[GraphQLError] = []
        for err in errors:
            code = (err.extensions or {}).get("code")
            if isinstance(err.original_error, DomainError) or (
                err.original_error is None and code not in (None, "INTERNAL")
            ):
                log.info("request refused", extra={"fields": {"code": code, "message": err.message}})
            elif err.original_error is None and code is None:
                log.info("invalid document", extra={"fields": {"message": err.message}})
            else:
                unexpected.append(err)
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema(
    settings: ServiceSettings,
    query: type,
    mutation: type | None = None,
    types: Sequence[type] = (),
    extensions: Sequence[Any] | None = None,
    subscription: type | None = None,
) -> CarbonSchema:
    return CarbonSchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=list(types),
        extensions=list(extensions) if extensions is not None else schema_extensions(settings),
        federation_version="2.7",
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )


GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


def accepts_graphql_response_json(accept: str | None) -> bool:
    """Whether the client asked for `application/graphql-response+json` at least as much as for
    `application/json`. No Accept header, `*/*` or only `application/json` mean the legacy media type
    (GraphQL over HTTP: servers SHOULD treat a request without Accept as `application/json`)."""
    best: dict[str, float] = {}
    for item in (accept or "").split(","):
        media_type, *params = item.split(";")
        media_type = media_type.strip().lower()
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        best[media_type] = max(best.get(media_type, 0.0), q)
    preferred = best.get(GRAPHQL_RESPONSE_JSON, 0.0)
    return preferred > 0 and preferred >= best.get("application/json", 0.0)


def is_request_error(result: GraphQLExecutionResult | StrawberryExecutionResult) -> bool:
    """The operation never ran: the document did not parse or validate, or the variables did not
    coerce. Such errors carry no `path`; a field error always does, and a failed non-null root field
    (data null after execution) is an ordinary field error, answered with 200. An internal fault
    before execution (code INTERNAL) is not the client's request error."""
    errors = result.errors or []
    return (
        result.data is None
        and bool(errors)
        and all(err.path is None and (err.extensions or {}).get("code") != "INTERNAL" for err in errors)
    )


class GraphQLOverHTTPRouter(GraphQLRouter[RequestContext, None]):
    """Strawberry's FastAPI router, made compliant with GraphQL over HTTP for
    `application/graphql-response+json`: that media type when the client accepts it, and for a request
    error a 400 without a `data` entry. Every error leaves with the contract's `extensions.code`, also
    those a parser-cache hit raises before the ContractErrors extension can see them."""

    async def process_result(self, request: Request, result: StrawberryExecutionResult) -> GraphQLHTTPResponse:
        if result.errors:
            result.errors = contract_errors(list(result.errors))
        body = await super().process_result(request, result)
        if accepts_graphql_response_json(request.headers.get("accept")):
            request.state.graphql_response_json = True
            if is_request_error(result):
                request.state.graphql_request_error = True
                body.pop("data", None)
        return body

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        response = await super().run(request, context=context, root_value=root_value)
        if not isinstance(request, Request) or not isinstance(response, Response):
            return response
        if isinstance(response, StreamingResponse) or not getattr(request.state, "graphql_response_json", False):
            return response
        response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
        if getattr(request.state, "graphql_request_error", False):
            response.status_code = 400
        return response


def _client_address(request: Request, *, trust_forwarded: bool) -> str:
    """The client's address for per-client limits. Behind the gateway every request comes from the
    gateway's own address, so anonymous callers would share one bucket; the gateway forwards the
    address it saw in X-Forwarded-For, trusted only on requests that proved to come from it."""
    if trust_forwarded:
        forwarded = request.headers.get("x-forwarded-for", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first
    return request.client.host if request.client else "unknown"


def create_http_app(
    settings: ServiceSettings,
    schema: strawberry.federation.Schema,
    verifier: TokenVerifier,
    *,
    ready_check: Callable[[], bool],
    extras: dict[str, Any] | None = None,
) -> FastAPI:
    settings.require_gateway_secret()
    app = FastAPI(title=f"carbon {settings.service_name}", docs_url=None, redoc_url=None, openapi_url=None)
    shared_extras = extras or {}

    async def get_context(request: Request, response: Response) -> RequestContext:
        ctx = RequestContext(extras=shared_extras)
        verified = getattr(request.state, "principal", None)
        if isinstance(verified, Principal):
            ctx._principal = verified
            return ctx
        try:
            ctx._principal = await verifier.from_authorization_async(request.headers.get("authorization"))
        except DomainError as err:
            ctx._auth_error = err
        return ctx

    # Subscriptions are served as GraphQL over SSE (`Accept: text/event-stream`, GET or POST): the
    # protocol Hive Gateway speaks to subgraphs by default, and plain HTTP, so the limits, the
    # gateway secret and tracing below apply to it too. Only a schema with a Subscription type
    # turns it on; every other subgraph answers exactly as before.
    protocols: tuple[str, ...] = (GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL)  # Strawberry's default
    if schema.subscription is not None:
        protocols += (GRAPHQL_SSE_PROTOCOL,)
    router: GraphQLRouter[RequestContext, None] = GraphQLOverHTTPRouter(
        schema,
        context_getter=get_context,
        graphql_ide=None if settings.is_production else "graphiql",
        multipart_uploads_enabled=False,
        subscription_protocols=protocols,
    )

    limiter = TokenBucketLimiter(settings.rate_limit_per_s, settings.rate_limit_burst)

    def _error(status: int, message: str, code: str, reason: str | None = None) -> JSONResponse:
        extensions = {"code": code, **({"reason": reason} if reason else {})}
        return JSONResponse({"errors": [{"message": message, "extensions": extensions}]}, status_code=status)

    @app.middleware("http")
    async def limits_and_tracing(request: Request, call_next: Callable[[Request], Any]) -> Any:
        if request.url.path == "/graphql":
            secret = settings.auth.gateway_secret
            # Constant-time: a byte-by-byte comparison would leak the secret's prefix through timing.
            from_gateway = bool(secret) and hmac.compare_digest(
                request.headers.get("x-gateway-secret", "").encode(), (secret or "").encode()
            )
            if settings.is_production and not from_gateway:
                return _error(403, "requests must come through the gateway", "FORBIDDEN")
            auth_header = request.headers.get("authorization")
            if auth_header:
                # An invalid or expired token is refused at once, before any resolver: it is never
                # served as anonymous (not even public fields).
                try:
                    request.state.principal = await verifier.from_authorization_async(auth_header)
                except DomainError as err:
                    # 200 like every other GraphQL error (application/json), so the gateway passes
                    # the error and its code on to the client instead of reporting a failed subgraph.
                    return _error(200, err.message, "UNAUTHENTICATED", err.reason)
            client = (
                "t:" + hashlib.sha256(auth_header.encode()).hexdigest()
                if auth_header
                else "a:" + _client_address(request, trust_forwarded=from_gateway)
            )
            if not limiter.allow(client):
                return JSONResponse(
                    {"errors": [{"message": "rate limit exceeded; slow down and retry",
                                 "extensions": {"code": "UNAVAILABLE", "reason": "RATE_LIMITED"}}]},
                    status_code=429,
                    headers={"retry-after": "1"},
                )  # fmt: skip
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > settings.max_request_bytes):
            return JSONResponse(
                {"errors": [{"message": "request body too large", "extensions": {"code": "INVALID_ARGUMENT"}}]},
                status_code=413,
            )
        carrier = {k: v for k, v in request.headers.items() if k in ("traceparent", "tracestate")}
        with telemetry.span_from_carrier(
            f"{request.method} {request.url.path}",
            carrier,
            SpanKind.SERVER,
            **{"http.route": request.url.path},
        ):
            return await call_next(request)

    app.include_router(router, prefix="/graphql")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> Response:
        ok = ready_check()
        return JSONResponse({"status": "ready" if ok else "not ready"}, status_code=200 if ok else 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        body, content_type = telemetry.prometheus_text()
        return Response(body, media_type=content_type)

    return app
