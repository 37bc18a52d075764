"""Builds the trading process from its settings: database, outbox relay, registry client, one matching
engine per instrument (rebuilt from the journal), the message bus, settlement, session and forward
workers, the Kafka consumer of issuance's and the registry's events (forward deliveries), gRPC, GraphQL.
Tests build the same bus with fakes (tests/support)."""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable
from typing import Any

from carbon.trading.v1 import trading_pb2_grpc

from carbon_runtime.messaging.bus import MessageBus
from carbon_runtime.messaging.replay import register_event_log
from carbon_runtime.ops.bootstrap import Core, build_core, build_process
from carbon_runtime.ops.process import ServiceProcess
from carbon_runtime.transport.auth import issue_service_token
from carbon_runtime.transport.graphql_runtime import build_schema
from carbon_runtime.transport.grpc_runtime import GrpcClient
from services.trading.adapters import tables
from services.trading.adapters.read_model import SqlReadModel
from services.trading.adapters.registry_client import REGISTRY_SERVICE, GrpcRegistry
from services.trading.adapters.unit_of_work import SqlUnitOfWork
from services.trading.domain.session import Clock, SystemClock
from services.trading.entrypoints import consumer
from services.trading.entrypoints.app import TradingApp
from services.trading.entrypoints.graphql import Mutation, Query, Subscription, schema_types
from services.trading.entrypoints.grpc_server import TradingServicer
from services.trading.entrypoints.workers import ForwardWorker, SessionWorker, SettlementWorker
from services.trading.service.handlers import HANDLERS
from services.trading.service.markets import Markets
from services.trading.service.messages import to_messages
from services.trading.service.ports import RegistryPort
from services.trading.service.rate_limit import RateLimiter
from services.trading.service.report_otc_trade import OtcPolicy
from services.trading.settings import TradingSettings


def unit_of_work_factory(settings: TradingSettings, core: Core) -> Callable[[], SqlUnitOfWork]:
    # The runtime's own unit of work knows what a commit wakes (the outbox relay, or a fault hook).
    on_commit = core.uow().on_commit

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(
            core.engine, core.outbox, settings.service_name, on_commit, idempotency_table=tables.idempotency_keys
        )

    return uow


def build_app(
    settings: TradingSettings,
    core: Core,
    registry: RegistryPort,
    clock: Clock | None = None,
    *,
    rate_limiter: RateLimiter | None = None,
    wake_settlement: Callable[[], None] = lambda: None,
) -> TradingApp:
    """The bus and its dependencies; loads every instrument's engine from its journal."""
    clock = clock or SystemClock()
    read_model = SqlReadModel(core.engine)
    markets = Markets(read_model, clock)
    markets.load()
    bus: MessageBus[SqlUnitOfWork] = MessageBus(
        unit_of_work_factory(settings, core),
        HANDLERS,
        to_messages,
        dependencies={
            "markets": markets,
            "registry": registry,
            "clock": clock,
            "service_token": lambda: issue_service_token(settings.auth, settings.service_name, audience="registry"),
            "otc_policy": OtcPolicy(settings.otc_price_band_pct, settings.otc_max_backdate_s),
            # Registry lock ids are keyed hashes of order ids (not guessable from public data).
            "lock_secret": hmac.new(settings.auth.service_secret.encode(), b"registry-lock-ids", "sha256").digest(),
            "rate_limiter": rate_limiter or RateLimiter(settings.order_rate_limit_per_s, settings.order_rate_burst),
            "wake_settlement": wake_settlement,
        },
    )
    return TradingApp(bus=bus, markets=markets, read_model=read_model, clock=clock)


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
    # A command that leaves a trade PENDING (registry down) wakes the settlement worker to retry it.
    wake = threading.Event()
    app = build_app(settings, core, registry, clock, wake_settlement=wake.set)
    core.workers.append(SettlementWorker(app.bus, settings.settlement_retry_interval_ms, wake=wake))
    core.workers.append(SessionWorker(app.bus, settings.session_poll_interval_ms))
    core.workers.append(ForwardWorker(app.bus, settings.forward_poll_interval_ms))
    if settings.kafka_bootstrap_servers:
        # Minted batches drive forward deliveries; projects created tell who may offer forwards.
        core.workers.append(
            consumer.consumer(
                settings.kafka_bootstrap_servers,
                app.bus,
                session_timeout_ms=settings.kafka_session_timeout_ms,
                security=settings.kafka_options(),
            )
        )
    schema = build_schema(settings, Query, Mutation, types=schema_types(), subscription=Subscription)
    # Known up front: the process copies the names for health and reflection before registering.
    names = ["carbon.trading.v1.TradingService", "carbon.events.v1.EventLog"]

    def register(server: Any) -> None:
        trading_pb2_grpc.add_TradingServiceServicer_to_server(TradingServicer(app), server)
        register_event_log(server, core.engine, core.outbox, settings.service_name)

    return build_process(core, schema, register, names, extras={"engine": core.engine, "core": core, "trading": app})


def schema_sdl() -> str:
    return str(
        build_schema(TradingSettings(), Query, Mutation, types=schema_types(), subscription=Subscription).as_str()
    )
