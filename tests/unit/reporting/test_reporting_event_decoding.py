"""The consumer's decoding of other services' envelopes into domain events: what a reader must reject
is rejected before anything is written, and the defaults the wire leaves open are resolved once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from carbon.issuance.v1 import events_pb2 as iss
from carbon.registry.v1 import events_pb2 as reg
from carbon.registry.v1 import types_pb2 as rtypes
from google.protobuf.message import Message

from carbon_runtime.messaging.envelope import pack_envelope
from carbon_runtime.vocabulary import AccountKind, RetirementPurpose
from services.reporting.domain import events as ev
from services.reporting.domain.events import MalformedEventError
from services.reporting.entrypoints.consumer import decode

AT = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)


def envelope(payload: Message, producer: str = "registry") -> Any:
    return pack_envelope(
        event_id="00000000-0000-0000-0000-000000000001",
        aggregate_type="thing",
        aggregate_id="thing-1",
        sequence=1,
        occurred_at=AT,
        producer=producer,
        trace_context={},
        payload=payload,
    )


def test_an_unspecified_enum_is_malformed() -> None:
    with pytest.raises(MalformedEventError):
        decode(envelope(reg.AccountOpened(account_id="acc-x", organization_id="org")))


def test_enums_become_the_shared_vocabulary() -> None:
    cmd = decode(envelope(reg.AccountOpened(account_id="a", organization_id="o", kind=rtypes.ACCOUNT_KIND_BUFFER)))
    assert cmd.event == ev.AccountOpened("a", "o", AccountKind.BUFFER)
    assert (cmd.source, cmd.occurred_at) == ("registry", AT)


def test_a_retirement_without_its_own_time_is_dated_by_its_envelope() -> None:
    payload = reg.CreditsRetired(
        retirement_id="ret-1",
        batch_id="b-1",
        quantity_t=3,
        purpose=rtypes.RETIREMENT_PURPOSE_VOLUNTARY_OFFSET,
        retirement_year=2024,
        offset_emissions_decimal="14.75",
    )
    retired = decode(envelope(payload)).event
    assert isinstance(retired, ev.CreditsRetired)
    assert (retired.retired_at, retired.purpose) == (AT, RetirementPurpose.VOLUNTARY_OFFSET)
    assert retired.offset_emissions_tco2e == Decimal("14.75")


@pytest.mark.parametrize("text", ["NaN", "Infinity", "fourteen"])
def test_a_decimal_that_is_not_finite_is_malformed(text: str) -> None:
    payload = reg.CreditsRetired(
        retirement_id="ret-1",
        purpose=rtypes.RETIREMENT_PURPOSE_OTHER,
        retirement_year=2024,
        offset_emissions_decimal=text,
    )
    with pytest.raises(MalformedEventError):
        decode(envelope(payload))


def test_a_registration_without_a_date_is_registered_on_the_day_it_occurred() -> None:
    registered = decode(envelope(iss.ProjectRegistered(project_id="p-1"), "issuance")).event
    assert registered == ev.ProjectRegistered("p-1", date(2024, 6, 1))


def test_a_bad_date_is_malformed() -> None:
    payload = iss.ReversalReported(reversal_id="r", project_id="p", reversed_quantity_t=1, occurred_on="10/09/2024")
    with pytest.raises(MalformedEventError):
        decode(envelope(payload, "issuance"))


def test_an_event_type_reporting_does_not_project_is_decoded_without_an_event() -> None:
    cmd = decode(envelope(iss.ProjectWithdrawn(project_id="p-1", reason="end"), "issuance"))
    assert cmd.event is None and cmd.source == "issuance"
