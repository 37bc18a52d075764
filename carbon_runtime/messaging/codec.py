"""Results to bytes and back, for idempotent replays.

A replayed command must answer exactly what the first run answered, so the bus stores the handler's
result with its idempotency key. Results are plain dataclasses of domain values (str, int, bool,
Decimal, date, datetime, enums, tuples, lists, optionals and nested dataclasses); this codec writes
them as JSON and reads them back by the handler's declared return type. Decimals travel as strings
so no tonne or yen is ever rounded through a float."""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def to_jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, frozenset | set):
        # Sorted: a set's iteration order changes with the hash seed, and a fingerprint must not.
        return sorted((to_jsonable(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, float):
        raise TypeError("floats are never stored: use int for tonnes and Decimal for prices")
    raise TypeError(f"cannot encode {type(value).__name__}")


def dumps(value: Any) -> bytes:
    return json.dumps(to_jsonable(value), separators=(",", ":"), sort_keys=True).encode()


def from_jsonable(tp: Any, data: Any) -> Any:
    if tp is Any:
        return data
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if data is None:
            return None
        return from_jsonable(args[0], data) if len(args) == 1 else data
    if origin in (list, tuple, frozenset, set):
        item_args = typing.get_args(tp)
        item = item_args[0] if item_args else Any
        items = [from_jsonable(item, v) for v in data]
        if origin is tuple:
            return tuple(items)
        return origin(items)
    if origin is dict:
        key_tp, value_tp = typing.get_args(tp) or (Any, Any)
        return {from_jsonable(key_tp, k): from_jsonable(value_tp, v) for k, v in data.items()}
    if data is None:
        return None
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            return tp(data)
        if tp is Decimal:
            return Decimal(data)
        if tp is datetime:
            return datetime.fromisoformat(data)
        if tp is date:
            return date.fromisoformat(data)
        if dataclasses.is_dataclass(tp):
            hints = typing.get_type_hints(tp)
            return tp(**{f.name: from_jsonable(hints[f.name], data[f.name]) for f in dataclasses.fields(tp) if f.init})
    return data


def loads(tp: Any, raw: bytes) -> Any:
    return from_jsonable(tp, json.loads(raw))
