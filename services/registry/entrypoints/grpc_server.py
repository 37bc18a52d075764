"""The RegistryService gRPC servicer: each mutation maps its request to the same command GraphQL
builds, runs it on the bus in a worker thread with the caller's verified principal, and maps the
handler's result to the response (no re-read). Reads go to the read model. DomainErrors become
status codes with ErrorInfo in the interceptor."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import grpc
from carbon.issuance.v1 import types_pb2 as issuance_types
from carbon.registry.v1 import registry_pb2, registry_pb2_grpc, types_pb2

from carbon_runtime.errors import invalid
from carbon_runtime.transport.blocking import in_thread
from carbon_runtime.transport.grpc_runtime import current_principal
from carbon_runtime.vocabulary import (
    AccountKind,
    Authorization,
    CancellationPurpose,
    CreditBasis,
    CreditCategory,
    CreditType,
    RetirementPurpose,
    UnitStatus,
    proto_prefix,
)
from services.registry.adapters.protos import accounting, blocks, mint_response, timestamp
from services.registry.adapters.protos import import_block_event_response as import_block_event_response
from services.registry.adapters.read_model import RegistryReadModel
from services.registry.domain import commands as c
from services.registry.domain.actor import Actor, idempotency_scope, require_authenticated, require_role
from services.registry.entrypoints.caller import actor_of
from services.registry.service import results as r
from services.registry.service.handlers import RegistryBus

Req = TypeVar("Req")
Resp = TypeVar("Resp")
E = TypeVar("E", bound=Any)


# ----------------------------------------------------------------------------------------------
# Requests -> commands (the arguments' wire forms parsed into domain types).


def _member(enum_type: type[E], proto_enum: Any, value: int) -> E | None:
    """A proto enum number as the shared vocabulary's member; None for UNSPECIFIED."""
    name: str = proto_enum.Name(value)
    if name.endswith("UNSPECIFIED"):
        return None
    member: E = enum_type(name[len(proto_prefix(enum_type.__name__)) :])
    return member


def _required_member(enum_type: type[E], proto_enum: Any, value: int) -> E:
    member = _member(enum_type, proto_enum, value)
    if member is None:
        prefix = proto_prefix(enum_type.__name__)
        raise invalid(f"{prefix}INVALID", f"{prefix.lower().replace('_', ' ').strip()} must be set")
    return member


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise invalid("DATE_MALFORMED", f"{field} must be an ISO 8601 date YYYY-MM-DD", field=field) from None


def _optional_date(text: str, field: str) -> date | None:
    return _date(text, field) if text else None


def _decimal(text: str) -> Decimal | None:
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise invalid(
            "DECIMAL_MALFORMED", 'offsetEmissions must be a decimal number as a string, e.g. "12.5"'
        ) from None


def _keyed(request: Any, actor: Actor) -> dict[str, Any]:
    return {
        "actor": actor,
        "idempotency_key": request.idempotency_key or None,
        "idempotency_scope": idempotency_scope(actor),
    }


def create_organization_command(request: registry_pb2.CreateOrganizationRequest, actor: Actor) -> c.CreateOrganization:
    return c.CreateOrganization(
        name=request.name,
        country=request.country,
        accredited_verifier=request.accredited_verifier,
        **_keyed(request, actor),
    )


def open_account_command(request: registry_pb2.OpenAccountRequest, actor: Actor) -> c.OpenAccount:
    return c.OpenAccount(
        organization_id=request.organization_id,
        kind=_member(AccountKind, types_pb2.AccountKind, request.kind),
        **_keyed(request, actor),
    )


def credit_attributes(a: issuance_types.CreditAttributes) -> c.CreditAttributes:
    return c.CreditAttributes(
        project_id=a.project_id,
        program_id=a.program_id,
        methodology_id=a.methodology_id,
        country=a.country,
        vintage_start=_date(a.vintage_start, "vintage_start"),
        vintage_end=_date(a.vintage_end, "vintage_end"),
        credit_type=_member(CreditType, issuance_types.CreditType, a.credit_type),
        basis=_member(CreditBasis, issuance_types.CreditBasis, a.basis),
        category=_member(CreditCategory, issuance_types.CreditCategory, a.category),
        corresponding_adjustment=a.corresponding_adjustment,
        authorization=_member(Authorization, issuance_types.Authorization, a.authorization),
        co_benefits=tuple(int(v) for v in a.co_benefits),
        issuer_organization_id=a.issuer_organization_id,
    )


