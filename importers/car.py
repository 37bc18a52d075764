"""Climate Action Reserve exports: projects, issuances, retirements, cancellations.

Issuance rows carry totals only (no serials); retirement and cancellation rows carry
`CAR-class-CC-project-n-n-ST-vintage-batch-start to end` ranges. CAR projects state a project
type but no separate protocol in the projects export, so methodology comes from issuances only.
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
)
from importers.rows import FileSpec, RangeEventColumns, Row, project_facts, range_event

REGISTRY = OriginRegistry.CAR
FOLDER = "climate-action-reserve"


def convert_project(row: Row) -> tuple[ImportedRecord, ...]:
    return (
        ImportedProject(
            registry=REGISTRY,
            origin_project_id=row.required("Project ID"),
            name=row.required("Project Name"),
            country_code=row.country("Project Site Country"),
            methodology=None,
            project_type=row.get("Project Type"),
            program=PROGRAM_OF[REGISTRY],
            source=row.source,
        ),
    )


def convert_issuance(row: Row) -> tuple[ImportedRecord, ...]:
    return (
        ImportedBatch(
            registry=REGISTRY,
            origin_batch_id=None,
            origin_project_id=row.required("Project ID"),
            vintage_year=row.vintage("Vintage"),
            vintage_start=None,
            vintage_end=None,
            issued_quantity=row.quantity("Total Offset Credits Issued"),
            buffer_quantity=row.optional_quantity("Offset Credits Currently in Reserve Buffer Pool"),
            issued_on=row.date("Date Issued"),
            units=None,
            source=row.source,
            project=project_facts(row, "Project Name", "Project Site Country", "Protocol and Version", "Project Type"),
        ),
    )


RETIREMENT_COLUMNS = RangeEventColumns(
    project="Project ID",
    project_prefix="CAR",
    serial="Offset Credit Serial Numbers",
    quantity="Quantity of Offset Credits",
    vintage="Vintage",
    event_date="Status Effective",
    beneficiary=None,  # CAR names the account holder, not the beneficiary; details often do
    reason="Retirement Reason",
    details="Retirement Reason Details",
)
CANCELLATION_COLUMNS = RangeEventColumns(
    project="Project ID",
    project_prefix="CAR",
    serial="Offset Credit Serial Numbers",
    quantity="Quantity of Offset Credits",
    vintage="Vintage",
    event_date="Status Effective",
    beneficiary=None,
    reason="Cancellation Reason",
    details="Export Notes",
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
        ("Project ID", "Project Name", "Project Site Country", "Project Type"),
        convert_project,
    ),
    FileSpec(
        REGISTRY,
        FileKind.ISSUANCES,
        "issuances.csv",
        (
            "Date Issued",
            "Project ID",
            "Vintage",
            "Total Offset Credits Issued",
            "Offset Credits Currently in Reserve Buffer Pool",
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
