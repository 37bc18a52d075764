"""What callers ask of the issuance service, one frozen dataclass per use case.

Every command names its caller (`actor`, built by the entrypoint from the verified token) and carries
the caller's bearer `token`, which the registry calls forward so the registry authorizes the person.
Commands that take an idempotency key scope it to the caller's organization (or the user, for platform
staff); the message bus stores the key with the handler's result, so a replay returns that result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .actor import Actor
from .duplicates import RegistrationStatus
from .project import ValidationOutcome
from .reference_data import CreditBasis, CreditType, ExchangeCategory, MethodologyFamily, ProgramScope, Sector
from .values import Additionality, Article6Authorization, JapanTies, Permanence, ProjectDocument, Site


def idempotency_scope_of(actor: Actor) -> str:
    # Keys are scoped to the calling organization, or to the user for platform staff.
    return f"org:{actor.organization_id}" if actor.organization_id else f"user:{actor.user_id}"


@dataclass(frozen=True, kw_only=True)
class Command:
    actor: Actor
    #: The caller's bearer token, forwarded to the registry (never part of a request fingerprint).
    token: str | None = field(default=None, repr=False)

    @property
    def idempotency_scope(self) -> str:
        return idempotency_scope_of(self.actor)


# ---- projects -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CreateProject(Command):
    name: str
    program_id: str
    methodology_id: str
    country: str
    proponent_id: str
    verifier_id: str | None = None
    crediting_period_start: date | None = None
    crediting_period_end: date | None = None
    co_benefits: tuple[int, ...] = ()
    idempotency_key: str | None = None
    region: str | None = None
    permanence: Permanence | None = None
    additionality: Additionality | None = None
    japan_ties: JapanTies | None = None
    authorization: Article6Authorization | None = None
    program_type: bool = False
    sites: tuple[Site, ...] = ()
    documents: tuple[ProjectDocument, ...] = ()
    origin_project_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class EngageVerifier(Command):
    project_id: str
    verifier_id: str


@dataclass(frozen=True, kw_only=True)
class RequestValidation(Command):
    project_id: str


@dataclass(frozen=True, kw_only=True)
class RecordValidation(Command):
    project_id: str
    outcome: ValidationOutcome
    comment: str | None = None


@dataclass(frozen=True, kw_only=True)
class RequestChanges(Command):
    project_id: str
    comment: str


@dataclass(frozen=True, kw_only=True)
class RegisterProject(Command):
    project_id: str


@dataclass(frozen=True, kw_only=True)
class WithdrawProject(Command):
    project_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ClearDuplicateFlag(Command):
    project_id: str
    registration_id: str
    status: RegistrationStatus


# ---- monitoring and issuance ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SubmitMonitoringReport(Command):
    project_id: str
    period_start: date
    period_end: date
    baseline_emissions: Decimal
    project_emissions: Decimal
    leakage_emissions: Decimal = Decimal(0)
    #: Removal projects quantify removals (net = project removals - baseline removals - leakage).
    project_removals: Decimal | None = None
    baseline_removals: Decimal | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordVerification(Command):
    report_id: str
    verified_quantity_t: int


@dataclass(frozen=True, kw_only=True)
class IssueCredits(Command):
    monitoring_report_id: str
    account_id: str
    idempotency_key: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReportReversal(Command):
    project_id: str
    quantity_t: int
    occurred_on: date
    description: str
    batch_id: str | None = None
    idempotency_key: str | None = None


# ---- reference data ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ProgramChange(Command):
    """For updates, None leaves a field as it is."""

    program_id: str
    name: str | None = None
    operator: str | None = None
    scope: ProgramScope | None = None
    japanese: bool | None = None
    icroa_endorsed: bool | None = None
    corresponding_adjustment_possible: bool | None = None
    allowed_host_countries: tuple[str, ...] | None = None
    #: Empty string clears it.
    buffer_account_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class CreateProgram(ProgramChange):
    pass


@dataclass(frozen=True, kw_only=True)
class UpdateProgram(ProgramChange):
    pass


@dataclass(frozen=True, kw_only=True)
class MethodologyChange(Command):
    methodology_id: str
    program_id: str | None = None
    code: str | None = None
    title: str | None = None
    credit_type: CreditType | None = None
    basis: CreditBasis | None = None
    sector: Sector | None = None
    family: MethodologyFamily | None = None
    exchange_category: ExchangeCategory | None = None


@dataclass(frozen=True, kw_only=True)
class CreateMethodology(MethodologyChange):
    pass


@dataclass(frozen=True, kw_only=True)
class UpdateMethodology(MethodologyChange):
    pass


# ---- imports from external registries ---------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ImportProject(Command):
    """A project of an external registry. Idempotent by its origin id (a repeat answers created=False),
    not by key: `record_key` only travels on ProjectCreated."""

    origin_registry: str
    program_id: str
    origin_project_id: str
    name: str
    country: str
    methodology_code: str = ""
    #: Used only when the methodology has to be created; None when the record does not state it.
    credit_type: CreditType | None = None
    basis: CreditBasis | None = None
    sector: str = ""
    family: str = ""
    project_type: str = ""
    record_key: str = ""
    #: The origin registry's first crediting period (both or neither); CORSIA's cut-off reads its start.
    crediting_period_start: date | None = None
    crediting_period_end: date | None = None


@dataclass(frozen=True, kw_only=True)
class ImportBatch(Command):
    """A batch of an external registry, as exported (dates as ISO text, empty when not stated). Its
    own import key makes it idempotent: the same key with other arguments is IMPORT_KEY_REUSED."""

    import_key: str
    project_id: str
    origin_registry: str
    origin_batch_id: str = ""
    vintage_start: str = ""
    vintage_end: str = ""
    issued_quantity_t: int = 0
    buffer_quantity_t: int = 0
    issued_on: str = ""
    numbering_scope: str = ""
    origin_unit_start: int = 0
    origin_unit_end: int = 0
    origin_serial_start: str = ""
    origin_serial_end: str = ""
    origin_serial: str = ""
    country: str = ""
