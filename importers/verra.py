"""Verra (VCS) exports: projects.csv and transactions.csv.

Verra's transaction table has one row per serial block in its current state: a block without a
retirement/cancellation date is issued and active; one with a date has been taken out of
circulation. The export does not say whether that was a retirement or a cancellation, so such
blocks are imported as RETIRED (Verra's reason column holds retirement reasons only).
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

REGISTRY = OriginRegistry.VERRA
FOLDER = "verra"


def convert_project(row: Row) -> tuple[ImportedRecord, ...]:
    return (
        ImportedProject(
            registry=REGISTRY,
            origin_project_id=row.required("ID"),
            name=row.required("Name"),
            country_code=row.country("Country/Area"),
            methodology=row.get("Methodology"),
            project_type=row.get("Project Type"),
            program=PROGRAM_OF[REGISTRY],
            source=row.source,
        ),
    )


def convert_transaction(row: Row) -> tuple[ImportedRecord, ...]:
    project_id = row.required("ID")
    quantity = row.quantity("Quantity Issued")
    vintage_start = row.date("Vintage Start")
    vintage_end = row.date("Vintage End")
    serial = serial_for(row, REGISTRY, "Serial Number", quantity)
    check_serial_matches(serial, project_number=project_id)
    if (serial.vintage_start, serial.vintage_end) != (vintage_start, vintage_end):
        raise RowError(
            RejectionReason.SERIAL_ROW_MISMATCH,
            f"vintage {serial.vintage_start}..{serial.vintage_end} in serial vs {vintage_start}..{vintage_end} in row",
        )
    units = serial.unit_range()
    batch = ImportedBatch(
        registry=REGISTRY,
        origin_batch_id=serial.batch_id,
        origin_project_id=project_id,
        vintage_year=None,
        vintage_start=vintage_start,
        vintage_end=vintage_end,
        issued_quantity=quantity,
        buffer_quantity=None,
        issued_on=row.date("Issuance Date"),
        units=units,
        source=row.source,
        project=project_facts(row, "Name", "Country/Area", "Methodology", "Project Type"),
    )
    retired_on = row.optional_date("Retirement/Cancellation Date")
    if retired_on is None:
        return (batch,)
    event = ImportedBlockEvent(
        registry=REGISTRY,
        kind=BlockEventKind.RETIRED,
        origin_project_id=project_id,
        vintage_year=None,
        quantity=quantity,
        units=units,
        beneficiary=row.get("Retirement Beneficiary"),
        reason=row.get("Retirement Reason"),
        details=row.get("Retirement Details"),
        event_date=retired_on,
        source=row.source,
    )
    return (batch, event)


FILES: tuple[FileSpec, ...] = (
    FileSpec(
        REGISTRY,
        FileKind.PROJECTS,
        "projects.csv",
        ("ID", "Name", "Country/Area", "Methodology", "Project Type"),
        convert_project,
    ),
    FileSpec(
        REGISTRY,
        FileKind.TRANSACTIONS,
        "transactions.csv",
        (
            "Issuance Date",
            "Vintage Start",
            "Vintage End",
            "ID",
            "Quantity Issued",
            "Serial Number",
            "Retirement/Cancellation Date",
            "Retirement Beneficiary",
            "Retirement Reason",
            "Retirement Details",
        ),
        convert_transaction,
    ),
)