def mint_batch_command(request: registry_pb2.MintBatchRequest, actor: Actor) -> c.MintBatch:
    return c.MintBatch(
        issuance_id=request.issuance_id,
        batch_id=request.batch_id,
        attributes=credit_attributes(request.attributes),
        serial_prefix=request.serial_prefix,
        issued_quantity_t=int(request.issued_quantity_t),
        buffer_quantity_t=int(request.buffer_quantity_t),
        holder_account_id=request.holder_account_id,
        buffer_account_id=request.buffer_account_id,
        **_keyed(request, actor),
    )


def transfer_command(request: registry_pb2.TransferRequest, actor: Actor) -> c.TransferCredits:
    return c.TransferCredits(
        from_account_id=request.from_account_id,
        to_account_id=request.to_account_id,
        batch_id=request.batch_id,
        quantity_t=int(request.quantity_t),
        **_keyed(request, actor),
    )


def retire_command(request: registry_pb2.RetireRequest, actor: Actor) -> c.RetireCredits:
    return c.RetireCredits(
        account_id=request.account_id,
        batch_id=request.batch_id,
        quantity_t=int(request.quantity_t),
        purpose=_member(RetirementPurpose, types_pb2.RetirementPurpose, request.purpose),
        beneficiary=request.beneficiary,
        retirement_year=int(request.retirement_year),
        offset_emissions_t=_decimal(request.offset_emissions_decimal),
        activity_description=request.activity_description,
        reporting_period_start=_optional_date(request.reporting_period_start, "reporting_period_start"),
        reporting_period_end=_optional_date(request.reporting_period_end, "reporting_period_end"),
        **_keyed(request, actor),
    )


def cancel_command(request: registry_pb2.CancelRequest, actor: Actor) -> c.CancelCredits:
    return c.CancelCredits(
        account_id=request.account_id,
        batch_id=request.batch_id,
        quantity_t=int(request.quantity_t),
        purpose=_member(CancellationPurpose, types_pb2.CancellationPurpose, request.purpose),
        beneficiary=request.beneficiary,
        **_keyed(request, actor),
    )


def use_for_ndc_command(request: registry_pb2.UseForNdcRequest, actor: Actor) -> c.UseForNdc:
    return c.UseForNdc(
        account_id=request.account_id,
        batch_id=request.batch_id,
        quantity_t=int(request.quantity_t),
        ndc_country=request.ndc_country,
        ndc_year=int(request.ndc_year),
        **_keyed(request, actor),
    )


def delivery_criteria(criteria: types_pb2.DeliveryCriteria) -> c.DeliveryCriteria:
    return c.DeliveryCriteria(
        program_ids=tuple(criteria.program_ids),
        credit_types=tuple(_required_member(CreditType, issuance_types.CreditType, v) for v in criteria.credit_types),
        categories=tuple(
            _required_member(CreditCategory, issuance_types.CreditCategory, v) for v in criteria.categories
        ),
        vintage_from=_optional_date(criteria.vintage_from, "vintage_from"),
        vintage_to=_optional_date(criteria.vintage_to, "vintage_to"),
        corresponding_adjustment_required=criteria.corresponding_adjustment_required,
        batch_id=criteria.batch_id,
    )


def lock_command(request: registry_pb2.LockRequest, actor: Actor) -> c.LockCredits:
    return c.LockCredits(
        account_id=request.account_id,
        quantity_t=int(request.quantity_t),
        lock_id=request.lock_id,
        criteria=delivery_criteria(request.criteria),
        **_keyed(request, actor),
    )


def unlock_command(request: registry_pb2.UnlockRequest, actor: Actor) -> c.UnlockCredits:
    return c.UnlockCredits(
        lock_id=request.lock_id,
        quantity_t=int(request.quantity_t) if request.HasField("quantity_t") else None,
        **_keyed(request, actor),
    )


