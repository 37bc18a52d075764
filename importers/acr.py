"""American Carbon Registry exports: projects, issuances, retirements, cancellations.

ACR issuance rows carry no serials (only totals), so their batches have no unit range; the
retirement and cancellation rows carry `ACR-CC-project-vintage-batch-start to end` ranges.
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

REGISTRY = OriginRegistry.ACR
FOLDER = "american-carbon-registry"


def convert_project(row: Row) -> tuple[ImportedRecord, ...]:
    return (
        ImportedProject(
            registry=REGISTRY,
            origin_project_id=row.required("Project ID"),
            name=row.required("Project Name"),
            country_code=row.country("Project Site Country"),
            methodology=row.get("Project Methodology/Protocol"),
            project_type=row.get("Project Type"),
            program=PROGRAM_OF[REGISTRY],
            source=row.source,
        ),
    )


def convert_issuance(row: Row) -> tuple[ImportedRecord, ...]:
    total = row.quantity("Total Credits Issued")
    to_project = row.quantity("Credits Issued to Project", allow_zero=True)
    to_buffer = row.quantity("Credits Issued to Buffer Pool", allow_zero=True)
    if to_project + to_buffer != total:
        raise RowError(
            RejectionReason.QUANTITY_MISMATCH,
            f"credits to project {to_project} + to buffer pool {to_buffer} != total issued {total}",
        )
    return (
        ImportedBatch(
            registry=REGISTRY,
            origin_batch_id=None,
            origin_project_id=row.required("Project ID"),
            vintage_year=row.vintage("Vintage"),
            vintage_start=row.optional_date("ReportingPeriodBegin"),
            vintage_end=row.optional_date("ReportingPeriodEnd"),
            issued_quantity=total,
            buffer_quantity=to_buffer,
            issued_on=row.date("Date Issued (GMT)"),
            units=None,
            source=row.source,
            project=project_facts(
                row, "Project Name", "Project Site Country", "Project Methodology/Protocol", "Project Type"
            ),
        ),
    )


RETIREMENT_COLUMNS = RangeEventColumns(
    project="Project ID",
    project_prefix="ACR",
    serial="Credit Serial Numbers",
    quantity="Quantity of Credits",
    vintage="Vintage",
    event_date="Status Effective (GMT)",
    beneficiary="Retired on Behalf of",
    reason="Retirement Reason",
    details="Purpose of Retirement",
)
CANCELLATION_COLUMNS = RangeEventColumns(
    project="Project ID",
    project_prefix="ACR",
    serial="Credit Serial Numbers",
    quantity="Quantity of Credits",
    vintage="Vintage",
    event_date="Status Effective (GMT)",
    beneficiary=None,
    reason="Cancellation Type",
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
        (
            "Project ID",
            "Project Name",
            "Project Site Country",
            "Project Methodology/Protocol",
            "Project Type",
        ),
        convert_project,
    ),
    FileSpec(
        REGISTRY,
        FileKind.ISSUANCES,
        "issuances.csv",
        (
            "Date Issued (GMT)",
            "Vintage",
            "ReportingPeriodBegin",
            "ReportingPeriodEnd",
            "Total Credits Issued",
            "Credits Issued to Project",
            "Credits Issued to Buffer Pool",
            "Project ID",
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
