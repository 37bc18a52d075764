"""Normalized records produced from registry exports.

Pure standard library. Every data row of an export ends as either one or more records (a Verra
transaction row that is retired is both an issued block and a retirement) or exactly one
`Rejection`; nothing is dropped silently, so a reviewer can reconcile counts with the source file.
Tonnes are `int` everywhere: a credit is one indivisible tonne.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from carbon_runtime.errors import DomainError, ErrorCode


class OriginRegistry(enum.StrEnum):
    VERRA = "VERRA"
    GOLD_STANDARD = "GOLD_STANDARD"
    ACR = "ACR"
    CAR = "CAR"
    ART = "ART"


class ProgramId(enum.StrEnum):
    VCS = "VCS"
    GS = "GS"
    ACR = "ACR"
    CAR = "CAR"
    ART = "ART"


PROGRAM_OF: dict[OriginRegistry, ProgramId] = {
    OriginRegistry.VERRA: ProgramId.VCS,
    OriginRegistry.GOLD_STANDARD: ProgramId.GS,
    OriginRegistry.ACR: ProgramId.ACR,
    OriginRegistry.CAR: ProgramId.CAR,
    OriginRegistry.ART: ProgramId.ART,
}


class FileKind(enum.StrEnum):
    PROJECTS = "projects"
    TRANSACTIONS = "transactions"  # Verra: issuances and retirements in one table
    ISSUANCES = "issuances"
    RETIREMENTS = "retirements"
    CANCELLATIONS = "cancellations"


class BlockEventKind(enum.StrEnum):
    RETIRED = "RETIRED"
    CANCELLED = "CANCELLED"
    HELD = "HELD"


class RejectionReason(enum.StrEnum):
    """Stable reason codes for refused rows."""

    MISSING_COLUMN = "MISSING_COLUMN"
    ROW_SHAPE = "ROW_SHAPE"
    EMPTY_ROW = "EMPTY_ROW"
    MISSING_FIELD = "MISSING_FIELD"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    INVALID_DATE = "INVALID_DATE"
    INVALID_VINTAGE = "INVALID_VINTAGE"
    UNKNOWN_COUNTRY = "UNKNOWN_COUNTRY"
    UNKNOWN_STATUS = "UNKNOWN_STATUS"
    MALFORMED_SERIAL = "MALFORMED_SERIAL"
    QUANTITY_MISMATCH = "QUANTITY_MISMATCH"
    SERIAL_ROW_MISMATCH = "SERIAL_ROW_MISMATCH"
    DOUBLE_REGISTRATION = "DOUBLE_REGISTRATION"
    DUPLICATE_RECORD = "DUPLICATE_RECORD"


# Double registration is a conflict with data already claimed; everything else is bad input.
_ERROR_CODE_OF: dict[RejectionReason, ErrorCode] = {
    RejectionReason.DOUBLE_REGISTRATION: ErrorCode.CONFLICT,
    RejectionReason.DUPLICATE_RECORD: ErrorCode.CONFLICT,
}


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a record came from: file path relative to the import root, physical line where the
    CSV record starts (1-based; the header is line 1; quoted newlines push later records down)."""

    file: str
    line: int


@dataclass(frozen=True, slots=True)
class Rejection:
    file: str
    line: int
    reason: RejectionReason
    message: str

    def to_error(self) -> DomainError:
        code = _ERROR_CODE_OF.get(self.reason, ErrorCode.INVALID_ARGUMENT)
        return DomainError(
            code=code,
            reason=self.reason.value,
            message=f"{self.file}:{self.line}: {self.message}",
            details={"file": self.file, "line": self.line},
        )


@dataclass(frozen=True, slots=True)
class ImportedProject:
    registry: OriginRegistry
    origin_project_id: str
    name: str
    country_code: str  # ISO 3166-1 alpha-2
    methodology: str | None
    project_type: str | None
    program: ProgramId
    source: SourceRef


@dataclass(frozen=True, slots=True)
class UnitRange:
    """A serial block as the origin registry numbers it. Unit numbers are only comparable within
    one `numbering_scope` (Verra numbers VCUs registry-wide; Gold Standard, ACR, CAR and ART
    number units from 1 inside each batch, so their scope is the serial prefix up to the batch)."""

    numbering_scope: str
    unit_start: int
    unit_end: int
    serial_start: str
    serial_end: str
    origin_serial: str
    country_code: str | None  # host country printed in the serial (the block's, not the project's)

    @property
    def quantity(self) -> int:
        return self.unit_end - self.unit_start + 1

    def overlaps(self, other: UnitRange) -> bool:
        return (
            self.numbering_scope == other.numbering_scope
            and self.unit_start <= other.unit_end
            and other.unit_start <= self.unit_end
        )


@dataclass(frozen=True, slots=True)
class ProjectFacts:
    """What an issuance row says about its project. Used to bridge in a project the export's
    projects file does not list (the files are separate tables and need not cover each other)."""

    name: str | None
    country_code: str | None
    methodology: str | None
    project_type: str | None


@dataclass(frozen=True, slots=True)
class ImportedBatch:
    """An issuance. Verra exports one row per serial block, so a Verra batch here is one block and
    several records may share `origin_batch_id`. `vintage_start`/`vintage_end` are the vintage or
    monitoring/reporting period the export states; `vintage_year` is set when the export has one."""

    registry: OriginRegistry
    origin_batch_id: str | None
    origin_project_id: str
    vintage_year: int | None
    vintage_start: date | None
    vintage_end: date | None
    issued_quantity: int
    buffer_quantity: int | None
    issued_on: date | None
    units: UnitRange | None
    source: SourceRef
    project: ProjectFacts | None = None


@dataclass(frozen=True, slots=True)
class ImportedBlockEvent:
    """A retirement, cancellation or hold of a block. All three take units out of circulation;
    `event_date` is None only when the export gives none (Gold Standard cancellations)."""

    registry: OriginRegistry
    kind: BlockEventKind
    origin_project_id: str
    vintage_year: int | None
    quantity: int
    units: UnitRange | None
    beneficiary: str | None
    reason: str | None
    details: str | None
    event_date: date | None
    source: SourceRef


ImportedRecord = ImportedProject | ImportedBatch | ImportedBlockEvent


@dataclass(frozen=True, slots=True)
class RowOutcome:
    """What became of one data row: records (imported) or a rejection, never both, never neither."""

    registry: OriginRegistry
    kind: FileKind
    source: SourceRef
    records: tuple[ImportedRecord, ...]
    rejection: Rejection | None

    def __post_init__(self) -> None:
        if (self.rejection is None) == (not self.records):
            raise ValueError("a row outcome has either records or a rejection")
