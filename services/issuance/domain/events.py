"""Domain events, past tense. Aggregates append them to their `events` list as they change; the
service layer writes them to the outbox in the same transaction as the aggregate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .duplicates import DuplicateBasis, RegistrationStatus
from .periods import Period
from .plan import IssuancePlan
from .values import ProjectDocument, Site


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    #: The aggregate the event belongs to (Kafka key).
    aggregate_id: str
    actor_user_id: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectCreated(DomainEvent):
    program_id: str
    methodology_id: str
    host_country: str
    proponent_org_id: str
    verifier_org_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifierEngaged(DomainEvent):
    verifier_org_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentAdded(DomainEvent):
    document: ProjectDocument


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteAdded(DomainEvent):
    site: Site


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationRequested(DomainEvent):
    verifier_org_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectValidated(DomainEvent):
    verifier_org_id: str
    comment: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectRejected(DomainEvent):
    verifier_org_id: str
    comment: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangesRequested(DomainEvent):
    verifier_org_id: str
    comment: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectRegistered(DomainEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectWithdrawn(DomainEvent):
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DuplicateRegistrationFlagged(DomainEvent):
    registration_id: str
    program_id: str
    basis: DuplicateBasis


@dataclass(frozen=True, slots=True, kw_only=True)
class DuplicateRegistrationCleared(DomainEvent):
    registration_id: str
    status: RegistrationStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitoringReportSubmitted(DomainEvent):
    project_id: str
    period: Period
    #: Exact net result before rounding; may be negative (then nothing is claimed).
    net_quantity_t: Decimal
    claimed_quantity_t: int


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationRecorded(DomainEvent):
    project_id: str
    verifier_org_id: str
    verified_quantity_t: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditsIssued(DomainEvent):
    plan: IssuancePlan


@dataclass(frozen=True, slots=True, kw_only=True)
class ReversalReported(DomainEvent):
    reversal_quantity_t: int
    #: Asked of the registry: cancel this many credits from the program's buffer pool.
    buffer_cancellation_t: int
    #: The part the buffer could not cover.
    shortfall_t: int
    #: Shortfall still to be made good, this reversal included; issuance is held while above 0.
    outstanding_shortfall_t: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ReversalShortfallMadeGood(DomainEvent):
    quantity_t: int
    outstanding_shortfall_t: int
