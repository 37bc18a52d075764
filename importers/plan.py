"""Import plan: every row of every recognised export in a directory, read, checked and keyed.

Nothing is written anywhere; the plan is what an import would do. Rules applied across rows:

* Double registration: two issued blocks claiming an overlapping unit range in the same numbering
  scope (same registry serial space), or two retirements/cancellations of overlapping ranges, are
  impossible in a sound registry. The first row (in file order, then line order) is kept, the later
  one is rejected as DOUBLE_REGISTRATION naming the row it collides with. A row that yields several
  records (a retired Verra block) is kept or rejected as a whole.
* Idempotency: each record gets a key from (registry, file kind, record type, origin serial range
  or, without serials, the row's identifying values), never from line numbers, so the same files
  (or a re-export with rows added or reordered) give the same keys. Two rows with the same key are
  the same fact stated twice: the later is rejected as DUPLICATE_RECORD.
"""

from __future__ import annotations

import bisect
import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from importers import acr, art, car, gold_standard, verra
from importers.model import (
    FileKind,
    ImportedBatch,
    ImportedBlockEvent,
    ImportedProject,
    ImportedRecord,
    OriginRegistry,
    Rejection,
    RejectionReason,
    RowOutcome,
    SourceRef,
    UnitRange,
)
from importers.rows import FileSpec, header_key, header_of

# Folder of each registry under an export root, and the files read from it, in reading order.
REGISTRY_FOLDERS: tuple[tuple[str, tuple[FileSpec, ...]], ...] = (
    (verra.FOLDER, verra.FILES),
    (gold_standard.FOLDER, gold_standard.FILES),
    (acr.FOLDER, acr.FILES),
    (car.FOLDER, car.FILES),
    (art.FOLDER, art.FILES),
)


@dataclass(frozen=True, slots=True)
class PlannedRecord:
    key: str
    file_kind: FileKind
    record: ImportedRecord


@dataclass(frozen=True, slots=True)
class FileSummary:
    registry: OriginRegistry
    file: str
    kind: FileKind
    rows_read: int
    imported: int
    rejected: int
    rejection_reasons: tuple[tuple[RejectionReason, int], ...]


@dataclass(frozen=True, slots=True)
class ImportPlan:
    records: tuple[PlannedRecord, ...]
    rejections: tuple[Rejection, ...]
    files: tuple[FileSummary, ...]
    unrecognized_files: tuple[str, ...] = field(default=())

    @property
    def projects(self) -> tuple[ImportedProject, ...]:
        return tuple(p.record for p in self.records if isinstance(p.record, ImportedProject))

    @property
    def batches(self) -> tuple[ImportedBatch, ...]:
        return tuple(p.record for p in self.records if isinstance(p.record, ImportedBatch))

    @property
    def block_events(self) -> tuple[ImportedBlockEvent, ...]:
        return tuple(p.record for p in self.records if isinstance(p.record, ImportedBlockEvent))

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.records)

    def summary_table(self) -> str:
        lines = [f"{'registry':<14} {'file':<42} {'read':>6} {'imported':>8} {'rejected':>8}  reasons"]
        for s in self.files:
            reasons = ", ".join(f"{reason.value}={count}" for reason, count in s.rejection_reasons)
            counts = f"{s.rows_read:>6} {s.imported:>8} {s.rejected:>8}"
            lines.append(f"{s.registry.value:<14} {s.file:<42} {counts}  {reasons}")
        return "\n".join(lines)


def _identity(record: ImportedRecord) -> str:
    if isinstance(record, ImportedProject):
        return f"project|{record.origin_project_id}"
    kind = "batch" if isinstance(record, ImportedBatch) else f"event:{record.kind.value}"
    if record.units is not None:
        return f"{kind}|{record.units.numbering_scope}|{record.units.unit_start}-{record.units.unit_end}"
    if isinstance(record, ImportedBatch):
        values: Sequence[object] = (
            record.origin_project_id,
            record.vintage_year,
            record.vintage_start,
            record.vintage_end,
            record.issued_on,
            record.issued_quantity,
        )
    else:
        values = (record.origin_project_id, record.vintage_year, record.event_date, record.quantity)
    return f"{kind}|" + "|".join("" if v is None else str(v) for v in values)


