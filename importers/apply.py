"""Apply an ImportPlan to the platform: projects and batches through issuance, retirements and
cancellations through the registry, every record with its idempotency key, so running the same
import again changes nothing.

Rules:
* A batch whose project the projects file does not list bridges that project in from the batch
  row's own project columns; without a usable country the row is refused (PROJECT_NOT_IMPORTED).
* A retirement/cancellation goes to the imported batch that holds its origin units (same numbering
  scope); an export without batch serials (ACR, CAR, ART issuances) is matched by origin project and
  vintage year to a batch of this run with enough units left; otherwise the registry looks the range
  up among batches imported earlier and refuses it when none holds it (ORIGIN_BATCH_NOT_IMPORTED).
* A service refusal (DOUBLE_REGISTRATION, INSUFFICIENT_BALANCE, ...) rejects the whole row, reported
  with its file and line; the run goes on. Only UNAVAILABLE (a service is down) aborts the run.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from carbon.issuance.v1 import issuance_pb2, types_pb2
from carbon.registry.v1 import registry_pb2

from carbon_runtime.errors import DomainError, ErrorCode
from importers.model import (
    PROGRAM_OF,
    BlockEventKind,
    ImportedBatch,
    ImportedBlockEvent,
    ImportedProject,
    OriginRegistry,
    ProjectFacts,
    SourceRef,
    UnitRange,
)
from importers.plan import ImportPlan


class ImportSink(Protocol):
    """Where records go. Each call raises DomainError when the service refuses the record."""

    def import_project(self, request: issuance_pb2.ImportProjectRequest) -> issuance_pb2.ImportProjectResponse: ...

    def import_batch(self, request: issuance_pb2.ImportBatchRequest) -> issuance_pb2.ImportBatchResponse: ...

    def import_block_event(
        self, request: registry_pb2.ImportBlockEventRequest
    ) -> registry_pb2.ImportBlockEventResponse: ...


class ServiceUnavailableError(Exception):
    """A service could not be reached; the import stopped (re-running it resumes idempotently)."""


@dataclass(frozen=True, slots=True)
class ReportedRejection:
    file: str
    line: int
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class FileReport:
    registry: str
    file: str
    rows_read: int
    imported: int
    rejected: int
    reasons: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class ImportReport:
    files: tuple[FileReport, ...]
    rejections: tuple[ReportedRejection, ...]
    unrecognized_files: tuple[str, ...] = ()

    def table(self) -> str:
        lines = [f"{'registry':<14} {'file':<42} {'read':>6} {'imported':>8} {'rejected':>8}  reasons"]
        for f in self.files:
            reasons = ", ".join(f"{reason}={count}" for reason, count in f.reasons)
            lines.append(f"{f.registry:<14} {f.file:<42} {f.rows_read:>6} {f.imported:>8} {f.rejected:>8}  {reasons}")
        total_read = sum(f.rows_read for f in self.files)
        total_imported = sum(f.imported for f in self.files)
        total_rejected = sum(f.rejected for f in self.files)
        lines.append(f"{'TOTAL':<14} {'':<42} {total_read:>6} {total_imported:>8} {total_rejected:>8}")
        return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# What a new methodology is, guessed from the export's project type and methodology text. Used only
# when the program's reference data lacks the methodology; the first matching rule wins.

_CLASSES: tuple[tuple[tuple[str, ...], str, str, str, str], ...] = (
    (
        ("afforest", "reforest", "arr", "revegetat", "tree planting"),
        "REMOVAL",
        "NATURE",
        "FORESTRY_AND_LAND_USE",
        "AFFORESTATION_REFORESTATION",
    ),
    (("redd", "deforest", "jurisdiction", "trees", "fcpf"), "REDUCTION", "NATURE", "FORESTRY_AND_LAND_USE", "REDD"),
    (("forest", "afolu", "land use", "ifm"), "REMOVAL", "NATURE", "FORESTRY_AND_LAND_USE", "FOREST_MANAGEMENT"),
    (("wetland", "mangrove", "seagrass", "blue carbon"), "REMOVAL", "NATURE", "BLUE_CARBON", "BLUE_CARBON"),
    (
        ("soil", "grassland", "agricultur", "rice", "livestock"),
        "REDUCTION",
        "NATURE",
        "AGRICULTURE",
        "AGRICULTURAL_LAND_MANAGEMENT",
    ),
    (("biochar",), "REMOVAL", "TECHNOLOGY", "CARBON_DIOXIDE_REMOVAL", "BIOCHAR"),
    (
        ("direct air", "carbon capture", "ccs", "storage"),
        "REMOVAL",
        "TECHNOLOGY",
        "CARBON_DIOXIDE_REMOVAL",
        "DIRECT_AIR_CAPTURE",
    ),
    (
        ("cook", "stove", "domestic", "household", "water filter", "water purif"),
        "REDUCTION",
        "TECHNOLOGY",
        "HOUSEHOLD",
        "COOKSTOVES",
    ),
    (
        ("landfill", "waste", "wastewater", "methane", "mine", "coal mine", "digester", "organic"),
        "REDUCTION",
        "TECHNOLOGY",
        "WASTE",
        "LANDFILL_GAS",
    ),
    (("manure", "livestock"), "REDUCTION", "NATURE", "AGRICULTURE", "MANURE_MANAGEMENT"),
    (
        ("wind", "solar", "hydro", "renewable", "geothermal", "energy industries"),
        "REDUCTION",
        "TECHNOLOGY",
        "ENERGY_SUPPLY",
        "RENEWABLE_ELECTRICITY",
    ),
    (("biomass", "biogas", "fuel switch"), "REDUCTION", "TECHNOLOGY", "ENERGY_SUPPLY", "BIOMASS_ENERGY"),
    (("transport", "vehicle", "aviation"), "REDUCTION", "TECHNOLOGY", "TRANSPORT", "TRANSPORT_EFFICIENCY"),
)
_DEFAULT_CLASS = ("REDUCTION", "TECHNOLOGY", "ENERGY_DEMAND", "BOILER_EFFICIENCY")


def classify(project_type: str | None, methodology: str | None) -> tuple[str, str, str, str]:
    """(credit type, basis, sector, family) of a methodology the reference data does not have."""
    text = f" {project_type or ''} {methodology or ''} ".casefold()
    for needles, credit_type, basis, sector, family in _CLASSES:
        if any(needle in text for needle in needles):
            return credit_type, basis, sector, family
    return _DEFAULT_CLASS


# ----------------------------------------------------------------------------------------------


@dataclass
class _ImportedBatch:
    batch_id: str
    registry: OriginRegistry
    origin_project_id: str
    vintage_year: int | None
    units: UnitRange | None
    remaining_t: int


@dataclass
class _Run:
    sink: ImportSink
    projects: dict[tuple[OriginRegistry, str], str] = field(default_factory=dict)
    batches: list[_ImportedBatch] = field(default_factory=list)
    refused: dict[tuple[str, int], ReportedRejection] = field(default_factory=dict)


def _project_key(registry: OriginRegistry, origin_project_id: str) -> str:
    material = f"{registry.value}|project|{origin_project_id}"
    return "imp_" + hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


def _project_request(
    registry: OriginRegistry,
    origin_project_id: str,
    name: str,
    country: str,
    methodology: str | None,
    project_type: str | None,
) -> issuance_pb2.ImportProjectRequest:
    credit_type, basis, sector, family = classify(project_type, methodology)
    return issuance_pb2.ImportProjectRequest(
        idempotency_key=_project_key(registry, origin_project_id),
        origin_registry=registry.value,
        program_id=PROGRAM_OF[registry].value,
        origin_project_id=origin_project_id,
        name=name,
        country=country,
        methodology_code=methodology or "",
        credit_type=types_pb2.CreditType.Value(f"CREDIT_TYPE_{credit_type}"),
        basis=types_pb2.CreditBasis.Value(f"CREDIT_BASIS_{basis}"),
        sector=sector,
        family=family,
        project_type=project_type or "",
    )


class _RefusedError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _apply_project(run: _Run, project: ImportedProject) -> None:
    request = _project_request(
        project.registry,
        project.origin_project_id,
        project.name,
        project.country_code,
        project.methodology,
        project.project_type,
    )
    run.projects[(project.registry, project.origin_project_id)] = run.sink.import_project(request).project_id


def _ensure_project(run: _Run, registry: OriginRegistry, origin_project_id: str, facts: ProjectFacts | None) -> str:
    known = run.projects.get((registry, origin_project_id))
    if known is not None:
        return known
    if facts is None or facts.country_code is None:
        raise _RefusedError(
            "PROJECT_NOT_IMPORTED",
            f"project {origin_project_id} is not in the projects file and the row names no known host country",
        )
    request = _project_request(
        registry,
        origin_project_id,
        facts.name or origin_project_id,
        facts.country_code,
        facts.methodology,
        facts.project_type,
    )
    project_id = run.sink.import_project(request).project_id
    run.projects[(registry, origin_project_id)] = project_id
    return project_id


def _vintage(batch: ImportedBatch) -> tuple[date, date]:
    year = batch.vintage_year
    start = batch.vintage_start or (date(year, 1, 1) if year else None)
    end = batch.vintage_end or (date(year, 12, 31) if year else None)
    if start is None or end is None:
        raise _RefusedError("VINTAGE_MISSING", "the row states neither a vintage year nor vintage dates")
    return start, end


def _apply_batch(run: _Run, key: str, batch: ImportedBatch) -> None:
    project_id = _ensure_project(run, batch.registry, batch.origin_project_id, batch.project)
    start, end = _vintage(batch)
    units = batch.units
    request = issuance_pb2.ImportBatchRequest(
        idempotency_key=key,
        project_id=project_id,
        origin_registry=batch.registry.value,
        origin_batch_id=batch.origin_batch_id or "",
        vintage_start=start.isoformat(),
        vintage_end=end.isoformat(),
        issued_quantity_t=batch.issued_quantity,
        buffer_quantity_t=batch.buffer_quantity or 0,
        issued_on=batch.issued_on.isoformat() if batch.issued_on else "",
        numbering_scope=units.numbering_scope if units else "",
        origin_unit_start=units.unit_start if units else 0,
        origin_unit_end=units.unit_end if units else 0,
        origin_serial_start=units.serial_start if units else "",
        origin_serial_end=units.serial_end if units else "",
        origin_serial=units.origin_serial if units else "",
        country=units.country_code or "" if units else "",
    )
    response = run.sink.import_batch(request)
    held = batch.issued_quantity - (batch.buffer_quantity or 0)
    run.batches.append(
        _ImportedBatch(
            response.batch_id,
            batch.registry,
            batch.origin_project_id,
            batch.vintage_year or start.year,
            units,
            held,
        )
    )


def _target_batch(run: _Run, event: ImportedBlockEvent) -> _ImportedBatch | None:
    units = event.units
    if units is not None:
        for candidate in run.batches:
            if (
                candidate.registry is event.registry
                and candidate.units is not None
                and candidate.units.numbering_scope == units.numbering_scope
                and candidate.units.unit_start <= units.unit_start
                and units.unit_end <= candidate.units.unit_end
            ):
                return candidate
    for candidate in run.batches:
        if (
            candidate.registry is event.registry
            and candidate.units is None
            and candidate.origin_project_id == event.origin_project_id
            and event.vintage_year is not None
            and candidate.vintage_year == event.vintage_year
            and candidate.remaining_t >= event.quantity
        ):
            return candidate
    return None


def _apply_event(run: _Run, key: str, event: ImportedBlockEvent) -> None:
    if event.kind is BlockEventKind.HELD:
        return  # held units stay held in the import account
    target = _target_batch(run, event)
    if target is None and event.units is None:
        raise _RefusedError(
            "ORIGIN_BATCH_NOT_IMPORTED",
            f"no imported batch of project {event.origin_project_id} vintage {event.vintage_year} holds "
            f"{event.quantity} t",
        )
    units = event.units
    request = registry_pb2.ImportBlockEventRequest(
        idempotency_key=key,
        origin_registry=event.registry.value,
        kind=(
            registry_pb2.IMPORTED_EVENT_KIND_RETIRED
            if event.kind is BlockEventKind.RETIRED
            else registry_pb2.IMPORTED_EVENT_KIND_CANCELLED
        ),
        batch_id=target.batch_id if target is not None else "",
        quantity_t=event.quantity,
        beneficiary=(event.beneficiary or "")[:500],
        reason=(event.reason or "")[:500],
        details=event.details or "",
        event_date=event.event_date.isoformat() if event.event_date else "",
    )
    if units is not None:
        request.origin_units.CopyFrom(
            registry_pb2.OriginUnitRange(
                numbering_scope=units.numbering_scope,
                unit_start=units.unit_start,
                unit_end=units.unit_end,
                serial_start=units.serial_start,
                serial_end=units.serial_end,
                origin_serial=units.origin_serial,
            )
        )
    run.sink.import_block_event(request)
    if target is not None:
        target.remaining_t -= event.quantity


def apply_plan(plan: ImportPlan, sink: ImportSink) -> ImportReport:
    """Apply every planned record in plan order. Raises ServiceUnavailableError when a service is down."""
    run = _Run(sink)
    for planned in plan.records:
        record = planned.record
        source: SourceRef = record.source
        where = (source.file, source.line)
        if where in run.refused:
            continue  # the row's first record was refused; the row is rejected as a whole
        try:
            if isinstance(record, ImportedProject):
                _apply_project(run, record)
            elif isinstance(record, ImportedBatch):
                _apply_batch(run, planned.key, record)
            else:
                _apply_event(run, planned.key, record)
        except _RefusedError as refused:
            run.refused[where] = ReportedRejection(source.file, source.line, refused.reason, refused.message)
        except DomainError as error:
            if error.code is ErrorCode.UNAVAILABLE:
                raise ServiceUnavailableError(error.message) from error
            run.refused[where] = ReportedRejection(source.file, source.line, error.reason, error.message)
    return _report(plan, run.refused.values())


def plan_report(plan: ImportPlan) -> ImportReport:
    """What a dry run reports: the rows read and the rows the readers refused, before any service is
    asked (a service may still refuse rows: DOUBLE_REGISTRATION, ORIGIN_BATCH_NOT_IMPORTED, ...)."""
    return _report(plan, ())


def _report(plan: ImportPlan, refused: Iterable[ReportedRejection]) -> ImportReport:
    parse = [ReportedRejection(r.file, r.line, r.reason.value, r.message) for r in plan.rejections]
    service = sorted(refused, key=lambda r: (r.file, r.line))
    by_file: dict[str, Counter[str]] = {}
    for rejection in [*parse, *service]:
        by_file.setdefault(rejection.file, Counter())[rejection.reason] += 1
    files = []
    for summary in plan.files:
        reasons = by_file.get(summary.file, Counter())
        rejected = sum(reasons.values())
        files.append(
            FileReport(
                registry=summary.registry.value,
                file=summary.file,
                rows_read=summary.rows_read,
                imported=summary.rows_read - rejected,
                rejected=rejected,
                reasons=tuple(sorted(reasons.items(), key=lambda item: (-item[1], item[0]))),
            )
        )
    ordered = sorted([*parse, *service], key=lambda r: (r.file, r.line))
    return ImportReport(tuple(files), tuple(ordered), plan.unrecognized_files)
