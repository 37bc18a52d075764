"""A producer's event log (carbon.events.v1.EventLog) over gRPC: its head for the lag (the `EventLogHead`
port) and a replay stream of its envelopes for rebuilds and catch-up (decoded by entrypoints/consumer.py).
Created in bootstrap, never at import.

The producer serves its log only to a SERVICE token minted for it (audience = the producer), so every
call carries a fresh short-lived one; the channel uses the service's client TLS when it is configured."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from carbon.events.v1 import event_log_pb2, event_log_pb2_grpc

from carbon_runtime.messaging.replay import replay_from
from carbon_runtime.settings import AuthSettings
from carbon_runtime.transport.auth import issue_service_token
from carbon_runtime.transport.grpc_runtime import ClientTls, GrpcClient


class GrpcEventLog:
    """A producer's carbon.events.v1.EventLog."""

    def __init__(
        self,
        target: str,
        *,
        producer: str,
        auth: AuthSettings,
        caller: str = "reporting",
        tls: ClientTls | None = None,
        deadline_ms: int = 2000,
        replay_timeout_s: float = 300.0,
    ) -> None:
        self.target = target
        self.producer = producer
        self.auth = auth
        self.caller = caller
        self.replay_timeout_s = replay_timeout_s
        self.client = GrpcClient(target, retry_services=["carbon.events.v1.EventLog"], deadline_ms=deadline_ms, tls=tls)
        self.tls = self.client.tls
        self.stub = event_log_pb2_grpc.EventLogStub(self.client.channel)

    def _token(self) -> str:
        return issue_service_token(self.auth, self.caller, audience=self.producer)

    def replay(self, from_position: int) -> Iterator[tuple[int, Any]]:
        return replay_from(
            self.target, from_position, timeout_s=self.replay_timeout_s, tls=self.tls, token=self._token()
        )

    def head(self) -> int:
        response = self.client.call(self.stub.Head, event_log_pb2.HeadRequest(), token=self._token())
        return int(response.position)

    def close(self) -> None:
        self.client.close()