def settle_command(request: registry_pb2.SettleRequest, actor: Actor) -> c.SettleCredits:
    return c.SettleCredits(
        lock_id=request.lock_id,
        quantity_t=int(request.quantity_t),
        to_account_id=request.to_account_id,
        trade_id=request.trade_id,
        **_keyed(request, actor),
    )


def cancel_from_buffer_command(request: registry_pb2.CancelFromBufferRequest, actor: Actor) -> c.CancelFromBuffer:
    return c.CancelFromBuffer(
        buffer_account_id=request.buffer_account_id,
        batch_id=request.batch_id,
        program_id=request.program_id,
        quantity_t=int(request.quantity_t),
        reversal_id=request.reversal_id,
        reason=request.reason,
        **_keyed(request, actor),
    )


def _origin_units(request: Any) -> c.OriginUnits | None:
    if not request.HasField("origin_units"):
        return None
    units = request.origin_units
    return c.OriginUnits(
        numbering_scope=units.numbering_scope,
        unit_start=int(units.unit_start),
        unit_end=int(units.unit_end),
        serial_start=units.serial_start,
        serial_end=units.serial_end,
        origin_serial=units.origin_serial,
    )


def import_batch_command(request: registry_pb2.ImportBatchRequest, actor: Actor) -> c.ImportBatch:
    return c.ImportBatch(
        actor=actor,
        import_key=request.idempotency_key,
        mint=mint_batch_command(request.mint, actor),
        origin_registry=request.origin_registry,
        origin_batch_id=request.origin_batch_id,
        origin_project_id=request.origin_project_id,
        origin_units=_origin_units(request),
    )


_IMPORTED_KINDS = {
    registry_pb2.IMPORTED_EVENT_KIND_RETIRED: "RETIRED",
    registry_pb2.IMPORTED_EVENT_KIND_CANCELLED: "CANCELLED",
}


def import_block_event_command(request: registry_pb2.ImportBlockEventRequest, actor: Actor) -> c.ImportBlockEvent:
    try:
        event_date = date.fromisoformat(request.event_date) if request.event_date else None
    except ValueError:
        raise invalid("DATE_MALFORMED", "event_date must be an ISO 8601 date YYYY-MM-DD") from None
    return c.ImportBlockEvent(
        actor=actor,
        import_key=request.idempotency_key,
        origin_registry=request.origin_registry,
        kind=_IMPORTED_KINDS.get(request.kind),
        batch_id=request.batch_id,
        quantity_t=int(request.quantity_t),
        origin_units=_origin_units(request),
        beneficiary=request.beneficiary,
        reason=request.reason,
        details=request.details,
        event_date=event_date,
    )


def add_trusted_account_command(request: registry_pb2.AddTrustedAccountRequest, actor: Actor) -> c.AddTrustedAccount:
    return c.AddTrustedAccount(
        account_id=request.account_id, trusted_account_id=request.trusted_account_id, **_keyed(request, actor)
    )


def remove_trusted_account_command(
    request: registry_pb2.RemoveTrustedAccountRequest, actor: Actor
) -> c.RemoveTrustedAccount:
    return c.RemoveTrustedAccount(
        account_id=request.account_id, trusted_account_id=request.trusted_account_id, **_keyed(request, actor)
    )


def approve_transfer_command(request: registry_pb2.ApproveTransferRequest, actor: Actor) -> c.ApproveTransfer:
    return c.ApproveTransfer(transfer_id=request.transfer_id, **_keyed(request, actor))


def cancel_transfer_command(request: registry_pb2.CancelTransferRequest, actor: Actor) -> c.CancelTransfer:
    return c.CancelTransfer(transfer_id=request.transfer_id, **_keyed(request, actor))


def reinstate_account_command(request: registry_pb2.ReinstateAccountRequest, actor: Actor) -> c.ReinstateAccount:
    return c.ReinstateAccount(account_id=request.account_id, **_keyed(request, actor))


# ----------------------------------------------------------------------------------------------
# Results -> responses.


