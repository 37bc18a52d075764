"""The event envelope (carbon.events.v1.EventEnvelope): packing a typed payload and reading it back.

Generated stubs are imported lazily: nothing runs at import time, and `make protos` must have run.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from google.protobuf.message import Message

_ENVELOPE_MODULE = "carbon.events.v1.envelope_pb2"


def envelope_module() -> Any:
    return importlib.import_module(_ENVELOPE_MODULE)


def envelope_type() -> Any:
    return envelope_module().EventEnvelope


def _payload_field_by_type() -> dict[str, str]:
    desc = envelope_type().DESCRIPTOR
    oneof = desc.oneofs_by_name["payload"]
    return {f.message_type.full_name: f.name for f in oneof.fields}


def pack_envelope(
    *,
    event_id: str,
    aggregate_type: str,
    aggregate_id: str,
    sequence: int,
    occurred_at: datetime,
    producer: str,
    trace_context: Mapping[str, str],
    payload: Message,
) -> Any:
    env = envelope_type()()
    env.event_id = event_id
    env.event_type = payload.DESCRIPTOR.full_name
    env.aggregate_type = aggregate_type
    env.aggregate_id = aggregate_id
    env.sequence = sequence
    env.occurred_at.FromDatetime(occurred_at)
    env.producer = producer
    for k, v in trace_context.items():
        env.trace_context[k] = v
    field = _payload_field_by_type().get(payload.DESCRIPTOR.full_name)
    if field is None:
        raise ValueError(f"{payload.DESCRIPTOR.full_name} is not a payload of EventEnvelope")
    getattr(env, field).CopyFrom(payload)
    return env


def unpack_payload(envelope: Any) -> Message:
    which = envelope.WhichOneof("payload")
    if which is None:
        raise ValueError(f"event {envelope.event_id} has no payload")
    payload: Message = getattr(envelope, which)
    return payload


def topic_producer(topic: str) -> str | None:
    """The service that owns a topic (`carbon.<svc>.events.v1` -> `<svc>`), else None."""
    parts = topic.split(".")
    if len(parts) == 4 and parts[0] == "carbon" and parts[2] == "events" and parts[3] == "v1":
        return parts[1]
    return None


def payload_owner(envelope: Any) -> str | None:
    """The service whose contract defines the envelope's payload (`carbon.<svc>.v1.X` -> `<svc>`)."""
    which = envelope.WhichOneof("payload")
    if which is None:
        return None
    package = str(envelope.DESCRIPTOR.fields_by_name[which].message_type.file.package)
    parts = package.split(".")
    return parts[1] if len(parts) == 3 and parts[0] == "carbon" else None


def accepted_from_topic(topic: str, envelope: Any) -> bool:
    """Whether a consumer may apply `envelope` read from `topic`: only the event types the topic's
    producer owns, and only when the envelope names that producer. Kafka ACLs keep each service
    writing its own topic, but a leaked credential (or a misconfigured ACL) must not let one service
    inject another's facts (e.g. a CreditsRetired forged on the trading topic)."""
    producer = topic_producer(topic)
    return producer is not None and payload_owner(envelope) == producer and envelope.producer == producer
