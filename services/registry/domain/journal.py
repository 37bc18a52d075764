"""Append-only, hash-chained journal of registry operations.

Each entry's hash is sha256 over the canonical JSON of all its other fields, including the
previous entry's hash. Changing, removing or reordering any past entry therefore breaks every
later link, which verify_chain reports with the first broken sequence number; certificates quote
the hash of the entry that recorded the retirement so that a reader can check it later.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from carbon_runtime.errors import invalid

from .canonical import JsonValue, canonical_json, to_json_value

# prev_hash of the first entry: no predecessor.
GENESIS_HASH = "0" * 64


def _as_object(value: JsonValue) -> dict[str, JsonValue]:
    if not isinstance(value, dict):
        raise invalid("PAYLOAD_INVALID", "a journal payload is a JSON object")
    return value


@dataclass(frozen=True, slots=True)
class JournalEntry:
    sequence: int
    occurred_at: datetime
    actor: str
    operation: str
    payload: dict[str, JsonValue]
    prev_hash: str
    hash: str

    def hashed_fields(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            "occurred_at": self.occurred_at,
            "actor": self.actor,
            "operation": self.operation,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
        }

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON form for storage; entry_from_dict(e.to_dict()) == e."""
        result = _as_object(to_json_value(self.hashed_fields()))
        result["hash"] = self.hash
        return result


def compute_hash(
    sequence: int,
    occurred_at: datetime,
    actor: str,
    operation: str,
    payload: Mapping[str, Any],
    prev_hash: str,
) -> str:
    text = canonical_json(
        {
            "sequence": sequence,
            "occurred_at": occurred_at,
            "actor": actor,
            "operation": operation,
            "payload": payload,
            "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def append_entry(
    previous: JournalEntry | None,
    occurred_at: datetime,
    actor: str,
    operation: str,
    payload: Mapping[str, Any],
) -> JournalEntry:
    """The entry that follows `previous` (or the first entry when None)."""
    if occurred_at.tzinfo is None:
        raise invalid("OCCURRED_AT_NAIVE", "journal times must carry a UTC offset")
    if not actor or not operation:
        raise invalid("FIELD_REQUIRED", "a journal entry names its actor and operation")
    if previous is not None and occurred_at < previous.occurred_at:
        raise invalid("OCCURRED_AT_BEFORE_PREVIOUS", "a journal entry cannot precede the entry before it")
    # The stored payload is the canonical JSON form, so that the hash can be recomputed from what
    # is stored (Decimals as strings, dates as ISO text), not from objects that no longer exist.
    stored = _as_object(to_json_value(payload))
    sequence = 1 if previous is None else previous.sequence + 1
    prev_hash = GENESIS_HASH if previous is None else previous.hash
    return JournalEntry(
        sequence=sequence,
        occurred_at=occurred_at,
        actor=actor,
        operation=operation,
        payload=stored,
        prev_hash=prev_hash,
        hash=compute_hash(sequence, occurred_at, actor, operation, stored, prev_hash),
    )


def entry_from_dict(data: Mapping[str, Any]) -> JournalEntry:
    """Rebuild an entry from its stored JSON form (does not verify it: use verify_chain)."""
    try:
        payload = data["payload"]
        if not isinstance(payload, dict):
            raise TypeError("payload")
        return JournalEntry(
            sequence=int(data["sequence"]),
            occurred_at=datetime.fromisoformat(str(data["occurred_at"])),
            actor=str(data["actor"]),
            operation=str(data["operation"]),
            payload=payload,
            prev_hash=str(data["prev_hash"]),
            hash=str(data["hash"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise invalid("JOURNAL_ENTRY_MALFORMED", f"stored journal entry is malformed: {error}") from error


@dataclass(frozen=True, slots=True)
class ChainVerification:
    ok: bool
    checked: int
    first_broken_sequence: int | None = None
    problem: str | None = field(default=None)


def verify_chain(entries: Sequence[JournalEntry], expected_prev_hash: str = GENESIS_HASH) -> ChainVerification:
    """Check consecutive sequence numbers, each prev_hash link and each recomputed hash.

    `expected_prev_hash` is the hash of the entry before entries[0]: GENESIS_HASH for a full
    journal, or a trusted earlier hash when verifying only a recent part."""
    link = expected_prev_hash
    previous_sequence: int | None = None
    for index, entry in enumerate(entries):
        if previous_sequence is not None and entry.sequence != previous_sequence + 1:
            return ChainVerification(
                False, index, entry.sequence, f"sequence {entry.sequence} follows {previous_sequence}"
            )
        if entry.prev_hash != link:
            return ChainVerification(False, index, entry.sequence, "prev_hash does not match the previous entry's hash")
        try:
            recomputed = compute_hash(
                entry.sequence,
                entry.occurred_at,
                entry.actor,
                entry.operation,
                entry.payload,
                entry.prev_hash,
            )
        except Exception as error:  # a corrupted payload must be reported, not crash the verifier
            return ChainVerification(False, index, entry.sequence, f"entry cannot be encoded: {error}")
        if recomputed != entry.hash:
            return ChainVerification(False, index, entry.sequence, "hash does not match the entry's content")
        link = entry.hash
        previous_sequence = entry.sequence
    return ChainVerification(True, len(entries))
