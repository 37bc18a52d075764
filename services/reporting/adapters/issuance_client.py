"""gRPC client for the issuance service, behind the `IssuedTotals` port (created in bootstrap, never at
import).

Reporting calls peers on its own behalf (a SERVICE token): the caller's right to see a reconciliation was
checked here first, and the peers' totals are not the caller's data.
"""

from __future__ import annotations

from collections.abc import Sequence

from carbon.issuance.v1 import issuance_pb2, issuance_pb2_grpc

from carbon_runtime.settings import AuthSettings
from carbon_runtime.transport.auth import issue_service_token
from carbon_runtime.transport.grpc_runtime import GrpcClient


class IssuanceTotalsClient:
    def __init__(self, target: str, auth: AuthSettings, *, deadline_ms: int = 5000) -> None:
        self.auth = auth
        # Service tokens name the callee: the peer refuses a token minted for another service.
        self.audience = "issuance"
        self.client = GrpcClient(target, retry_services=["carbon.issuance.v1.IssuanceService"], deadline_ms=deadline_ms)
        self.stub = issuance_pb2_grpc.IssuanceServiceStub(self.client.channel)

    def issued_totals(self, batch_ids: Sequence[str]) -> dict[str, int]:
        response = self.client.call(
            self.stub.GetIssuedTotals,
            issuance_pb2.GetIssuedTotalsRequest(batch_ids=list(batch_ids)),
            token=issue_service_token(self.auth, "reporting", audience=self.audience),
        )
        return {t.batch_id: int(t.issued_quantity_t) for t in response.totals}

    def close(self) -> None:
        self.client.close()
