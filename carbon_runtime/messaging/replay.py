"""gRPC replay of a service's event log (carbon.events.v1.EventLog).

Kafka may lose its topics (the dev broker keeps them only in memory); the event log in the
producer's database does not. A read model rebuilds itself by streaming the log from position 0.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from carbon_runtime.messaging.outbox import OutboxTables, head_position, read_log

if TYPE_CHECKING:
    from carbon_runtime.transport.grpc_runtime import ClientTls

_PAGE = 500


def _mods() -> tuple[Any, Any, Any]:
    return (
        importlib.import_module("carbon.events.v1.event_log_pb2"),
        importlib.import_module("carbon.events.v1.event_log_pb2_grpc"),
        importlib.import_module("carbon.events.v1.envelope_pb2"),
    )


def register_event_log(server: Any, engine: Engine, tables: OutboxTables, producer: str) -> str:
    """Add the EventLog service to a grpc.aio server; returns its full service name.

    The log holds every order, trade, transfer, trusted-account list and suspension, so only a
    platform service may read it: a SERVICE token minted for this producer (its audience). The
    interceptor has already refused calls without a valid token."""
    from carbon_runtime.errors import DomainError, ErrorCode
    from carbon_runtime.transport.grpc_runtime import current_principal

    pb2, pb2_grpc, env_pb2 = _mods()

    def _require_reader() -> None:
        p = current_principal()
        if not p.has_role("SERVICE"):
            raise DomainError(
                ErrorCode.FORBIDDEN, "NOT_AUTHORIZED", "the event log is readable by platform services only"
            )
        if p.audience != producer:
            raise DomainError(
                ErrorCode.FORBIDDEN, "WRONG_AUDIENCE", f"the event log needs a service token issued for {producer}"
            )

    class EventLogServicer(pb2_grpc.EventLogServicer):  # type: ignore[misc, name-defined]
        async def Replay(self, request: Any, context: Any) -> AsyncIterator[Any]:  # noqa: N802 - gRPC name
            _require_reader()
            position = int(request.from_position)
            remaining = int(request.limit) or None
            types = list(request.event_types)
            while True:
                page = _PAGE if remaining is None else min(_PAGE, remaining)
                if page <= 0:
                    return
                rows = await asyncio.to_thread(read_log, engine, tables, position, page, types)
                if not rows:
                    return
                for row in rows:
                    yield pb2.ReplayedEvent(
                        position=row.position, envelope=env_pb2.EventEnvelope.FromString(row.envelope)
                    )
                    position = row.position
                if remaining is not None:
                    remaining -= len(rows)

        async def Head(self, request: Any, context: Any) -> Any:  # noqa: N802 - gRPC name
            _require_reader()
            pos = await asyncio.to_thread(head_position, engine, tables)
            return pb2.HeadResponse(position=pos, producer=producer)

    pb2_grpc.add_EventLogServicer_to_server(EventLogServicer(), server)
    return str(pb2.DESCRIPTOR.services_by_name["EventLog"].full_name)


def replay_from(
    target: str,
    from_position: int = 0,
    *,
    timeout_s: float = 60.0,
    tls: ClientTls | None = None,
    token: str | None = None,
) -> Iterator[tuple[int, Any]]:
    """Stream (position, envelope) from a peer's event log (synchronous client). The channel uses
    `tls`, else the process's client TLS (see grpc_runtime.open_channel). `token`: a SERVICE token
    whose audience is the producing service (issue_service_token(..., audience=producer)); the
    producer refuses anything else."""
    from carbon_runtime.transport.grpc_runtime import open_channel

    pb2, pb2_grpc, _ = _mods()
    metadata = [("authorization", f"Bearer {token}")] if token else []
    with open_channel(target, tls=tls) as channel:
        stub = pb2_grpc.EventLogStub(channel)
        request = pb2.ReplayRequest(from_position=from_position)
        for item in stub.Replay(request, timeout=timeout_s, metadata=metadata):
            yield int(item.position), item.envelope
