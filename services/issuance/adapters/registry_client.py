"""The registry, reached over gRPC (carbon.registry.v1.RegistryService): implements RegistryPort and
ImportRegistryPort, and forwards imported retirements/cancellations (ImportBlockEvent) as they are."""

from __future__ import annotations

from carbon.registry.v1 import registry_pb2, registry_pb2_grpc
from google.protobuf.message import Message

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.settings import AuthSettings
from carbon_runtime.transport.auth import issue_service_token
from carbon_runtime.transport.grpc_runtime import GrpcClient
from services.issuance.service.messages import credit_attributes_pb
from services.issuance.service.ports import (
    BufferCancellationOrder,
    ImportMintOrder,
    ImportMintResult,
    MintOrder,
    MintResult,
    OrganizationInfo,
)

REGISTRY_SERVICE = "carbon.registry.v1.RegistryService"


class GrpcRegistry:
    """Forwards the end user's token so the registry authorizes the person, not this service; reads
    without a caller token (e.g. an accreditation lookup) go out with a short-lived service token."""

    def __init__(self, client: GrpcClient, auth: AuthSettings, service_name: str = "issuance") -> None:
        self.client = client
        self.auth = auth
        self.service_name = service_name
        self.stub = registry_pb2_grpc.RegistryServiceStub(client.channel)

    def _token(self, token: str | None) -> str:
        return token or issue_service_token(self.auth, self.service_name)

    def get_organization(self, organization_id: str, token: str | None) -> OrganizationInfo | None:
        try:
            response = self.client.call(
                self.stub.GetOrganization,
                registry_pb2.GetOrganizationRequest(organization_id=organization_id),
                token=self._token(token),
            )
        except DomainError as err:
            if err.code is ErrorCode.NOT_FOUND:
                return None
            raise
        org = response.organization
        return OrganizationInfo(org.organization_id, org.name, org.accredited_verifier)

    def mint_batch(self, order: MintOrder, token: str | None) -> MintResult:
        request = registry_pb2.MintBatchRequest(
            idempotency_key=order.idempotency_key,
            issuance_id=order.issuance_id,
            batch_id=order.batch_id,
            attributes=credit_attributes_pb(order.attributes),
            serial_prefix=order.serial_prefix,
            issued_quantity_t=order.issued_quantity_t,
            buffer_quantity_t=order.buffer_quantity_t,
            holder_account_id=order.holder_account_id,
            buffer_account_id=order.buffer_account_id,
        )
        response = self.client.call(self.stub.MintBatch, request, token=self._token(token))
        return MintResult(response.batch_id or order.batch_id, response.serial_start, response.serial_end)

    def cancel_from_buffer(self, order: BufferCancellationOrder, token: str | None) -> str:
        request = registry_pb2.CancelFromBufferRequest(
            idempotency_key=order.idempotency_key,
            buffer_account_id=order.buffer_account_id,
            program_id=order.program_id,
            quantity_t=order.quantity_t,
            reversal_id=order.reversal_id,
            reason=order.reason,
        )
        response = self.client.call(self.stub.CancelFromBuffer, request, token=self._token(token))
        return str(response.cancellation_id)

    def import_batch(self, order: ImportMintOrder, token: str | None) -> ImportMintResult:
        mint = order.order
        request = registry_pb2.ImportBatchRequest(
            idempotency_key=mint.idempotency_key,
            mint=registry_pb2.MintBatchRequest(
                idempotency_key=mint.idempotency_key,
                issuance_id=mint.issuance_id,
                batch_id=mint.batch_id,
                attributes=credit_attributes_pb(mint.attributes),
                serial_prefix=mint.serial_prefix,
                issued_quantity_t=mint.issued_quantity_t,
                buffer_quantity_t=mint.buffer_quantity_t,
                buffer_account_id=mint.buffer_account_id,
            ),
            origin_registry=order.origin_registry,
            origin_batch_id=order.origin_batch_id,
            origin_project_id=order.origin_project_id,
        )
        if order.numbering_scope:
            request.origin_units.CopyFrom(
                registry_pb2.OriginUnitRange(
                    numbering_scope=order.numbering_scope,
                    unit_start=order.origin_unit_start,
                    unit_end=order.origin_unit_end,
                    serial_start=order.origin_serial_start,
                    serial_end=order.origin_serial_end,
                    origin_serial=order.origin_serial,
                )
            )
        response = self.client.call(self.stub.ImportBatch, request, token=self._token(token))
        minted = response.mint
        buffer_account = minted.buffer_blocks[0].account_id if minted.buffer_blocks else ""
        return ImportMintResult(
            batch_id=minted.batch_id or mint.batch_id,
            serial_start=minted.serial_start,
            serial_end=minted.serial_end,
            holder_account_id=response.holder_account_id,
            buffer_account_id=buffer_account,
        )

    def import_block_event(self, request: Message, token: str | None) -> Message:
        response: Message = self.client.call(self.stub.ImportBlockEvent, request, token=self._token(token))
        return response
