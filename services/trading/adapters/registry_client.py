"""The registry port over gRPC (carbon.registry.v1.RegistryService)."""

from __future__ import annotations

from carbon.registry.v1 import registry_pb2, registry_pb2_grpc, types_pb2

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.transport.grpc_runtime import GrpcClient
from services.trading.service.messages import criteria_to_proto
from services.trading.service.ports import AccountInfo, Delivery, DeliveryCriteria, SettlementReceipt

REGISTRY_SERVICE = "carbon.registry.v1.RegistryService"


class GrpcRegistry:
    """Calls the registry with the token it is given; failures arrive as DomainError (UNAVAILABLE
    when the registry is down), so callers can keep the saga's state and retry later."""

    def __init__(self, client: GrpcClient) -> None:
        self.client = client
        self.stub = registry_pb2_grpc.RegistryServiceStub(client.channel)

    def get_account(self, account_id: str, token: str | None) -> AccountInfo:
        response = self.client.call(
            self.stub.GetAccount, registry_pb2.GetAccountRequest(account_id=account_id), token=token
        )
        account = response.account
        kind = types_pb2.AccountKind.Name(account.kind).removeprefix("ACCOUNT_KIND_")
        return AccountInfo(
            account_id=account.account_id,
            organization_id=account.organization_id,
            kind=kind,
            balance_t=int(account.balance_t),
            locked_t=int(account.locked_t),
        )

    def lock(
        self,
        *,
        account_id: str,
        quantity_t: int,
        lock_id: str,
        criteria: DeliveryCriteria,
        idempotency_key: str,
        token: str | None,
    ) -> None:
        request = registry_pb2.LockRequest(
            idempotency_key=idempotency_key,
            account_id=account_id,
            quantity_t=quantity_t,
            lock_id=lock_id,
            criteria=criteria_to_proto(criteria),
        )
        self.client.call(self.stub.Lock, request, token=token)

    def unlock(self, *, lock_id: str, quantity_t: int | None, idempotency_key: str, token: str | None) -> int:
        request = registry_pb2.UnlockRequest(idempotency_key=idempotency_key, lock_id=lock_id)
        if quantity_t is not None:
            request.quantity_t = quantity_t
        response = self.client.call(self.stub.Unlock, request, token=token)
        return int(response.remaining_locked_t)

    def settle(
        self,
        *,
        lock_id: str,
        quantity_t: int,
        to_account_id: str,
        trade_id: str,
        idempotency_key: str,
        token: str | None,
    ) -> SettlementReceipt:
        request = registry_pb2.SettleRequest(
            idempotency_key=idempotency_key,
            lock_id=lock_id,
            quantity_t=quantity_t,
            to_account_id=to_account_id,
            trade_id=trade_id,
        )
        response = self.client.call(self.stub.Settle, request, token=token)
        deliveries = tuple(Delivery(d.batch_id, int(d.quantity_t)) for d in response.deliveries)
        if not deliveries:
            # Older registries report only blocks; the batches delivered are the same information.
            per_batch: dict[str, int] = {}
            for block in response.blocks:
                per_batch[block.batch_id] = per_batch.get(block.batch_id, 0) + int(block.quantity_t)
            deliveries = tuple(Delivery(b, q) for b, q in per_batch.items())
        if sum(d.quantity_t for d in deliveries) != quantity_t:
            raise DomainError(
                ErrorCode.UNAVAILABLE,
                "SETTLEMENT_INCOMPLETE",
                f"the registry reported delivering {sum(d.quantity_t for d in deliveries)} t of {quantity_t} t",
            )
        return SettlementReceipt(settlement_id=response.settlement_id, deliveries=deliveries)

    def transfer(
        self,
        *,
        from_account_id: str,
        to_account_id: str,
        batch_id: str,
        quantity_t: int,
        idempotency_key: str,
        token: str | None,
    ) -> str:
        request = registry_pb2.TransferRequest(
            idempotency_key=idempotency_key,
            from_account_id=from_account_id,
            to_account_id=to_account_id,
            batch_id=batch_id,
            quantity_t=quantity_t,
        )
        response = self.client.call(self.stub.Transfer, request, token=token)
        return str(response.transfer_id)
