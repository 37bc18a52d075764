"""Canonical JSON: one byte string per value, so that hashes and fingerprints are reproducible.

Floats are refused: tonnes are ints and money/emissions are Decimals, which are encoded as their
exact decimal string so that "1.50" and "1.5" stay distinguishable as written.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from carbon_runtime.errors import invalid

JsonValue = None | bool | int | str | list["JsonValue"] | dict[str, "JsonValue"]


def to_json_value(value: Any) -> JsonValue:
    """Convert a payload into plain JSON values (str keys, no floats)."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, enum.Enum):
        return to_json_value(value.value)
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise invalid("PAYLOAD_INVALID", "datetimes in payloads must carry a UTC offset")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        raise invalid("PAYLOAD_INVALID", "floats are not allowed: use int tonnes or Decimal")
    if isinstance(value, Mapping):
        converted: dict[str, JsonValue] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise invalid("PAYLOAD_INVALID", f"payload keys must be strings, got {key!r}")
            converted[key] = to_json_value(item)
        return converted
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [to_json_value(item) for item in value]
    raise invalid("PAYLOAD_INVALID", f"cannot encode {type(value).__name__} in a payload")


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text kept as is."""
    return json.dumps(to_json_value(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
