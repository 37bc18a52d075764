"""What the use cases need from the outside world, as interfaces: storage (one unit of work per
transaction) and the registry (over gRPC in production, an in-memory fake in tests)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Protocol

from google.protobuf.message import Message

from services.issuance.domain.duplicates import OtherRegistration
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
    credit_type: str
    basis: str
    category: str
    corresponding_adjustment: bool
    #: Proto enum name of carbon.issuance.v1.Authorization, e.g. "AUTHORIZATION_NONE".
    authorization: str
    co_benefits: tuple[int, ...]
    issuer_organization_id: str


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
    DOUBLE_REGISTRATION or UNAVAILABLE."""

    def import_batch(self, order: ImportMintOrder, token: str | None) -> ImportMintResult: ...

    def import_block_event(self, request: Message, token: str | None) -> Message:
        """Forwards a carbon.registry.v1.ImportBlockEventRequest; returns its response."""
        ...


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


class UnitOfWork(Protocol):
    """One transaction. Leaving the block without an exception commits state, events and
    idempotency records together; an exception rolls all of it back."""

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    # reference data
    def get_program(self, program_id: str) -> ProgramSettings: ...
    def get_methodology(self, methodology_id: str) -> Methodology: ...
    def program_exists(self, program_id: str) -> bool: ...
    def methodology_exists(self, methodology_id: str) -> bool: ...
    def save_program(self, settings: ProgramSettings, *, new: bool) -> None: ...
    def save_methodology(self, methodology: Methodology, *, new: bool) -> None: ...
    def methodology_in_use(self, methodology_id: str) -> bool: ...

    # projects
    def get_project(self, project_id: str, *, for_update: bool = False) -> Project: ...
    def add_project(self, project: Project, created_by: str) -> None: ...
    def save_project(self, project: Project, comment: str | None = None) -> None: ...
    def set_registered_on(self, project_id: str, registered_on: date) -> None: ...
    def registered_on(self, project_id: str) -> date | None: ...
    def other_registrations(self, project_id: str) -> Sequence[OtherRegistration]: ...

    # monitoring reports
    def get_report(self, report_id: str, *, for_update: bool = False) -> LoadedReport: ...
    def reports_of(self, project_id: str) -> Sequence[MonitoringReport]: ...
    def add_report(self, loaded: LoadedReport) -> None: ...
    def save_verification(self, report: MonitoringReport) -> None: ...
    def mark_report_issued(self, report_id: str) -> None: ...

    # batches
    def batch_for_report(self, report_id: str) -> BatchRecord | None: ...
    def get_batch(self, batch_id: str) -> BatchRecord | None: ...
    def add_pending_batch(self, record: BatchRecord) -> None: ...
    def mark_batch_issued(self, batch_id: str, serial_start: str, serial_end: str, at: datetime) -> None: ...
    def buffer_issued_t(self, program_id: str) -> int: ...

    # imports from external registries
    def project_by_origin(self, program_id: str, origin_project_id: str) -> str | None: ...
    def methodologies_of(self, program_id: str) -> Sequence[Methodology]: ...
    def imported_batch(self, import_key: str) -> tuple[str, str] | None: ...
    def add_imported_batch(self, record: BatchRecord, origin: ImportedOrigin, at: datetime) -> None: ...

    # reversals
    def get_reversal(self, reversal_id: str) -> ReversalRecord | None: ...
    def buffer_cancelled_t(self, program_id: str) -> int: ...
    def add_reversal(self, record: ReversalRecord) -> None: ...
    def complete_reversal(self, reversal_id: str, cancellation_id: str | None, at: datetime) -> None: ...

    # idempotency and events
    def idempotent_lookup(self, scope: str, key: str, operation: str, args: object) -> bytes | None: ...
    def idempotent_store(self, scope: str, key: str, operation: str, args: object, response: bytes) -> None: ...
    def add_event(self, aggregate_type: str, aggregate_id: str, payload: Message) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class Clock(Protocol):
    def __call__(self) -> datetime: ...


class IdGenerator(Protocol):
    def __call__(self) -> str: ...
