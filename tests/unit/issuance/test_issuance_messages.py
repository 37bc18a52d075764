"""service/messages.py publishes exactly the events consumers know, keyed by project."""

from __future__ import annotations

from datetime import date
from typing import Any

from carbon.issuance.v1 import events_pb2

from services.issuance.domain import events as ev
from services.issuance.domain.duplicates import RegistrationStatus
from services.issuance.domain.periods import Period
from services.issuance.service.messages import to_messages
from tests.unit.issuance.support import T0

ACTOR: dict[str, Any] = {"actor_user_id": "u-1", "actor_org_id": "org-1", "occurred_at": T0}


def test_events_without_a_proto_counterpart_stay_inside_the_service() -> None:
    internal = [
        ev.VerifierEngaged(aggregate_id="p", verifier_org_id="v", **ACTOR),
        ev.ChangesRequested(aggregate_id="p", verifier_org_id="v", comment="c", **ACTOR),
        ev.DuplicateRegistrationCleared(
            aggregate_id="p", registration_id="r", status=RegistrationStatus.CANCELLED, **ACTOR
        ),
        ev.ReversalShortfallMadeGood(aggregate_id="p", quantity_t=1, outstanding_shortfall_t=0, **ACTOR),
    ]
    assert [list(to_messages(e)) for e in internal] == [[], [], [], []]


def test_a_report_event_is_keyed_by_its_project_not_the_report() -> None:
    [message] = to_messages(
        ev.VerificationRecorded(
            aggregate_id="report-1", project_id="project-1", verifier_org_id="v", verified_quantity_t=5, **ACTOR
        )
    )
    assert (message.aggregate_type, message.aggregate_id) == ("project", "project-1")
    assert isinstance(message.payload, events_pb2.VerificationRecorded)
    assert message.payload.monitoring_report_id == "report-1"


def test_project_registered_carries_the_registration_date_and_the_actor_organization() -> None:
    [message] = to_messages(ev.ProjectRegistered(aggregate_id="p", program_id="JCREDIT", **ACTOR))
    payload = message.payload
    assert isinstance(payload, events_pb2.ProjectRegistered)
    assert (payload.registered_on, payload.actor_organization_id) == (T0.date().isoformat(), "org-1")


def test_project_created_without_a_crediting_period_sends_empty_dates() -> None:
    [message] = to_messages(
        ev.ProjectCreated(
            aggregate_id="p",
            program_id="JCREDIT",
            methodology_id="JCREDIT:EN-S-001",
            host_country="JP",
            proponent_org_id="org-1",
            verifier_org_id=None,
            **ACTOR,
        )
    )
    payload = message.payload
    assert isinstance(payload, events_pb2.ProjectCreated)
    assert (payload.crediting_period_start, payload.verifier_organization_id, payload.idempotency_key) == ("", "", "")
    with_period = ev.ProjectCreated(
        aggregate_id="p",
        program_id="JCREDIT",
        methodology_id="JCREDIT:EN-S-001",
        host_country="JP",
        proponent_org_id="org-1",
        verifier_org_id=None,
        crediting_period=Period(date(2024, 1, 1), date(2028, 12, 31)),
        **ACTOR,
    )
    [dated] = to_messages(with_period)
    assert isinstance(dated.payload, events_pb2.ProjectCreated)
    assert dated.payload.crediting_period_end == "2028-12-31"
