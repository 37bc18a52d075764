"""What the use cases need from the outside world, as interfaces: storage (one unit of work per
transaction, holding one repository per aggregate) and the registry (over gRPC in production, the
shared in-memory fake tests/support/fake_registry.py in tests)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from carbon_runtime.messaging.bus import UnitOfWork as BusUnitOfWork
from carbon_runtime.vocabulary import Authorization, CreditBasis, CreditCategory, CreditType
from services.issuance.domain.duplicates import OtherRegistration
from services.issuance.domain.events import CreditAttributes
from services.issuance.domain.monitoring import MonitoringReport
from services.issuance.domain.project import Project
from services.issuance.domain.reference_data import Methodology, Program

# ---- registry ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrganizationInfo:
    organization_id: str
    name: str
    accredited_verifier: bool


@dataclass(frozen=True, slots=True)
class MintOrder:
    """Everything the registry needs to mint one batch; identical on every retry of one issuance."""

    issuance_id: str
    batch_id: str
    idempotency_key: str
    serial_prefix: str
    issued_quantity_t: int
    buffer_quantity_t: int
    holder_account_id: str
    buffer_account_id: str
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

    @property
    def attributes(self) -> CreditAttributes:
        return CreditAttributes(
            project_id=self.project_id,
            program_id=self.program_id,
            methodology_id=self.methodology_id,
            country=self.country,
            vintage_start=self.vintage_start,
            vintage_end=self.vintage_end,
            credit_type=self.credit_type,
            basis=self.basis,
            category=self.category,
            corresponding_adjustment=self.corresponding_adjustment,
            authorization=self.authorization,
            co_benefits=self.co_benefits,
            issuer_organization_id=self.issuer_organization_id,
        )


@dataclass(frozen=True, slots=True)
class MintResult:
    batch_id: str
    serial_start: str
    serial_end: str


@dataclass(frozen=True, slots=True)
class BufferCancellationOrder:
    reversal_id: str
    idempotency_key: str
    program_id: str
    buffer_account_id: str
    quantity_t: int
    reason: str


class RegistryPort(Protocol):
    """The registry owns organizations and units. Every call may raise DomainError (UNAVAILABLE when
    the registry is down); `token` is the caller's bearer token, forwarded so the registry authorizes
    the end user itself."""

    def get_organization(self, organization_id: str, token: str | None) -> OrganizationInfo | None: ...

    def mint_batch(self, order: MintOrder, token: str | None) -> MintResult: ...

    def cancel_from_buffer(self, order: BufferCancellationOrder, token: str | None) -> str: ...


# ---- storage ----------------------------------------------------------------------------------


@dataclass
class BatchRecord:
    """An issuance decision and, once minted, the batch it produced."""

    batch_id: str
    issuance_id: str
    state: str
    monitoring_report_id: str
    holder_account_id: str
    idempotency_key: str | None
    order: MintOrder
    project_name: str
    program_name: str
    methodology_title: str
    registered_on: date | None
    requested_by: str
    requested_by_org: str | None
    requested_at: datetime
    exchange_category: str | None = None
    serial_start: str | None = None
    serial_end: str | None = None
    issued_at: datetime | None = None


@dataclass
class ReversalRecord:
    reversal_id: str
    state: str
    project_id: str
    program_id: str
    batch_id: str | None
    reversed_quantity_t: int
    buffer_cancellation_t: int
    shortfall_t: int
    occurred_on: date
    description: str
    buffer_account_id: str | None
    idempotency_key: str | None
    reported_by: str
    reported_by_org: str | None
    reported_at: datetime
    registry_cancellation_id: str | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ImportedOrigin:
    """Where an imported batch came from; `request_hash` makes a repeated import with other
    arguments detectable."""

    import_key: str
    origin_registry: str
    origin_batch_id: str | None
    origin_serial: str | None
    issued_on: date | None
    request_hash: str


@dataclass(frozen=True, slots=True)
class ImportMintOrder:
    """A batch of an external registry for the registry to mint into its import holding account."""

    order: MintOrder
    origin_registry: str
    origin_batch_id: str
    origin_project_id: str
    numbering_scope: str
    origin_unit_start: int
    origin_unit_end: int
    origin_serial_start: str
    origin_serial_end: str
    origin_serial: str


@dataclass(frozen=True, slots=True)
class ImportMintResult:
    batch_id: str
    serial_start: str
    serial_end: str
    holder_account_id: str
    buffer_account_id: str


class ImportRegistryPort(Protocol):
    """The registry's side of imports (ImportBatch); may raise DomainError, e.g. CONFLICT
    DOUBLE_REGISTRATION or UNAVAILABLE. (Imported retirements and cancellations go to the registry
    directly: the export import in entrypoints forwards them without a use case of this service.)"""

    def import_batch(self, order: ImportMintOrder, token: str | None) -> ImportMintResult: ...


@dataclass
class ProgramSettings:
    program: Program
    buffer_account_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReportFigures:
    """The figures of a monitoring report exactly as submitted (contract fields)."""

    baseline_emissions: str
    project_emissions: str
    leakage_emissions: str


@dataclass
class LoadedReport:
    report: MonitoringReport
    figures: ReportFigures


class ReferenceDataRepository(Protocol):
    def get_program(self, program_id: str) -> ProgramSettings: ...
    def get_methodology(self, methodology_id: str) -> Methodology: ...
    def program_exists(self, program_id: str) -> bool: ...
    def methodology_exists(self, methodology_id: str) -> bool: ...
    def save_program(self, settings: ProgramSettings, *, new: bool) -> None: ...
    def save_methodology(self, methodology: Methodology, *, new: bool) -> None: ...
    def methodology_in_use(self, methodology_id: str) -> bool: ...
    def methodologies_of(self, program_id: str) -> Sequence[Methodology]: ...


class ProjectRepository(Protocol):
    """Projects it returns are tracked by the unit of work, so the events they raise are published."""

    def get_project(self, project_id: str, *, for_update: bool = False) -> Project: ...
    def add_project(self, project: Project, created_by: str) -> None: ...
    def save_project(self, project: Project, comment: str | None = None) -> None: ...
    def set_registered_on(self, project_id: str, registered_on: date) -> None: ...
    def registered_on(self, project_id: str) -> date | None: ...
    def other_registrations(self, project_id: str) -> Sequence[OtherRegistration]: ...
    def project_by_origin(self, program_id: str, origin_project_id: str) -> str | None: ...


class ReportRepository(Protocol):
    """Reports it returns are tracked by the unit of work, like projects."""

    def get_report(self, report_id: str, *, for_update: bool = False) -> LoadedReport: ...
    def reports_of(self, project_id: str) -> Sequence[MonitoringReport]: ...
    def add_report(self, loaded: LoadedReport) -> None: ...
    def save_verification(self, report: MonitoringReport) -> None: ...
    def mark_report_issued(self, report_id: str) -> None: ...


class BatchRepository(Protocol):
    def batch_for_report(self, report_id: str) -> BatchRecord | None: ...
    def get_batch(self, batch_id: str) -> BatchRecord | None: ...
    def add_pending_batch(self, record: BatchRecord) -> None: ...
    def mark_batch_issued(self, batch_id: str, serial_start: str, serial_end: str, at: datetime) -> None: ...
    def buffer_issued_t(self, program_id: str) -> int: ...
    def imported_batch(self, import_key: str) -> tuple[str, str] | None: ...
    def add_imported_batch(self, record: BatchRecord, origin: ImportedOrigin, at: datetime) -> None: ...


class ReversalRepository(Protocol):
    def get_reversal(self, reversal_id: str) -> ReversalRecord | None: ...
    def buffer_cancelled_t(self, program_id: str) -> int: ...
    def add_reversal(self, record: ReversalRecord) -> None: ...
    def complete_reversal(self, reversal_id: str, cancellation_id: str | None, at: datetime) -> None: ...


class UnitOfWork(BusUnitOfWork, Protocol):
    """One transaction (opened by the message bus around a handler). Leaving it without an exception
    commits state, events and idempotency records together; an exception rolls all of it back.
    `commit()` makes a saga step durable before a remote call and goes on in a new transaction."""

    reference: ReferenceDataRepository
    projects: ProjectRepository
    reports: ReportRepository
    batches: BatchRepository
    reversals: ReversalRepository

    def commit(self) -> None: ...

    def emit(self, event: object) -> None:
        """Raise a domain event that no loaded aggregate raised (a saga's completion)."""
        ...


class Clock(Protocol):
    def __call__(self) -> datetime: ...


class IdGenerator(Protocol):
    def __call__(self) -> str: ...
