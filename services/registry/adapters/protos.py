"""Results <-> protobuf messages: the responses the gRPC servicer returns, and the mint and import
results the registry stores as serialized responses (so a replay answers byte for byte what the
first call answered)."""

from __future__ import annotations

from typing import Any

from carbon.registry.v1 import registry_pb2, types_pb2
from google.protobuf import json_format
from google.protobuf.message import Message

from carbon_runtime.persistence import idempotency
from carbon_runtime.vocabulary import UnitStatus, proto_prefix
from services.registry.domain.commands import ImportBatch, ImportBlockEvent, MintBatch, OriginUnits
from services.registry.domain.events import Block, TransferAccounting
from services.registry.service.messages import accounting, attributes, blocks, timestamp
from services.registry.service.results import ImportBlockEventResult, MintResult

__all__ = ["accounting", "block_from_proto", "blocks", "timestamp"]

_UNIT_STATUS = {types_pb2.UnitStatus.Value(proto_prefix("UnitStatus") + status.value): status for status in UnitStatus}


def block_from_proto(b: types_pb2.UnitBlock) -> Block:
    return Block(
        batch_id=b.batch_id,
        account_id=b.account_id,
        start_unit=int(b.start_unit),
        end_unit=int(b.end_unit),
        serial_start=b.serial_start,
        serial_end=b.serial_end,
        quantity_t=int(b.quantity_t),
        status=_UNIT_STATUS[b.status],
    )


def accounting_from_proto(a: types_pb2.TransferAccounting) -> TransferAccounting:
    return TransferAccounting(
        a.batch_id, int(a.quantity_t), a.itmo_first_transfer, a.issuer_onset, int(a.onset_fiscal_year)
    )


def mint_response(result: MintResult) -> registry_pb2.MintBatchResponse:
    return registry_pb2.MintBatchResponse(
        batch_id=result.batch_id,
        serial_start=result.serial_start,
        serial_end=result.serial_end,
        holder_blocks=blocks(result.holder_blocks),
        buffer_blocks=blocks(result.buffer_blocks),
    )


def mint_result(response: registry_pb2.MintBatchResponse) -> MintResult:
    return MintResult(
        batch_id=response.batch_id,
        serial_start=response.serial_start,
        serial_end=response.serial_end,
        holder_blocks=tuple(block_from_proto(b) for b in response.holder_blocks),
        buffer_blocks=tuple(block_from_proto(b) for b in response.buffer_blocks),
    )


def import_block_event_response(result: ImportBlockEventResult) -> registry_pb2.ImportBlockEventResponse:
    return registry_pb2.ImportBlockEventResponse(
        operation_id=result.operation_id,
        batch_id=result.batch_id,
        blocks=blocks(result.blocks),
        serial_ranges=list(result.serial_ranges),
    )


def import_block_event_result(response: registry_pb2.ImportBlockEventResponse) -> ImportBlockEventResult:
    return ImportBlockEventResult(
        operation_id=response.operation_id,
        batch_id=response.batch_id,
        blocks=tuple(block_from_proto(b) for b in response.blocks),
        serial_ranges=tuple(response.serial_ranges),
    )


# ---- stored request hashes -----------------------------------------------------------------------
# Mints and imports store the hash of their request and compare a retry with it (the same issuance or
# origin record again: the first result; other arguments: CONFLICT). The hash has always been taken
# over the request message as the contract spells it, so it is computed from the same message here:
# rows stored before the registry spoke commands keep matching their retries.


def _hash(operation: str, request: Message) -> str:
    arguments: dict[str, Any] = json_format.MessageToDict(request, preserving_proto_field_name=True)
    arguments.pop("idempotency_key", None)
    return idempotency.request_hash(operation, arguments)


def mint_request(cmd: MintBatch) -> registry_pb2.MintBatchRequest:
    return registry_pb2.MintBatchRequest(
        idempotency_key=cmd.idempotency_key or "",
        issuance_id=cmd.issuance_id,
        batch_id=cmd.batch_id,
        attributes=attributes(cmd.attributes),
        serial_prefix=cmd.serial_prefix,
        issued_quantity_t=cmd.issued_quantity_t,
        buffer_quantity_t=cmd.buffer_quantity_t,
        holder_account_id=cmd.holder_account_id,
        buffer_account_id=cmd.buffer_account_id,
    )


def _origin_units(units: OriginUnits | None) -> registry_pb2.OriginUnitRange | None:
    if units is None:
        return None
    return registry_pb2.OriginUnitRange(
        numbering_scope=units.numbering_scope,
        unit_start=units.unit_start,
        unit_end=units.unit_end,
        serial_start=units.serial_start,
        serial_end=units.serial_end,
        origin_serial=units.origin_serial,
    )


def mint_request_hash(cmd: MintBatch) -> str:
    return _hash("MintBatch", mint_request(cmd))


def import_batch_request_hash(cmd: ImportBatch) -> str:
    request = registry_pb2.ImportBatchRequest(
        mint=mint_request(cmd.mint),
        origin_registry=cmd.origin_registry,
        origin_batch_id=cmd.origin_batch_id,
        origin_project_id=cmd.origin_project_id,
        origin_units=_origin_units(cmd.origin_units),
    )
    return _hash("ImportBatch", request)


_IMPORTED_KINDS = {
    "RETIRED": registry_pb2.IMPORTED_EVENT_KIND_RETIRED,
    "CANCELLED": registry_pb2.IMPORTED_EVENT_KIND_CANCELLED,
}


def import_block_event_request_hash(cmd: ImportBlockEvent) -> str:
    request = registry_pb2.ImportBlockEventRequest(
        origin_registry=cmd.origin_registry,
        kind=_IMPORTED_KINDS.get(cmd.kind or "", registry_pb2.IMPORTED_EVENT_KIND_UNSPECIFIED),
        batch_id=cmd.batch_id,
        quantity_t=cmd.quantity_t,
        origin_units=_origin_units(cmd.origin_units),
        beneficiary=cmd.beneficiary,
        reason=cmd.reason,
        details=cmd.details,
        event_date=cmd.event_date.isoformat() if cmd.event_date else "",
    )
    return _hash("ImportBlockEvent", request)
