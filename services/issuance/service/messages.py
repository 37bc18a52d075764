"""Domain events -> outbox messages: the one service module that knows the proto event types
(carbon.issuance.v1.events), which reporting and the registry consume. The payloads are exactly
what the use cases published before the message bus existed; events without a proto counterpart
(VerifierEngaged, ChangesRequested, duplicate flags, IssuanceDecided, ReversalAssessed …) stay
inside the service."""

from __future__ import annotations

import enum
from collections.abc import Iterable

from carbon.issuance.v1 import events_pb2, types_pb2

from carbon_runtime.messaging.message import NewEvent
from carbon_runtime.vocabulary import proto_prefix
from services.issuance.domain import events as ev

#: Every issuance event is keyed by its project (one Kafka partition orders a project's history).
PROJECT = "project"


def enum_pb(value: enum.StrEnum) -> int:
    """A shared-vocabulary member as its proto enum number (CreditType.REMOVAL -> CREDIT_TYPE_REMOVAL)."""
    enum_type = getattr(types_pb2, type(value).__name__)
    number: int = enum_type.Value(proto_prefix(type(value).__name__) + value.value)
    return number


def credit_attributes_pb(a: ev.CreditAttributes) -> types_pb2.CreditAttributes:
    return types_pb2.CreditAttributes(
        project_id=a.project_id,
        program_id=a.program_id,
        methodology_id=a.methodology_id,
        country=a.country,
        vintage_start=a.vintage_start.isoformat(),
        vintage_end=a.vintage_end.isoformat(),
        credit_type=enum_pb(a.credit_type),  # type: ignore[arg-type]
        basis=enum_pb(a.basis),  # type: ignore[arg-type]
        category=enum_pb(a.category),  # type: ignore[arg-type]
        corresponding_adjustment=a.corresponding_adjustment,
        authorization=enum_pb(a.authorization),  # type: ignore[arg-type]
        co_benefits=list(a.co_benefits),
        issuer_organization_id=a.issuer_organization_id,
    )


def _actor(e: ev.DomainEvent) -> dict[str, str]:
    return {"actor_user_id": e.actor_user_id, "actor_organization_id": e.actor_org_id or ""}


def _payload(e: object) -> object | None:
    if isinstance(e, ev.ProjectCreated):
        period = e.crediting_period
        return events_pb2.ProjectCreated(
            project_id=e.aggregate_id,
            name=e.name,
            program_id=e.program_id,
            methodology_id=e.methodology_id,
            country=e.host_country,
            proponent_organization_id=e.proponent_org_id,
            verifier_organization_id=e.verifier_org_id or "",
            co_benefits=list(e.co_benefits),
            crediting_period_start=period.start.isoformat() if period else "",
            crediting_period_end=period.end.isoformat() if period else "",
            idempotency_key=e.idempotency_key or "",
            **_actor(e),
        )
    if isinstance(e, ev.ValidationRequested):
        return events_pb2.ValidationRequested(
            project_id=e.aggregate_id, verifier_organization_id=e.verifier_org_id, **_actor(e)
        )
    if isinstance(e, ev.ProjectValidated | ev.ProjectRejected):
        kind = events_pb2.ProjectValidated if isinstance(e, ev.ProjectValidated) else events_pb2.ProjectRejected
        return kind(
            project_id=e.aggregate_id, verifier_organization_id=e.verifier_org_id, comment=e.comment or "", **_actor(e)
        )
    if isinstance(e, ev.ProjectRegistered):
        return events_pb2.ProjectRegistered(
            project_id=e.aggregate_id,
            program_id=e.program_id,
            registered_on=e.registered_on.isoformat(),
            **_actor(e),
        )
    if isinstance(e, ev.ProjectWithdrawn):
        return events_pb2.ProjectWithdrawn(project_id=e.aggregate_id, reason=e.reason, **_actor(e))
    if isinstance(e, ev.MonitoringReportSubmitted):
        baseline, project, leakage = e.emissions_as_submitted
        return events_pb2.MonitoringReportSubmitted(
            monitoring_report_id=e.aggregate_id,
            project_id=e.project_id,
            period_start=e.period.start.isoformat(),
            period_end=e.period.end.isoformat(),
            baseline_emissions_decimal=str(baseline),
            project_emissions_decimal=str(project),
            leakage_emissions_decimal=str(leakage),
            claimed_quantity_t=e.claimed_quantity_t,
            idempotency_key=e.idempotency_key or "",
            **_actor(e),
        )
    if isinstance(e, ev.VerificationRecorded):
        return events_pb2.VerificationRecorded(
            monitoring_report_id=e.aggregate_id,
            project_id=e.project_id,
            verifier_organization_id=e.verifier_org_id,
            verified_quantity_t=e.verified_quantity_t,
            **_actor(e),
        )
    if isinstance(e, ev.CreditsIssued):
        return events_pb2.CreditsIssued(
            batch_id=e.batch_id,
            issuance_id=e.issuance_id,
            monitoring_report_id=e.monitoring_report_id,
            attributes=credit_attributes_pb(e.attributes),
            project_name=e.project_name,
            program_name=e.program_name,
            methodology_title=e.methodology_title,
            issued_quantity_t=e.issued_quantity_t,
            buffer_quantity_t=e.buffer_quantity_t,
            serial_start=e.serial_start,
            serial_end=e.serial_end,
            holder_account_id=e.holder_account_id,
            buffer_account_id=e.buffer_account_id,
            idempotency_key=e.idempotency_key or "",
            **_actor(e),
        )
    if isinstance(e, ev.ReversalReported):
        return events_pb2.ReversalReported(
            reversal_id=e.reversal_id,
            project_id=e.aggregate_id,
            batch_id=e.batch_id or "",
            reversed_quantity_t=e.reversed_quantity_t,
            occurred_on=e.occurred_on.isoformat(),
            description=e.description,
            **_actor(e),
        )
    return None


def _aggregate_of(e: object) -> str:
    if isinstance(e, ev.MonitoringReportSubmitted | ev.VerificationRecorded):
        return e.project_id  # a report's events belong to its project's stream
    assert isinstance(e, ev.DomainEvent)
    return e.aggregate_id


def to_messages(event: object) -> Iterable[NewEvent]:
    payload = _payload(event)
    if payload is None:
        return []
    return [NewEvent(PROJECT, _aggregate_of(event), payload)]  # type: ignore[arg-type]
