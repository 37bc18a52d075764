"""Results <-> protobuf messages: the responses the gRPC servicer returns, and the mint and import
results the registry stores as serialized responses (so a replay answers byte for byte what the
first call answered)."""

from __future__ import annotations

from carbon.registry.v1 import registry_pb2, types_pb2

from carbon_runtime.vocabulary import UnitStatus, proto_prefix
from services.registry.domain.events import Block, TransferAccounting
from services.registry.service.messages import accounting, blocks, timestamp
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
