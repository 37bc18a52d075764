"""The issuance unit of work in memory, for handler unit tests (no database).

It behaves like adapters/unit_of_work.py as the handlers see it: the repositories hand out copies of
what is stored (a change counts only once saved), track every aggregate they hand out or add (so its
events reach the bus), and everything stored is rolled back when the transaction fails. The stores
are plain dicts on the unit of work (`state_attributes`), which FakeUnitOfWork snapshots per
transaction; the repositories are thin views over them.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from carbon_runtime.errors import not_found
from services.issuance.domain.duplicates import OtherRegistration, RegistrationStatus
from services.issuance.domain.monitoring import MonitoringReport, MonitoringReportStatus
from services.issuance.domain.project import Project, ProjectStatus
from services.issuance.domain.reference_data import METHODOLOGIES, PROGRAMS, Methodology
from services.issuance.service.ports import (
    BatchRecord,
    ImportedOrigin,
    LoadedReport,
    ProgramSettings,
    ReversalRecord,
)
from tests.support.fake_uow import FakeUnitOfWork

A = TypeVar("A", Project, MonitoringReport)
_TERMINAL = (ProjectStatus.REJECTED, ProjectStatus.WITHDRAWN)


def _stored(aggregate: A) -> A:
    """What the store keeps: a copy without the events raised so far (they belong to the transaction)."""
    kept = copy.deepcopy(aggregate)
    kept.events = []
    return kept


class _Repository:
    def __init__(self, uow: FakeIssuanceUnitOfWork) -> None:
        self.uow = uow

    def _loaded(self, aggregate: A) -> A:
        loaded = copy.deepcopy(aggregate)
        self.uow.track(loaded)
        return loaded


class FakeReferenceData(_Repository):
    def get_program(self, program_id: str) -> ProgramSettings:
        if program_id not in self.uow.program_rows:
            raise not_found("PROGRAM_NOT_FOUND", f"no program with id {program_id!r}")
        return copy.deepcopy(self.uow.program_rows[program_id])

    def get_methodology(self, methodology_id: str) -> Methodology:
        if methodology_id not in self.uow.methodology_rows:
            raise not_found("METHODOLOGY_NOT_FOUND", f"no methodology with id {methodology_id!r}")
        return self.uow.methodology_rows[methodology_id]

    def program_exists(self, program_id: str) -> bool:
        return program_id in self.uow.program_rows

    def methodology_exists(self, methodology_id: str) -> bool:
        return methodology_id in self.uow.methodology_rows

    def save_program(self, settings: ProgramSettings, *, new: bool) -> None:
        self.uow.program_rows[settings.program.program_id] = copy.deepcopy(settings)

    def save_methodology(self, methodology: Methodology, *, new: bool) -> None:
        self.uow.methodology_rows[methodology.methodology_id] = methodology

    def methodology_in_use(self, methodology_id: str) -> bool:
        return any(p.methodology.methodology_id == methodology_id for p in self.uow.project_rows.values())

    def methodologies_of(self, program_id: str) -> Sequence[Methodology]:
        return sorted(
            (m for m in self.uow.methodology_rows.values() if m.program_id == program_id),
            key=lambda m: m.methodology_id,
        )


class FakeProjects(_Repository):
    def get_project(self, project_id: str, *, for_update: bool = False) -> Project:
        if project_id not in self.uow.project_rows:
            raise not_found("PROJECT_NOT_FOUND", f"no project with id {project_id!r}")
        return self._loaded(self.uow.project_rows[project_id])

    def add_project(self, project: Project, created_by: str) -> None:
        self.uow.track(project)
        self.uow.project_rows[project.project_id] = _stored(project)

    def save_project(self, project: Project, comment: str | None = None) -> None:
        self.uow.project_rows[project.project_id] = _stored(project)

    def set_registered_on(self, project_id: str, registered_on: date) -> None:
        self.uow.registered[project_id] = registered_on

    def registered_on(self, project_id: str) -> date | None:
        return self.uow.registered.get(project_id)

    def other_registrations(self, project_id: str) -> Sequence[OtherRegistration]:
        return [
            OtherRegistration(
                registration_id=p.project_id,
                program_id=p.program.program_id,
                project_id=p.project_id,
                origin_project_id=p.origin_project_id,
                host_country=p.host_country,
                methodology_family=p.methodology.family,
                crediting_period=p.crediting_period,
                # A rejected or withdrawn project issues nothing more, like a cancelled registration.
                status=RegistrationStatus.CANCELLED if p.status in _TERMINAL else RegistrationStatus.ACTIVE,
            )
            for p in self.uow.project_rows.values()
            if p.project_id != project_id
        ]

    def project_by_origin(self, program_id: str, origin_project_id: str) -> str | None:
        for p in self.uow.project_rows.values():
            if p.program.program_id == program_id and p.origin_project_id == origin_project_id:
                return p.project_id
        return None


class FakeReports(_Repository):
    def get_report(self, report_id: str, *, for_update: bool = False) -> LoadedReport:
        if report_id not in self.uow.report_rows:
            raise not_found("MONITORING_REPORT_NOT_FOUND", f"no monitoring report with id {report_id!r}")
        stored = self.uow.report_rows[report_id]
        return LoadedReport(self._loaded(stored.report), stored.figures)

    def reports_of(self, project_id: str) -> Sequence[MonitoringReport]:
        reports = [r.report for r in self.uow.report_rows.values() if r.report.project_id == project_id]
        return [self._loaded(r) for r in sorted(reports, key=lambda r: r.period.start)]

    def add_report(self, loaded: LoadedReport) -> None:
        self.uow.track(loaded.report)
        self.uow.report_rows[loaded.report.report_id] = LoadedReport(_stored(loaded.report), loaded.figures)

    def save_verification(self, report: MonitoringReport) -> None:
        figures = self.uow.report_rows[report.report_id].figures
        self.uow.report_rows[report.report_id] = LoadedReport(_stored(report), figures)

    def mark_report_issued(self, report_id: str) -> None:
        self.uow.report_rows[report_id].report.status = MonitoringReportStatus.ISSUED


class FakeBatches(_Repository):
    def batch_for_report(self, report_id: str) -> BatchRecord | None:
        found = [b for b in self.uow.batch_rows.values() if b.monitoring_report_id == report_id]
        return copy.deepcopy(found[0]) if found else None

    def get_batch(self, batch_id: str) -> BatchRecord | None:
        return copy.deepcopy(self.uow.batch_rows.get(batch_id))

    def add_pending_batch(self, record: BatchRecord) -> None:
        self.uow.batch_rows[record.batch_id] = copy.deepcopy(record)

    def mark_batch_issued(self, batch_id: str, serial_start: str, serial_end: str, at: datetime) -> None:
        self.uow.batch_rows[batch_id] = dataclasses.replace(
            self.uow.batch_rows[batch_id],
            state="ISSUED",
            serial_start=serial_start,
            serial_end=serial_end,
            issued_at=at,
        )

    def buffer_issued_t(self, program_id: str) -> int:
        return sum(
            b.order.buffer_quantity_t
            for b in self.uow.batch_rows.values()
            if b.order.program_id == program_id and b.state == "ISSUED"
        )

    def imported_batch(self, import_key: str) -> tuple[str, str] | None:
        origin = self.uow.imported_rows.get(import_key)
        return (origin[0], origin[1].request_hash) if origin is not None else None

    def add_imported_batch(self, record: BatchRecord, origin: ImportedOrigin, at: datetime) -> None:
        self.uow.batch_rows[record.batch_id] = copy.deepcopy(record)
        self.uow.imported_rows[origin.import_key] = (record.batch_id, origin)


class FakeReversals(_Repository):
    def get_reversal(self, reversal_id: str) -> ReversalRecord | None:
        return copy.deepcopy(self.uow.reversal_rows.get(reversal_id))

    def buffer_cancelled_t(self, program_id: str) -> int:
        return sum(r.buffer_cancellation_t for r in self.uow.reversal_rows.values() if r.program_id == program_id)

    def add_reversal(self, record: ReversalRecord) -> None:
        self.uow.reversal_rows[record.reversal_id] = copy.deepcopy(record)

    def complete_reversal(self, reversal_id: str, cancellation_id: str | None, at: datetime) -> None:
        self.uow.reversal_rows[reversal_id] = dataclasses.replace(
            self.uow.reversal_rows[reversal_id],
            state="RECORDED",
            registry_cancellation_id=cancellation_id,
            completed_at=at,
        )


class FakeIssuanceUnitOfWork(FakeUnitOfWork):
    state_attributes = (
        "program_rows",
        "methodology_rows",
        "project_rows",
        "registered",
        "report_rows",
        "batch_rows",
        "imported_rows",
        "reversal_rows",
    )

    def __init__(self) -> None:
        super().__init__()
        # Seeded with the reference data the migration inserts.
        self.program_rows: dict[str, ProgramSettings] = {p.program_id: ProgramSettings(p) for p in PROGRAMS}
        self.methodology_rows: dict[str, Methodology] = {m.methodology_id: m for m in METHODOLOGIES}
        self.project_rows: dict[str, Project] = {}
        self.registered: dict[str, date] = {}
        self.report_rows: dict[str, LoadedReport] = {}
        self.batch_rows: dict[str, BatchRecord] = {}
        self.imported_rows: dict[str, tuple[str, ImportedOrigin]] = {}
        self.reversal_rows: dict[str, ReversalRecord] = {}
        self.reference = FakeReferenceData(self)
        self.projects = FakeProjects(self)
        self.reports = FakeReports(self)
        self.batches = FakeBatches(self)
        self.reversals = FakeReversals(self)

    def published(self) -> list[str]:
        """The proto event names of the committed outbox messages, in order."""
        return [m.payload.DESCRIPTOR.name for m in self.messages]

    def events_of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]
