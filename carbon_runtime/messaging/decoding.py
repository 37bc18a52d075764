"""A proto event to a consumer's own domain dataclass, by field name, so that consuming a new event
takes a dataclass and a projection, not a hand-written decoder.

Each field of the dataclass is read from the proto field of the same name, converted by the field's
annotation: `str`/`int`/`bool` as they are; `Decimal` from the proto's `<name>_decimal` (or `<name>`)
string, exact and never through a float; `date` from an ISO string; `datetime` from a Timestamp
(an unset one, or a missing `*_at` field, takes the envelope's time); a shared-vocabulary enum from
the proto enum value (UNSPECIFIED is malformed); tuples from repeated fields; nested dataclasses from
nested messages. A dataclass field the message lacks, and that has no default, is an error at decode
time: the consumer's model and the producer's contract disagree.

A consumer keeps a hand-written decoder only where the shapes really differ (a renamed field, a
field taken from a nested message)."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from carbon_runtime.vocabulary import proto_prefix


class MalformedEventError(ValueError):
    """The event cannot be decoded into the consumer's model: skip it loudly, never guess."""


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def _has(message: Any, name: str) -> bool:
    return name in message.DESCRIPTOR.fields_by_name


def _scalar(tp: Any, optional: bool, message: Any, name: str, occurred_at: datetime) -> Any:
    if tp is Decimal:
        source = f"{name}_decimal" if _has(message, f"{name}_decimal") else name
        text = getattr(message, source)
        if not text:
            if optional:
                return None
            raise MalformedEventError(f"{message.DESCRIPTOR.name}.{source} is empty")
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise MalformedEventError(f"{message.DESCRIPTOR.name}.{source}: {text!r} is not a decimal") from exc
        if not value.is_finite():
            raise MalformedEventError(f"{message.DESCRIPTOR.name}.{source}: {text!r} is not finite")
        return value
    if tp is datetime:
        if not _has(message, name):
            return occurred_at
        ts = getattr(message, name)
        if ts.seconds == 0 and ts.nanos == 0:
            return occurred_at
        return ts.ToDatetime(tzinfo=UTC)
    raw = getattr(message, name)
    if tp is date:
        if not raw:
            if optional:
                return None
            raise MalformedEventError(f"{message.DESCRIPTOR.name}.{name} is empty")
        try:
            return date.fromisoformat(raw)
        except ValueError as exc:
            raise MalformedEventError(f"{message.DESCRIPTOR.name}.{name}: {raw!r} is not a date") from exc
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        field = message.DESCRIPTOR.fields_by_name[name]
        value_name = field.enum_type.values_by_number.get(raw)
        prefix = proto_prefix(tp.__name__)
        if value_name is None or value_name.name.endswith("_UNSPECIFIED"):
            if optional:
                return None
            raise MalformedEventError(f"{message.DESCRIPTOR.name}.{name}: {raw} is not a valid {tp.__name__}")
        return tp(value_name.name.removeprefix(prefix))
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if optional and not message.HasField(name):
            return None
        return decode_as(tp, raw, occurred_at)
    if optional and raw in ("", 0):
        return None
    return raw


def decode_as(cls: type[Any], message: Any, occurred_at: datetime) -> Any:
    """An instance of the dataclass `cls` filled from the proto `message`."""
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        tp, optional = _unwrap_optional(hints[field.name])
        present = _has(message, field.name) or _has(message, f"{field.name}_decimal")
        if not present and not (tp is datetime and field.name.endswith("_at")):
            if field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING:
                continue
            raise MalformedEventError(f"{message.DESCRIPTOR.full_name} has no field {field.name} for {cls.__name__}")
        if typing.get_origin(tp) is tuple:
            item_tp = typing.get_args(tp)[0]
            items = getattr(message, field.name)
            if isinstance(item_tp, type) and dataclasses.is_dataclass(item_tp):
                values[field.name] = tuple(decode_as(item_tp, item, occurred_at) for item in items)
            else:
                values[field.name] = tuple(items)
            continue
        values[field.name] = _scalar(tp, optional, message, field.name, occurred_at)
    return cls(**values)
