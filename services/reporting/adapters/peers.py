"""gRPC clients for the peers the reporting service reads from (created in bootstrap, never at import).

Reporting calls peers on its own behalf (a SERVICE token): the caller's right to see a reconciliation was
checked here first, and the peers' totals are not the caller's data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from carbon.events.v1 import event_log_pb2, event_log_pb2_grpc
from carbon.issuance.v1 import issuance_pb2, issuance_pb2_grpc
from carbon.registry.v1 import registry_pb2, registry_pb2_grpc
from carbon.registry.v1 import types_pb2 as registry_types

from carbon_runtime.messaging.replay import replay_from
from carbon_runtime.settings import AuthSettings
from carbon_runtime.transport.auth import issue_service_token
from carbon_runtime.transport.grpc_runtime import GrpcClient
from services.reporting.domain.facts import UnitStatus


class GrpcEventLog:
    """A producer's carbon.events.v1.EventLog."""

    def __init__(self, target: str, *, deadline_ms: int = 2000, replay_timeout_s: float = 300.0) -> None:
        self.target = target
        self.replay_timeout_s = replay_timeout_s
        self.client = GrpcClient(target, retry_services=["carbon.events.v1.EventLog"], deadline_ms=deadline_ms)
        self.stub = event_log_pb2_grpc.EventLogStub(self.client.channel)

    def replay(self, from_position: int) -> Iterator[tuple[int, Any]]:
        return replay_from(self.target, from_position, timeout_s=self.replay_timeout_s)

    def head(self) -> int:
        response = self.client.call(self.stub.Head, event_log_pb2.HeadRequest())
        return int(response.position)

    def close(self) -> None:
        self.client.close()


class IssuanceTotalsClient:
    def __init__(self, target: str, auth: AuthSettings, *, deadline_ms: int = 5000) -> None:
        self.auth = auth
        self.client = GrpcClient(target, retry_services=["carbon.issuance.v1.IssuanceService"], deadline_ms=deadline_ms)
        self.stub = issuance_pb2_grpc.IssuanceServiceStub(self.client.channel)

    def issued_totals(self, batch_ids: Sequence[str]) -> dict[str, int]:
        response = self.client.call(
            self.stub.GetIssuedTotals,
            issuance_pb2.GetIssuedTotalsRequest(batch_ids=list(batch_ids)),
            token=issue_service_token(self.auth, "reporting"),
        )
        return {t.batch_id: int(t.issued_quantity_t) for t in response.totals}

    def close(self) -> None:
        self.client.close()


class RegistryTotalsClient:
    def __init__(self, target: str, auth: AuthSettings, *, deadline_ms: int = 5000) -> None:
        self.auth = auth
        self.client = GrpcClient(target, retry_services=["carbon.registry.v1.RegistryService"], deadline_ms=deadline_ms)
        self.stub = registry_pb2_grpc.RegistryServiceStub(self.client.channel)

    def batch_totals(self, batch_ids: Sequence[str]) -> dict[str, dict[UnitStatus, int]]:
        response = self.client.call(
            self.stub.GetBatchTotals,
            registry_pb2.GetBatchTotalsRequest(batch_ids=list(batch_ids)),
            token=issue_service_token(self.auth, "reporting"),
        )
        out: dict[str, dict[UnitStatus, int]] = {}
        for batch in response.batches:
            statuses: dict[UnitStatus, int] = {}
            for entry in batch.by_status:
                name = registry_types.UnitStatus.Name(entry.status).removeprefix("UNIT_STATUS_")
                if name in UnitStatus.__members__:
                    statuses[UnitStatus(name)] = statuses.get(UnitStatus(name), 0) + int(entry.quantity_t)
            out[batch.batch_id] = statuses
        return out

    def close(self) -> None:
        self.client.close()
