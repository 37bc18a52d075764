"""A consumer's domain event is decoded from a proto event by field name, exactly and loudly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from carbon.registry.v1 import events_pb2 as registry_events
from carbon.registry.v1 import types_pb2 as registry_types
from carbon.trading.v1 import events_pb2 as trading_events

from carbon_runtime.messaging.decoding import MalformedEventError, decode_as
from carbon_runtime.vocabulary import CancellationPurpose

AT = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class CreditsCancelled:
    cancellation_id: str
    quantity_t: int
    serial_ranges: tuple[str, ...]
    purpose: CancellationPurpose
    cancelled_at: datetime


@dataclass(frozen=True)
class Settled:
    trade_id: str
    amount: Decimal | None
    settled_at: datetime


def test_fields_are_read_by_name_with_enums_tuples_and_the_envelope_time_for_an_unset_instant() -> None:
    proto = registry_events.CreditsCancelled(
        cancellation_id="c1",
        quantity_t=7,
        serial_ranges=["A-1", "A-2"],
        purpose=registry_types.CancellationPurpose.CANCELLATION_PURPOSE_CORSIA,
        beneficiary="x",
    )
    event = decode_as(CreditsCancelled, proto, AT)
    assert event == CreditsCancelled("c1", 7, ("A-1", "A-2"), CancellationPurpose.CORSIA, AT)


def test_decimals_come_exactly_from_their_decimal_string() -> None:
    proto = trading_events.TradeSettled(trade_id="t1", amount_decimal="12345678901234567890.05")
    assert decode_as(Settled, proto, AT).amount == Decimal("12345678901234567890.05")
    assert decode_as(Settled, trading_events.TradeSettled(trade_id="t1"), AT).amount is None


def test_an_unspecified_enum_is_malformed() -> None:
    proto = registry_events.CreditsCancelled(cancellation_id="c1", quantity_t=1)
    with pytest.raises(MalformedEventError, match="CancellationPurpose"):
        decode_as(CreditsCancelled, proto, AT)


def test_a_field_the_producer_does_not_send_is_an_error_not_a_guess() -> None:
    @dataclass(frozen=True)
    class Wrong:
        cancellation_id: str
        no_such_field: str

    with pytest.raises(MalformedEventError, match="no_such_field"):
        decode_as(Wrong, registry_events.CreditsCancelled(cancellation_id="c"), AT)