def _enum(proto_enum: Any, member: Any) -> Any:
    return proto_enum.Value(proto_prefix(type(member).__name__) + member.value)


def organization_proto(o: r.OrganizationResult) -> types_pb2.Organization:
    return types_pb2.Organization(
        organization_id=o.id,
        name=o.name,
        country=o.country,
        accredited_verifier=o.accredited_verifier,
        account_ids=list(o.account_ids),
        created_at=timestamp(o.created_at),
    )


def account_proto(a: r.AccountResult) -> types_pb2.Account:
    return types_pb2.Account(
        account_id=a.id,
        organization_id=a.organization_id,
        kind=_enum(types_pb2.AccountKind, a.kind),
        balance_t=a.balance_t,
        locked_t=a.locked_t,
        opened_at=timestamp(a.opened_at),
    )


def create_organization_response(o: r.OrganizationResult) -> registry_pb2.CreateOrganizationResponse:
    return registry_pb2.CreateOrganizationResponse(organization=organization_proto(o))


def open_account_response(a: r.AccountResult) -> registry_pb2.OpenAccountResponse:
    return registry_pb2.OpenAccountResponse(account=account_proto(a))


def transfer_response(t: r.TransferResult) -> registry_pb2.TransferResponse:
    response = registry_pb2.TransferResponse(transfer_id=t.transfer_id, blocks=blocks(t.blocks))
    if t.accounting is not None:
        response.accounting.CopyFrom(accounting(t.accounting))
    if t.transferred_at is not None:
        response.transferred_at.CopyFrom(timestamp(t.transferred_at))
    return response


def retire_response(x: r.RetirementResult) -> registry_pb2.RetireResponse:
    return registry_pb2.RetireResponse(
        retirement_id=x.retirement_id,
        blocks=blocks(x.blocks),
        serial_ranges=list(x.serial_ranges),
        retired_at=timestamp(x.retired_at),
    )


def cancel_response(x: r.CancellationResult) -> registry_pb2.CancelResponse:
    return registry_pb2.CancelResponse(
        cancellation_id=x.cancellation_id,
        blocks=blocks(x.blocks),
        serial_ranges=list(x.serial_ranges),
        cancelled_at=timestamp(x.cancelled_at),
    )


def use_for_ndc_response(x: r.NdcUseResult) -> registry_pb2.UseForNdcResponse:
    return registry_pb2.UseForNdcResponse(
        ndc_use_id=x.ndc_use_id,
        blocks=blocks(x.blocks),
        serial_ranges=list(x.serial_ranges),
        used_at=timestamp(x.used_at),
    )


def lock_response(x: r.LockResult) -> registry_pb2.LockResponse:
    return registry_pb2.LockResponse(lock_id=x.lock_id, blocks=blocks(x.blocks))


def unlock_response(x: r.UnlockResult) -> registry_pb2.UnlockResponse:
    return registry_pb2.UnlockResponse(blocks=blocks(x.blocks), remaining_locked_t=x.remaining_locked_t)


def settle_response(x: r.SettleResult) -> registry_pb2.SettleResponse:
    return registry_pb2.SettleResponse(
        settlement_id=x.settlement_id,
        blocks=blocks(x.blocks),
        deliveries=[accounting(d) for d in x.deliveries],
        remaining_locked_t=x.remaining_locked_t,
    )


def cancel_from_buffer_response(x: r.BufferCancellationResult) -> registry_pb2.CancelFromBufferResponse:
    return registry_pb2.CancelFromBufferResponse(cancellation_id=x.cancellation_id, blocks=blocks(x.blocks))


def import_batch_response(x: r.ImportBatchResult) -> registry_pb2.ImportBatchResponse:
    return registry_pb2.ImportBatchResponse(mint=mint_response(x.mint), holder_account_id=x.holder_account_id)


def add_trusted_account_response(x: r.TrustedAccountResult) -> registry_pb2.AddTrustedAccountResponse:
    return registry_pb2.AddTrustedAccountResponse(
        account_id=x.account_id,
        trusted_account_id=x.trusted_account_id,
        added_at=timestamp(x.added_at),
        effective_at=timestamp(x.effective_at),
    )


