"""An outbox message: one event on its way to the log and to Kafka.

Kept free of SQLAlchemy so the service layer can name it; the payload is the proto event message
(the one place a service meets its proto event types is its `service/messages.py`)."""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.message import Message


@dataclass(frozen=True)
class NewEvent:
    """An event to record: which aggregate it belongs to and its typed payload (a proto message)."""

    aggregate_type: str
    aggregate_id: str
    payload: Message
