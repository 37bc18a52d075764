"""The events reporting raises, as outbox messages (the one service module that knows the proto types)."""

from __future__ import annotations

from collections.abc import Iterable

from carbon.reporting.v1 import events_pb2 as reporting_events

from carbon_runtime.messaging.message import NewEvent
from services.reporting.domain.events import ReconciliationCompleted, ReportGenerated


def to_messages(event: object) -> Iterable[NewEvent]:
    match event:
        case ReportGenerated():
            yield NewEvent(
                "organization",
                event.organization_id,
                reporting_events.ReportGenerated(
                    report_id=event.report_id,
                    report_kind=event.report_kind,
                    organization_id=event.organization_id,
                    year=event.year,
                    total_quantity_t=event.total_quantity_t,
                    actor_user_id=event.actor_user_id,
                    actor_organization_id=event.actor_organization_id,
                ),
            )
        case ReconciliationCompleted():
            yield NewEvent(
                "reconciliation",
                event.reconciliation_id,
                reporting_events.ReconciliationCompleted(
                    reconciliation_id=event.reconciliation_id,
                    batches_checked=event.batches_checked,
                    discrepant_batch_ids=list(event.discrepant_batch_ids),
                ),
            )
        case _:
            raise TypeError(f"no outbox message for {type(event).__name__}")