def idempotency_key(registry: OriginRegistry, file_kind: FileKind, record: ImportedRecord) -> str:
    material = f"{registry.value}|{file_kind.value}|{_identity(record)}"
    return "imp_" + hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


class _RangeIndex:
    """Non-overlapping accepted ranges per numbering scope, sorted by start."""

    def __init__(self) -> None:
        self._starts: dict[str, list[int]] = {}
        self._entries: dict[str, list[tuple[int, int, SourceRef]]] = {}

    def conflict(self, units: UnitRange) -> SourceRef | None:
        starts = self._starts.get(units.numbering_scope, [])
        entries = self._entries.get(units.numbering_scope, [])
        at = bisect.bisect_right(starts, units.unit_start)
        if at > 0 and entries[at - 1][1] >= units.unit_start:
            return entries[at - 1][2]
        if at < len(entries) and entries[at][0] <= units.unit_end:
            return entries[at][2]
        return None

    def add(self, units: UnitRange, source: SourceRef) -> None:
        starts = self._starts.setdefault(units.numbering_scope, [])
        entries = self._entries.setdefault(units.numbering_scope, [])
        at = bisect.bisect_right(starts, units.unit_start)
        starts.insert(at, units.unit_start)
        entries.insert(at, (units.unit_start, units.unit_end, source))


def _where(source: SourceRef) -> str:
    return f"{source.file}:{source.line}"


def plan_outcomes(outcomes: Iterable[RowOutcome], unrecognized_files: Sequence[str] = ()) -> ImportPlan:
    """Apply the cross-row rules to row outcomes (in the given order) and key the survivors."""
    issued = _RangeIndex()
    taken_out = _RangeIndex()
    seen_keys: dict[str, SourceRef] = {}
    planned: list[PlannedRecord] = []
    final: list[RowOutcome] = []
    for outcome in outcomes:
        if outcome.rejection is not None:
            final.append(outcome)
            continue
        rejection = _cross_row_rejection(outcome, issued, taken_out, seen_keys)
        if rejection is not None:
            final.append(RowOutcome(outcome.registry, outcome.kind, outcome.source, (), rejection))
            continue
        for record in outcome.records:
            key = idempotency_key(outcome.registry, outcome.kind, record)
            seen_keys[key] = outcome.source
            planned.append(PlannedRecord(key, outcome.kind, record))
            if isinstance(record, ImportedBatch) and record.units is not None:
                issued.add(record.units, outcome.source)
            elif isinstance(record, ImportedBlockEvent) and record.units is not None:
                taken_out.add(record.units, outcome.source)
        final.append(outcome)
    return ImportPlan(
        records=tuple(planned),
        rejections=tuple(o.rejection for o in final if o.rejection is not None),
        files=_summaries(final),
        unrecognized_files=tuple(unrecognized_files),
    )


def _cross_row_rejection(
    outcome: RowOutcome,
    issued: _RangeIndex,
    taken_out: _RangeIndex,
    seen_keys: dict[str, SourceRef],
) -> Rejection | None:
    def reject(reason: RejectionReason, message: str) -> Rejection:
        return Rejection(outcome.source.file, outcome.source.line, reason, message)

    for record in outcome.records:
        key = idempotency_key(outcome.registry, outcome.kind, record)
        if key in seen_keys:
            return reject(
                RejectionReason.DUPLICATE_RECORD,
                f"same {type(record).__name__} as {_where(seen_keys[key])} (key {key})",
            )
        if isinstance(record, ImportedProject) or record.units is None:
            continue
        index, claim = (issued, "issued") if isinstance(record, ImportedBatch) else (taken_out, "retired/cancelled")
        other = index.conflict(record.units)
        if other is not None:
            return reject(
                RejectionReason.DOUBLE_REGISTRATION,
                f"units {record.units.unit_start}-{record.units.unit_end} of {record.units.numbering_scope} "
                f"overlap units already {claim} by {_where(other)}",
            )
    return None


