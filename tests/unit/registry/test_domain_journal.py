from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from carbon_runtime.errors import DomainError
from services.registry.domain.journal import (
    GENESIS_HASH,
    JournalEntry,
    append_entry,
    entry_from_dict,
    verify_chain,
)

T0 = datetime(2024, 4, 1, 9, 0, tzinfo=UTC)


def chain(length: int) -> list[JournalEntry]:
    entries: list[JournalEntry] = []
    previous: JournalEntry | None = None
    for index in range(length):
        previous = append_entry(
            previous,
            T0 + timedelta(minutes=index),
            actor="user-1",
            operation="CreditsTransferred",
            payload={"batch_id": "B1", "quantity": 10 + index, "price_jpy": Decimal("1500.50")},
        )
        entries.append(previous)
    return entries


def test_first_entry_links_to_genesis_and_later_entries_to_their_predecessor() -> None:
    entries = chain(3)
    assert [e.sequence for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS_HASH
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash
    assert len(entries[0].hash) == 64


def test_payload_is_stored_in_canonical_json_form_with_exact_decimals() -> None:
    assert chain(1)[0].payload["price_jpy"] == "1500.50"


def test_intact_chain_verifies() -> None:
    result = verify_chain(chain(5))
    assert result.ok
    assert result.checked == 5
    assert result.first_broken_sequence is None


def test_tampered_payload_is_reported_at_its_sequence() -> None:
    entries = chain(5)
    entries[2] = dataclasses.replace(entries[2], payload={**entries[2].payload, "quantity": 999})
    result = verify_chain(entries)
    assert not result.ok
    assert result.first_broken_sequence == 3


def test_removed_entry_breaks_the_chain_at_the_next_sequence() -> None:
    entries = chain(5)
    del entries[1]
    assert verify_chain(entries).first_broken_sequence == 3


def test_rehashed_forgery_still_breaks_the_following_link() -> None:
    entries = chain(4)
    forged = append_entry(
        entries[0], T0 + timedelta(minutes=1), actor="attacker", operation="CreditsTransferred", payload={}
    )
    entries[1] = forged
    result = verify_chain(entries)
    assert result.first_broken_sequence == 3


def test_verifying_a_suffix_needs_the_trusted_previous_hash() -> None:
    entries = chain(4)
    assert not verify_chain(entries[2:]).ok
    assert verify_chain(entries[2:], expected_prev_hash=entries[1].hash).ok


def test_entry_survives_storage_round_trip() -> None:
    entries = chain(3)
    restored = [entry_from_dict(e.to_dict()) for e in entries]
    assert restored == entries
    assert verify_chain(restored).ok


def test_append_refuses_naive_time_and_floats() -> None:
    with pytest.raises(DomainError):
        append_entry(None, datetime(2024, 1, 1), actor="a", operation="x", payload={})  # noqa: DTZ001
    with pytest.raises(DomainError) as error:
        append_entry(None, T0, actor="a", operation="x", payload={"quantity": 1.5})
    assert error.value.reason == "PAYLOAD_INVALID"


def test_append_refuses_time_before_previous_entry() -> None:
    first = chain(1)[0]
    with pytest.raises(DomainError) as error:
        append_entry(first, T0 - timedelta(seconds=1), actor="a", operation="x", payload={})
    assert error.value.reason == "OCCURRED_AT_BEFORE_PREVIOUS"


def test_malformed_stored_entry_is_a_domain_error() -> None:
    with pytest.raises(DomainError) as error:
        entry_from_dict({"sequence": 1})
    assert error.value.reason == "JOURNAL_ENTRY_MALFORMED"
