"""Builds the trading process from its settings: database, outbox relay, registry client, one matching
engine per instrument (rebuilt from the journal), settlement and session workers, gRPC, GraphQL."""

from __future__ import annotations

from typing import Any

from carbon.trading.v1 import trading_pb2_grpc

from carbon_runtime.messaging.replay import register_event_log
from carbon_runtime.ops.bootstrap import Core, build_core, build_process
from carbon_runtime.ops.process import ServiceProcess
from carbon_runtime.transport.auth import issue_service_token
from carbon_runtime.transport.graphql_runtime import build_schema
from carbon_runtime.transport.grpc_runtime import GrpcClient
from services.trading.adapters import tables
from services.trading.adapters.registry_grpc import REGISTRY_SERVICE, GrpcRegistry
from services.trading.domain.session import Clock, SystemClock
from services.trading.entrypoints.graphql_schema import Mutation, Query, Subscription, schema_types
from services.trading.entrypoints.grpc_server import TradingServicer
from services.trading.service.context import RateLimiter, TradingContext
from services.trading.service.ports import RegistryPort
from services.trading.service.sessions import SessionWorker
from services.trading.service.settlement import SettlementWorker
from services.trading.settings import TradingSettings


def build_context(
    settings: TradingSettings, core: Core, registry: RegistryPort, clock: Clock | None = None
) -> TradingContext:
    """The use cases' shared state; loads every instrument's engine from its journal."""
    ctx = TradingContext(
        db=core.engine,
        uow_factory=core.uow,
        registry=registry,
        clock=clock or SystemClock(),
        service_token=lambda: issue_service_token(settings.auth, settings.service_name),
        rate_limiter=RateLimiter(settings.order_rate_limit_per_s, settings.order_rate_burst),
    )
    ctx.load_markets()
    return ctx


def bootstrap(
    settings: TradingSettings | None = None,
    *,
    registry: RegistryPort | None = None,
    clock: Clock | None = None,
) -> ServiceProcess:
    settings = settings or TradingSettings()
    core = build_core(settings, tables.outbox)
    if registry is None:
        client = GrpcClient(
            settings.registry_grpc_target, retry_services=[REGISTRY_SERVICE], deadline_ms=settings.grpc_deadline_ms
        )
        core.on_stop.append(client.close)
        registry = GrpcRegistry(client)
    ctx = build_context(settings, core, registry, clock)
    settlement = SettlementWorker(ctx, settings.settlement_retry_interval_ms)
    ctx.on_trades = lambda _trade_id: settlement.wake()
    core.workers.append(settlement)
    core.workers.append(SessionWorker(ctx, settings.session_poll_interval_ms))
    schema = build_schema(settings, Query, Mutation, types=schema_types(), subscription=Subscription)
    # Known up front: the process copies the names for health and reflection before registering.
    names = ["carbon.trading.v1.TradingService", "carbon.events.v1.EventLog"]

    def register(server: Any) -> None:
        trading_pb2_grpc.add_TradingServiceServicer_to_server(TradingServicer(ctx), server)
        register_event_log(server, core.engine, core.outbox, settings.service_name)

    return build_process(core, schema, register, names, extras={"engine": core.engine, "core": core, "trading": ctx})


def schema_sdl() -> str:
    return str(
        build_schema(TradingSettings(), Query, Mutation, types=schema_types(), subscription=Subscription).as_str()
    )
