"""Runs one service process: HTTP (uvicorn) and gRPC (grpc.aio) servers plus background workers
(outbox relay, Kafka consumers), and stops all of them on SIGTERM/SIGINT with no orphans."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import uvicorn

from carbon_runtime.settings import ServiceSettings
from carbon_runtime.transport.auth import TokenVerifier
from carbon_runtime.transport.grpc_runtime import build_server, server_tls

log = logging.getLogger(__name__)


class Worker(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class ServiceProcess:
    settings: ServiceSettings
    http_app: Any
    verifier: TokenVerifier
    grpc_register: Callable[[Any], None]
    grpc_service_names: Sequence[str]
    workers: list[Worker] = field(default_factory=list)
    on_stop: list[Callable[[], None]] = field(default_factory=list)

    async def serve(self) -> None:
        s = self.settings
        grpc_server, health, grpc_port = await build_server(
            host=s.host,
            port=s.grpc_port,
            verifier=self.verifier,
            register=self.grpc_register,
            service_names=self.grpc_service_names,
            max_message_bytes=s.grpc_max_message_bytes,
            tls=server_tls(s),
            reflection_enabled=not s.is_production,
        )
        await grpc_server.start()
        for w in self.workers:
            w.start()
        config = uvicorn.Config(
            self.http_app, host=s.host, port=s.http_port, log_config=None, access_log=False, lifespan="off"
        )
        http_server = uvicorn.Server(config)
        http_task = asyncio.create_task(http_server.serve())
        try:
            while not http_server.started and not http_task.done():
                await asyncio.sleep(0.05)
            if http_server.started:
                from grpc_health.v1 import health_pb2

                for name in ["", *self.grpc_service_names]:
                    await health.set(name, health_pb2.HealthCheckResponse.SERVING)
                log.info(
                    "service ready",
                    extra={
                        "fields": {
                            "http_port": s.http_port,
                            "grpc_port": grpc_port,
                            "service": s.service_name,
                        }
                    },
                )
            await http_task
        finally:
            await health.enter_graceful_shutdown()
            await grpc_server.stop(grace=3)
            for w in reversed(self.workers):
                try:
                    w.stop()
                except Exception:
                    log.exception("worker stop failed")
            for cb in self.on_stop:
                cb()

    def run(self) -> None:
        asyncio.run(self.serve())
