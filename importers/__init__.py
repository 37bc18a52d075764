"""Importers for public registry exports (Verra, Gold Standard, ACR, CAR, ART TREES).

Pure Python (stdlib + `carbon_runtime.errors`). Entry point: `build_plan(directory)`.
"""

from importers.model import (
    BlockEventKind,
    FileKind,
    ImportedBatch,
    ImportedBlockEvent,
    ImportedProject,
    OriginRegistry,
    ProgramId,
    Rejection,
    RejectionReason,
    RowOutcome,
    SourceRef,
    UnitRange,
)
from importers.plan import FileSummary, ImportPlan, PlannedRecord, build_plan, idempotency_key, plan_outcomes
from importers.serials import ParsedOriginSerial, SerialError, SerialScheme, check_quantity, parse_serial

__all__ = [
    "BlockEventKind",
    "FileKind",
    "FileSummary",
    "ImportPlan",
    "ImportedBatch",
    "ImportedBlockEvent",
    "ImportedProject",
    "OriginRegistry",
    "ParsedOriginSerial",
    "PlannedRecord",
    "ProgramId",
    "Rejection",
    "RejectionReason",
    "RowOutcome",
    "SerialError",
    "SerialScheme",
    "SourceRef",
    "UnitRange",
    "build_plan",
    "check_quantity",
    "idempotency_key",
    "parse_serial",
    "plan_outcomes",
]
