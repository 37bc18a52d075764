"""gRPC client for the registry, behind the `RegistryTotals` port (created in bootstrap, never at import).

Reporting calls peers on its own behalf (a SERVICE token): the caller's right to see a reconciliation was
checked here first, and the peers' totals are not the caller's data.
"""

from __future__ import annotations

from collections.abc import Sequence

from carbon.registry.v1 import registry_pb2, registry_pb2_grpc
from carbon.registry.v1 import types_pb2 as registry_types

from carbon_runtime.settings import AuthSettings
from carbon_runtime.transport.auth import issue_service_token
from carbon_runtime.transport.grpc_runtime import GrpcClient
from carbon_runtime.vocabulary import UnitStatus


class RegistryTotalsClient:
    def __init__(self, target: str, auth: AuthSettings, *, deadline_ms: int = 5000) -> None:
        self.auth = auth
        # Service tokens name the callee: the peer refuses a token minted for another service.
        self.audience = "registry"
        self.client = GrpcClient(target, retry_services=["carbon.registry.v1.RegistryService"], deadline_ms=deadline_ms)
        self.stub = registry_pb2_grpc.RegistryServiceStub(self.client.channel)

    def batch_totals(self, batch_ids: Sequence[str]) -> dict[str, dict[UnitStatus, int]]:
        response = self.client.call(
            self.stub.GetBatchTotals,
            registry_pb2.GetBatchTotalsRequest(batch_ids=list(batch_ids)),
            token=issue_service_token(self.auth, "reporting", audience=self.audience),
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