def remove_trusted_account_response(x: r.RemovedTrustedAccount) -> registry_pb2.RemoveTrustedAccountResponse:
    return registry_pb2.RemoveTrustedAccountResponse(account_id=x.account_id, trusted_account_id=x.trusted_account_id)


def approve_transfer_response(x: r.TransferResult) -> registry_pb2.ApproveTransferResponse:
    response = registry_pb2.ApproveTransferResponse(
        transfer_id=x.transfer_id, status=_enum(types_pb2.TransferStatus, x.status)
    )
    if x.completes_at is not None:
        response.completes_at.CopyFrom(timestamp(x.completes_at))
    return response


def cancel_transfer_response(x: r.TransferResult) -> registry_pb2.CancelTransferResponse:
    return registry_pb2.CancelTransferResponse(
        transfer_id=x.transfer_id, blocks=blocks(x.released), quantity_t=sum(b.quantity_t for b in x.released)
    )


def reinstate_account_response(x: r.ReinstatedAccount) -> registry_pb2.ReinstateAccountResponse:
    return registry_pb2.ReinstateAccountResponse(account_id=x.account_id, reinstated_at=timestamp(x.reinstated_at))


def run(
    bus: RegistryBus,
    request: Req,
    actor: Actor,
    to_command: Callable[[Req, Actor], Any],
    to_response: Callable[[Any], Resp],
) -> Resp:
    """One mutation the gRPC way (the test driver calls it too): the caller must be authenticated
    before any argument is read, then request -> command -> bus -> response."""
    require_authenticated(actor)
    return to_response(bus.handle(to_command(request, actor)))


# ----------------------------------------------------------------------------------------------
# The servicer.


