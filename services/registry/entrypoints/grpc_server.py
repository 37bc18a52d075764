"""The RegistryService gRPC servicer: every RPC runs its handler in a worker thread with the
caller's verified principal; DomainErrors become status codes with ErrorInfo in the interceptor."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import grpc
from carbon.registry.v1 import registry_pb2, registry_pb2_grpc

from carbon_runtime.transport.auth import Principal
from carbon_runtime.transport.grpc_runtime import current_principal
from services.registry.service import (
    batch_totals,
    cancel_credits,
    cancel_from_buffer,
    create_organization,
    held_transfers,
    import_records,
    lock_credits,
    mint_batch,
    open_account,
    queries,
    reinstate_account,
    retire_credits,
    settle_credits,
    transfer_credits,
    trusted_accounts,
    unlock_credits,
    use_for_ndc,
)
from services.registry.service.common import RegistryDeps

Req = TypeVar("Req")
Resp = TypeVar("Resp")


class RegistryServicer(registry_pb2_grpc.RegistryServiceServicer):
    def __init__(self, deps: RegistryDeps) -> None:
        self.deps = deps

    async def _run(self, handler: Callable[[RegistryDeps, Principal, Req], Resp], request: Req) -> Resp:
        return await asyncio.to_thread(handler, self.deps, current_principal(), request)

    async def CreateOrganization(  # noqa: N802 - gRPC method names
        self, request: registry_pb2.CreateOrganizationRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.CreateOrganizationResponse:
        return await self._run(create_organization.create_organization, request)

    async def GetOrganization(  # noqa: N802
        self, request: registry_pb2.GetOrganizationRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.GetOrganizationResponse:
        return await self._run(queries.get_organization, request)

    async def OpenAccount(  # noqa: N802
        self, request: registry_pb2.OpenAccountRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.OpenAccountResponse:
        return await self._run(open_account.open_account, request)

    async def GetAccount(  # noqa: N802
        self, request: registry_pb2.GetAccountRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.GetAccountResponse:
        return await self._run(queries.get_account, request)

    async def ListHoldings(  # noqa: N802
        self, request: registry_pb2.ListHoldingsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.ListHoldingsResponse:
        return await self._run(queries.list_holdings, request)

    async def MintBatch(  # noqa: N802
        self, request: registry_pb2.MintBatchRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.MintBatchResponse:
        return await self._run(mint_batch.mint_batch, request)

    async def Transfer(  # noqa: N802
        self, request: registry_pb2.TransferRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.TransferResponse:
        return await self._run(transfer_credits.transfer_credits, request)

    async def Retire(  # noqa: N802
        self, request: registry_pb2.RetireRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.RetireResponse:
        return await self._run(retire_credits.retire_credits, request)

    async def Cancel(  # noqa: N802
        self, request: registry_pb2.CancelRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.CancelResponse:
        return await self._run(cancel_credits.cancel_credits, request)

    async def UseForNdc(  # noqa: N802
        self, request: registry_pb2.UseForNdcRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.UseForNdcResponse:
        return await self._run(use_for_ndc.use_for_ndc, request)

    async def Lock(  # noqa: N802
        self, request: registry_pb2.LockRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.LockResponse:
        return await self._run(lock_credits.lock_credits, request)

    async def Unlock(  # noqa: N802
        self, request: registry_pb2.UnlockRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.UnlockResponse:
        return await self._run(unlock_credits.unlock_credits, request)

    async def Settle(  # noqa: N802
        self, request: registry_pb2.SettleRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.SettleResponse:
        return await self._run(settle_credits.settle_credits, request)

    async def CancelFromBuffer(  # noqa: N802
        self, request: registry_pb2.CancelFromBufferRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.CancelFromBufferResponse:
        return await self._run(cancel_from_buffer.cancel_from_buffer, request)

    async def GetBatchTotals(  # noqa: N802
        self, request: registry_pb2.GetBatchTotalsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.GetBatchTotalsResponse:
        return await self._run(batch_totals.batch_totals, request)

    async def ImportBatch(  # noqa: N802
        self, request: registry_pb2.ImportBatchRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.ImportBatchResponse:
        return await self._run(import_records.import_batch, request)

    async def ImportBlockEvent(  # noqa: N802
        self, request: registry_pb2.ImportBlockEventRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.ImportBlockEventResponse:
        return await self._run(import_records.import_block_event, request)

    async def AddTrustedAccount(  # noqa: N802
        self, request: registry_pb2.AddTrustedAccountRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.AddTrustedAccountResponse:
        return await self._run(trusted_accounts.add_trusted_account_request, request)

    async def RemoveTrustedAccount(  # noqa: N802
        self, request: registry_pb2.RemoveTrustedAccountRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.RemoveTrustedAccountResponse:
        return await self._run(trusted_accounts.remove_trusted_account_request, request)

    async def ApproveTransfer(  # noqa: N802
        self, request: registry_pb2.ApproveTransferRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.ApproveTransferResponse:
        return await self._run(held_transfers.approve_transfer_request, request)

    async def CancelTransfer(  # noqa: N802
        self, request: registry_pb2.CancelTransferRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.CancelTransferResponse:
        return await self._run(held_transfers.cancel_transfer_request, request)

    async def ReinstateAccount(  # noqa: N802
        self, request: registry_pb2.ReinstateAccountRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.ReinstateAccountResponse:
        return await self._run(reinstate_account.reinstate_account_request, request)


def register_registry_service(server: Any, deps: RegistryDeps) -> str:
    registry_pb2_grpc.add_RegistryServiceServicer_to_server(RegistryServicer(deps), server)
    return str(registry_pb2.DESCRIPTOR.services_by_name["RegistryService"].full_name)
