"""Domain events, past tense. Aggregates append them to their `events` list as they change (the unit
of work collects them from every aggregate it loaded); the two saga completions (CreditsIssued,
ReversalReported) are raised by their handlers once the registry has answered. The message bus
turns them into outbox messages through service/messages.py in the same transaction as the change;
events without a published counterpart stay inside the service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from carbon_runtime.vocabulary import Authorization, CreditBasis, CreditCategory, CreditType

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
    #: The actor's organization; None for platform staff.
    actor_org_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectCreated(DomainEvent):
    program_id: str
    methodology_id: str
    host_country: str
    proponent_org_id: str
    verifier_org_id: str | None
    name: str = ""
    co_benefits: tuple[int, ...] = ()
    crediting_period: Period | None = None
    #: The key the creating request carried, so consumers can correlate it.
    idempotency_key: str | None = None


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
    program_id: str = ""

    @property
    def registered_on(self) -> date:
        return self.occurred_at.date()


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
    #: Baseline, project and leakage emissions exactly as submitted (contract fields), tCO2e.
    emissions_as_submitted: tuple[Decimal, Decimal, Decimal] = (Decimal(0), Decimal(0), Decimal(0))
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationRecorded(DomainEvent):
    project_id: str
    verifier_org_id: str
    verified_quantity_t: int


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuanceDecided(DomainEvent):
    """The report's tonnes are committed to one issuance; the batch exists once the registry mints it."""

    plan: IssuancePlan


@dataclass(frozen=True, slots=True, kw_only=True)
class ReversalAssessed(DomainEvent):
    """How a reported reversal splits between the buffer pool and a shortfall (decided before the
    registry cancels from the buffer; ReversalReported follows once it has)."""

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


@dataclass(frozen=True, slots=True)
class CreditAttributes:
    """What every credit of a batch carries (carbon.issuance.v1.CreditAttributes)."""

    project_id: str
    program_id: str
    methodology_id: str
    country: str
    vintage_start: date
    vintage_end: date
    credit_type: CreditType
    basis: CreditBasis
    category: CreditCategory
    corresponding_adjustment: bool
    authorization: Authorization
    co_benefits: tuple[int, ...]
    issuer_organization_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditsIssued(DomainEvent):
    """The registry minted the batch (issued or imported); raised by the handler that confirms it.
    `aggregate_id` is the project."""

    batch_id: str
    issuance_id: str
    monitoring_report_id: str
    attributes: CreditAttributes
    project_name: str
    program_name: str
    methodology_title: str
    issued_quantity_t: int
    buffer_quantity_t: int
    serial_start: str
    serial_end: str
    holder_account_id: str
    buffer_account_id: str
    idempotency_key: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReversalReported(DomainEvent):
    """The reversal is recorded and the buffer's share cancelled at the registry; raised by the
    handler that completes it. `aggregate_id` is the project."""

    reversal_id: str
    batch_id: str | None
    reversed_quantity_t: int
    occurred_on: date
    description: str
