"""ART TREES exports: projects (programs), issuances, retirements, cancellations.

ART calls projects "programs" (`ART102`). Issuance rows carry totals only: total emission
reductions = credits deposited in the buffer + credits verified, checked here. Retirement and
cancellation serials are `ART-CC-program-vintage-batch-start to end`, or `FCPF-...` for programs
credited under the FCPF Carbon Fund framework.
"""

from __future__ import annotations

from importers.model import (
    PROGRAM_OF,
    BlockEventKind,
    FileKind,
    ImportedBatch,
    ImportedProject,
    ImportedRecord,
    OriginRegistry,
    RejectionReason,
)
from importers.rows import FileSpec, RangeEventColumns, Row, RowError, project_facts, range_event

REGISTRY = OriginRegistry.ART
FOLDER = "art-trees"


def convert_project(row: Row) -> tuple[ImportedRecord, ...]:
    return (
        ImportedProject(
            registry=REGISTRY,
            origin_project_id=row.required("Program ID"),
            name=row.required("Program Name"),
            country_code=row.country("Program Country"),
            methodology=row.get("Crediting Program and Standard"),
            project_type=row.get("Program Type"),
            program=PROGRAM_OF[REGISTRY],
            source=row.source,
        ),
    )


def convert_issuance(row: Row) -> tuple[ImportedRecord, ...]:
    total = row.quantity("Total Emission Reductions/Removals")
    buffer = row.quantity("Credits Deposited in Buffer", allow_zero=True)
    verified = row.quantity("Credits Verified", allow_zero=True)
    if buffer + verified != total:
        raise RowError(
            RejectionReason.QUANTITY_MISMATCH,
            f"buffer {buffer} + verified {verified} != total emission reductions/removals {total}",
        )
    return (
        ImportedBatch(
            registry=REGISTRY,
            origin_batch_id=None,
            origin_project_id=row.required("Program ID"),
            vintage_year=row.vintage("Vintage"),
            vintage_start=None,
            vintage_end=None,
            issued_quantity=total,
            buffer_quantity=buffer,
            issued_on=row.date("Date Approved"),
            units=None,
            source=row.source,
            project=project_facts(
                row, "Program Name", "Program Country", "Crediting Program and Standard", "Program Type"
            ),
        ),
    )


RETIREMENT_COLUMNS = RangeEventColumns(
    project="Program ID",
    project_prefix="ART",
    serial="Credit Serial Numbers",
    quantity="Quantity of Credits",
    vintage="Vintage",
    event_date="Status Effective",
    beneficiary="Retired on Behalf of",
    reason="Retirement Reason",
    details="Purpose of Retirement",
)
CANCELLATION_COLUMNS = RangeEventColumns(
    project="Program ID",
    project_prefix="ART",
    serial="Credit Serial Numbers",
    quantity="Quantity of Credits",
    vintage="Vintage",
    event_date="Status Effective",
    beneficiary=None,
    reason="Cancellation Reason",
    details="Cancellation Details",
)


def convert_retirement(row: Row) -> tuple[ImportedRecord, ...]:
    return (range_event(row, REGISTRY, BlockEventKind.RETIRED, RETIREMENT_COLUMNS),)


def convert_cancellation(row: Row) -> tuple[ImportedRecord, ...]:
    return (range_event(row, REGISTRY, BlockEventKind.CANCELLED, CANCELLATION_COLUMNS),)


FILES: tuple[FileSpec, ...] = (
    FileSpec(
        REGISTRY,
        FileKind.PROJECTS,
        "projects.csv",
        ("Program ID", "Program Name", "Program Country", "Crediting Program and Standard", "Program Type"),
        convert_project,
    ),
    FileSpec(
        REGISTRY,
        FileKind.ISSUANCES,
        "issuances.csv",
        (
            "Date Approved",
            "Program ID",
            "Vintage",
            "Total Emission Reductions/Removals",
            "Credits Deposited in Buffer",
            "Credits Verified",
        ),
        convert_issuance,
    ),
    FileSpec(REGISTRY, FileKind.RETIREMENTS, "retirements.csv", RETIREMENT_COLUMNS.required(), convert_retirement),
    FileSpec(
        REGISTRY,
        FileKind.CANCELLATIONS,
        "cancellations.csv",
        CANCELLATION_COLUMNS.required(),
        convert_cancellation,
    ),
)
