"""What the handlers answer: plain dataclasses, so the message bus can store them with an
idempotency key and give a replay the same answer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProjectRef:
    project_id: str


@dataclass(frozen=True)
class ReportRef:
    report_id: str


@dataclass(frozen=True)
class BatchRef:
    batch_id: str


@dataclass(frozen=True)
class ReversalRef:
    reversal_id: str
    project_id: str


@dataclass(frozen=True)
class ProgramRef:
    program_id: str


@dataclass(frozen=True)
class MethodologyRef:
    methodology_id: str


@dataclass(frozen=True)
class ImportedProject:
    project_id: str
    methodology_id: str
    created: bool
    methodology_created: bool


@dataclass(frozen=True)
class ImportedBatch:
    batch_id: str
    serial_start: str
    serial_end: str