def _summaries(outcomes: Sequence[RowOutcome]) -> tuple[FileSummary, ...]:
    order: list[tuple[OriginRegistry, str, FileKind]] = []
    counts: dict[str, Counter[RejectionReason]] = {}
    read: Counter[str] = Counter()
    imported: Counter[str] = Counter()
    for outcome in outcomes:
        name = outcome.source.file
        if name not in counts:
            order.append((outcome.registry, name, outcome.kind))
            counts[name] = Counter()
        read[name] += 1
        if outcome.rejection is None:
            imported[name] += 1
        else:
            counts[name][outcome.rejection.reason] += 1
    return tuple(
        FileSummary(
            registry=registry,
            file=name,
            kind=kind,
            rows_read=read[name],
            imported=imported[name],
            rejected=read[name] - imported[name],
            rejection_reasons=tuple(sorted(counts[name].items(), key=lambda item: (-item[1], item[0]))),
        )
        for registry, name, kind in order
    )


def read_directory(root: Path) -> tuple[list[RowOutcome], list[str]]:
    """Row outcomes of every recognised file under `root` (fixed order), and the CSVs not read."""
    outcomes: list[RowOutcome] = []
    recognised: set[Path] = set()
    for folder, specs in REGISTRY_FOLDERS:
        for spec in specs:
            path = root / folder / spec.file_name
            if not path.is_file():
                continue
            recognised.add(path.resolve())
            outcomes.extend(spec.read(path, f"{folder}/{spec.file_name}"))
    unrecognized = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.csv") if p.resolve() not in recognised)
    return outcomes, unrecognized


def build_plan(root: Path | str) -> ImportPlan:
    """Plan the import of all registry exports under `root` (`<root>/verra/transactions.csv`, ...)."""
    outcomes, unrecognized = read_directory(Path(root))
    return plan_outcomes(outcomes, unrecognized)


def _spec_for(name: str, text: str) -> tuple[str, FileSpec] | None:
    """The reader of an uploaded file: by its name when it names a registry folder (or alias) and a
    file ("verra/transactions.csv", "gold-standard-issuances.csv"), else by its header: the spec whose
    required columns are all present, the most specific (most required columns) first."""
    folded = name.casefold().replace("\\", "/")
    aliases = {
        "verra": ("verra", "vcs"),
        "gold-standard": ("gold-standard", "gold_standard", "goldstandard", "gs"),
        "american-carbon-registry": ("american-carbon-registry", "acr"),
        "climate-action-reserve": ("climate-action-reserve", "car"),
        "art-trees": ("art-trees", "art"),
    }
    header = set(header_of(text))
    candidates: list[tuple[int, int, str, FileSpec]] = []
    for folder, specs in REGISTRY_FOLDERS:
        named = any(alias in folded.replace("_", "-") for alias in aliases[folder])
        for spec in specs:
            if all(header_key(c) in header for c in spec.required_columns):
                stem = spec.file_name.removesuffix(".csv")
                score = (2 if named else 0) + (1 if stem in folded else 0)
                candidates.append((score, len(spec.required_columns), folder, spec))
    if not candidates:
        return None
    candidates.sort(key=lambda c: (-c[0], -c[1]))
    _, _, folder, spec = candidates[0]
    return folder, spec


def build_plan_from_files(files: Sequence[tuple[str, str]]) -> ImportPlan:
    """Plan the import of uploaded (name, CSV text) files, each assigned to its registry and file
    kind by name or header, in the same order a directory import reads them."""
    order = {
        (folder, spec.file_name): i
        for i, (folder, spec) in enumerate((folder, spec) for folder, specs in REGISTRY_FOLDERS for spec in specs)
    }
    recognised: list[tuple[int, str, str, FileSpec]] = []
    unrecognized: list[str] = []
    for name, text in files:
        found = _spec_for(name, text)
        if found is None:
            unrecognized.append(name)
            continue
        folder, spec = found
        recognised.append((order[(folder, spec.file_name)], name, text, spec))
    outcomes: list[RowOutcome] = []
    for _, name, text, spec in sorted(recognised, key=lambda item: item[0]):
        outcomes.extend(spec.read_text(text, name))
    return plan_outcomes(outcomes, sorted(unrecognized))