class RegistryServicer(registry_pb2_grpc.RegistryServiceServicer):
    def __init__(self, bus: RegistryBus, reads: RegistryReadModel) -> None:
        self.bus = bus
        self.reads = reads

    async def _mutate(
        self, request: Req, to_command: Callable[[Req, Actor], Any], to_response: Callable[[Any], Resp]
    ) -> Resp:
        actor = actor_of(current_principal())
        return await in_thread(run, self.bus, request, actor, to_command, to_response)

    async def CreateOrganization(  # noqa: N802 - gRPC method names
        self, request: registry_pb2.CreateOrganizationRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.CreateOrganizationResponse:
        return await self._mutate(request, create_organization_command, create_organization_response)

    async def GetOrganization(  # noqa: N802
        self, request: registry_pb2.GetOrganizationRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.GetOrganizationResponse:
        organization = await in_thread(self.reads.organization, request.organization_id)
        return registry_pb2.GetOrganizationResponse(organization=organization_proto(organization))

    async def OpenAccount(  # noqa: N802
        self, request: registry_pb2.OpenAccountRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.OpenAccountResponse:
        return await self._mutate(request, open_account_command, open_account_response)

    async def GetAccount(  # noqa: N802
        self, request: registry_pb2.GetAccountRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.GetAccountResponse:
        account = await in_thread(self.reads.account, actor_of(current_principal()), request.account_id)
        return registry_pb2.GetAccountResponse(account=account_proto(account))

    async def ListHoldings(  # noqa: N802
        self, request: registry_pb2.ListHoldingsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.ListHoldingsResponse:
        actor = actor_of(current_principal())
        statuses = {_required_member(UnitStatus, types_pb2.UnitStatus, s) for s in request.statuses} or None
        page = await in_thread(
            self.reads.holdings_page, actor, request.account_id, statuses, request.page_size, request.page_token
        )
        return registry_pb2.ListHoldingsResponse(blocks=blocks(page.blocks), next_page_token=page.next_page_token)

    async def MintBatch(  # noqa: N802
        self, request: registry_pb2.MintBatchRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.MintBatchResponse:
        return await self._mutate(request, mint_batch_command, mint_response)

    async def Transfer(  # noqa: N802
        self, request: registry_pb2.TransferRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.TransferResponse:
        return await self._mutate(request, transfer_command, transfer_response)

    async def Retire(  # noqa: N802
        self, request: registry_pb2.RetireRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.RetireResponse:
        return await self._mutate(request, retire_command, retire_response)

    async def Cancel(  # noqa: N802
        self, request: registry_pb2.CancelRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.CancelResponse:
        return await self._mutate(request, cancel_command, cancel_response)

    async def UseForNdc(  # noqa: N802
        self, request: registry_pb2.UseForNdcRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.UseForNdcResponse:
        return await self._mutate(request, use_for_ndc_command, use_for_ndc_response)

    async def Lock(  # noqa: N802
        self, request: registry_pb2.LockRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.LockResponse:
        return await self._mutate(request, lock_command, lock_response)

    async def Unlock(  # noqa: N802
        self, request: registry_pb2.UnlockRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.UnlockResponse:
        return await self._mutate(request, unlock_command, unlock_response)

    async def Settle(  # noqa: N802
        self, request: registry_pb2.SettleRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.SettleResponse:
        return await self._mutate(request, settle_command, settle_response)

    async def CancelFromBuffer(  # noqa: N802
        self, request: registry_pb2.CancelFromBufferRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.CancelFromBufferResponse:
        return await self._mutate(request, cancel_from_buffer_command, cancel_from_buffer_response)

    async def GetBatchTotals(  # noqa: N802
        self, request: registry_pb2.GetBatchTotalsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.GetBatchTotalsResponse:
        require_role(actor_of(current_principal()), "SERVICE", "REGISTRY_ADMIN", "PROGRAM_ADMIN", "AUDITOR")
        totals = await in_thread(self.reads.batch_totals, list(request.batch_ids))
        return batch_totals_response(totals)

    async def ImportBatch(  # noqa: N802
        self, request: registry_pb2.ImportBatchRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.ImportBatchResponse:
        return await self._mutate(request, import_batch_command, import_batch_response)

    async def ImportBlockEvent(  # noqa: N802
        self, request: registry_pb2.ImportBlockEventRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.ImportBlockEventResponse:
        return await self._mutate(request, import_block_event_command, import_block_event_response)

    async def AddTrustedAccount(  # noqa: N802
        self, request: registry_pb2.AddTrustedAccountRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.AddTrustedAccountResponse:
        return await self._mutate(request, add_trusted_account_command, add_trusted_account_response)

    async def RemoveTrustedAccount(  # noqa: N802
        self, request: registry_pb2.RemoveTrustedAccountRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.RemoveTrustedAccountResponse:
        return await self._mutate(request, remove_trusted_account_command, remove_trusted_account_response)

    async def ApproveTransfer(  # noqa: N802
        self, request: registry_pb2.ApproveTransferRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.ApproveTransferResponse:
        return await self._mutate(request, approve_transfer_command, approve_transfer_response)

    async def CancelTransfer(  # noqa: N802
        self, request: registry_pb2.CancelTransferRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.CancelTransferResponse:
        return await self._mutate(request, cancel_transfer_command, cancel_transfer_response)

    async def ReinstateAccount(  # noqa: N802
        self, request: registry_pb2.ReinstateAccountRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> registry_pb2.ReinstateAccountResponse:
        return await self._mutate(request, reinstate_account_command, reinstate_account_response)


def batch_totals_response(totals: Any) -> registry_pb2.GetBatchTotalsResponse:
    return registry_pb2.GetBatchTotalsResponse(
        batches=[
            types_pb2.BatchTotals(
                batch_id=b.batch_id,
                minted_quantity_t=b.minted_quantity_t,
                by_status=[
                    types_pb2.StatusQuantity(status=_enum(types_pb2.UnitStatus, status), quantity_t=quantity)
                    for status, quantity in b.by_status
                ],
                buffer_quantity_t=b.buffer_quantity_t,
            )
            for b in totals
        ]
    )


def register_registry_service(server: Any, bus: RegistryBus, reads: RegistryReadModel) -> str:
    registry_pb2_grpc.add_RegistryServiceServicer_to_server(RegistryServicer(bus, reads), server)
    return str(registry_pb2.DESCRIPTOR.services_by_name["RegistryService"].full_name)
