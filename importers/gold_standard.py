"""Gold Standard exports: projects.csv, issuances.csv, retirements.csv.

Issuances carry GS serials, or CDM serial ranges for CERs that Gold Standard also labels (their
project number is the CDM one, so only the vintage is cross-checked for those). The retirements file
holds both retired and cancelled blocks; cancellations may have no date (e.g. transfers to a
national registry), which is kept as an unknown date rather than invented.
"""

from __future__ import annotations

from importers.model import (
    PROGRAM_OF,
    BlockEventKind,
    FileKind,
    ImportedBatch,
    ImportedBlockEvent,
    ImportedProject,
    ImportedRecord,
    OriginRegistry,
    RejectionReason,
)
from importers.rows import FileSpec, Row, RowError, check_serial_matches, project_facts, serial_for
from importers.serials import ParsedOriginSerial, SerialScheme

REGISTRY = OriginRegistry.GOLD_STANDARD
FOLDER = "gold-standard"

_EVENT_KIND: dict[str, BlockEventKind] = {
    "retired": BlockEventKind.RETIRED,
    "canceled": BlockEventKind.CANCELLED,
    "cancelled": BlockEventKind.CANCELLED,
}


def convert_project(row: Row) -> tuple[ImportedRecord, ...]:
    return (
        ImportedProject(
            registry=REGISTRY,
            origin_project_id=row.required("GSID"),
            name=row.required("Project Name"),
            country_code=row.country("Country"),
            methodology=row.get("Methodology"),
            project_type=row.get("Project Type"),
            program=PROGRAM_OF[REGISTRY],
            source=row.source,
        ),
    )


def _serial(row: Row, quantity: int, vintage: int) -> ParsedOriginSerial:
    serial = serial_for(row, REGISTRY, "Serial Number", quantity)
    check_serial_matches(
        serial,
        project_number=None if serial.scheme is SerialScheme.CDM else row.required("GSID"),
        vintage_year=vintage,
    )
    return serial


def convert_issuance(row: Row) -> tuple[ImportedRecord, ...]:
    status = row.required("Credit Status")
    if status.casefold() != "issued":
        raise RowError(RejectionReason.UNKNOWN_STATUS, f"credit status {status!r} in an issuance export")
    quantity = row.quantity("Quantity")
    vintage = row.vintage("Vintage")
    serial = _serial(row, quantity, vintage)
    return (
        ImportedBatch(
            registry=REGISTRY,
            origin_batch_id=serial.batch_id if serial.batch_id is not None else serial.raw,
            origin_project_id=row.required("GSID"),
            vintage_year=vintage,
            vintage_start=row.optional_date("Monitoring Period Start"),
            vintage_end=row.optional_date("Monitoring Period End"),
            issued_quantity=quantity,
            buffer_quantity=None,
            issued_on=row.date("Issuance Date"),
            units=serial.unit_range(),
            source=row.source,
            project=project_facts(row, "Project Name", "Country", "Methodology", "Project Type"),
        ),
    )


def convert_retirement(row: Row) -> tuple[ImportedRecord, ...]:
    status = row.required("Credit Status")
    kind = _EVENT_KIND.get(status.casefold())
    if kind is None:
        raise RowError(RejectionReason.UNKNOWN_STATUS, f"credit status {status!r} in a retirement export")
    quantity = row.quantity("Quantity")
    vintage = row.vintage("Vintage")
    serial = _serial(row, quantity, vintage)
    # A retirement is a claim and needs its date; Gold Standard omits it for some cancellations.
    event_date = row.date("Retirement Date") if kind is BlockEventKind.RETIRED else row.optional_date("Retirement Date")
    return (
        ImportedBlockEvent(
            registry=REGISTRY,
            kind=kind,
            origin_project_id=row.required("GSID"),
            vintage_year=vintage,
            quantity=quantity,
            units=serial.unit_range(),
            beneficiary=row.get("Using Entity"),
            reason=row.get("Use Case"),
            details=row.get("Note"),
            event_date=event_date,
            source=row.source,
        ),
    )


_TRANSACTION_COLUMNS = ("Vintage", "Credit Status", "Quantity", "GSID", "Serial Number")

FILES: tuple[FileSpec, ...] = (
    FileSpec(
        REGISTRY,
        FileKind.PROJECTS,
        "projects.csv",
        ("GSID", "Project Name", "Country", "Methodology", "Project Type"),
        convert_project,
    ),
    FileSpec(
        REGISTRY,
        FileKind.ISSUANCES,
        "issuances.csv",
        (*_TRANSACTION_COLUMNS, "Issuance Date", "Monitoring Period Start", "Monitoring Period End"),
        convert_issuance,
    ),
    FileSpec(
        REGISTRY,
        FileKind.RETIREMENTS,
        "retirements.csv",
        (*_TRANSACTION_COLUMNS, "Retirement Date", "Using Entity", "Use Case", "Note"),
        convert_retirement,
    ),
)
