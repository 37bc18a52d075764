"""What callers ask the reporting service to do (orders, domain types only).

Reporting's writes are its projections: `ProjectEvent` applies one other service's event to the read
models (the Kafka consumer and the event-log replay send it), `ProjectEvents` a batch of them in one
transaction (a rebuild), `ClearReadModel` forgets everything before a rebuild. Generating a disclosure
or SHK report and running a reconciliation are commands too, although the public graph serves them
under Query: each records an event (the audit trail), and queries never write.

The projection commands carry no idempotency key: the event id is the key, claimed by the handler in
the same transaction as the event's effect (see service/project_event.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.reporting.domain.actor import Actor
from services.reporting.domain.events import ConsumedEvent
from services.reporting.domain.shk import ShkInput


@dataclass(frozen=True, slots=True)
class ProjectEvent:
    """Apply one event of another service to the read models, once per event id."""

    event_id: str
    #: The producing service ("issuance", "registry", "trading"); progress is kept per producer.
    source: str
    occurred_at: datetime
    #: None for an event type reporting does not project: it is still claimed and counted, so the
    #: progress per producer counts every event of its log.
    event: ConsumedEvent | None
    #: The event's position in the producer's log when it came from a replay (Kafka records have none).
    position: int | None = None


@dataclass(frozen=True, slots=True)
class ProjectEvents:
    """Apply a run of events in one transaction (a rebuild or catch-up streams thousands of them)."""

    events: tuple[ProjectEvent, ...]


@dataclass(frozen=True, slots=True)
class ClearReadModel:
    """Empty every read model and forget which events were applied, atomically (before a rebuild)."""


@dataclass(frozen=True, slots=True)
class GenerateDisclosureReport:
    actor: Actor
    organization_id: str
    year: int


@dataclass(frozen=True, slots=True)
class GenerateShkReport:
    actor: Actor
    shk_input: ShkInput


@dataclass(frozen=True, slots=True)
class ReconcileBatches:
    """Compare issuance, the registry and this read model per batch (all known batches when empty)."""

    actor: Actor
    batch_ids: tuple[str, ...] = ()
