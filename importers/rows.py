"""CSV reading shared by the registry readers.

Reads with the `csv` module (quoted newlines, quoted commas), records the physical line where each
record starts, and turns any `RowError` raised while converting a row into a `Rejection`. Cell
parsers accept the spellings found in real exports: thousands separators ("1,454,054"), Excel's
"550369.0", ISO dates and timestamps, and US month/day/year dates with or without a time.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from importers.countries import country_code
from importers.model import (
    BlockEventKind,
    FileKind,
    ImportedBlockEvent,
    ImportedRecord,
    OriginRegistry,
    ProjectFacts,
    Rejection,
    RejectionReason,
    RowOutcome,
    SourceRef,
)
from importers.serials import ParsedOriginSerial, SerialError, check_quantity, parse_serial


class RowError(Exception):
    """Raised by a row converter; becomes the row's Rejection. Never escapes a reader."""

    def __init__(self, reason: RejectionReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _header_key(name: str) -> str:
    # "Status Effective  (GMT)" (two spaces) and "Total Number of Credits Registered " exist.
    return re.sub(r"\s+", " ", name).strip().casefold()


@dataclass(frozen=True, slots=True)
class Row:
    source: SourceRef
    cells: tuple[str, ...]
    index: dict[str, int]

    def get(self, column: str) -> str | None:
        """The stripped cell, or None when blank."""
        position = self.index.get(_header_key(column))
        if position is None:
            raise RowError(RejectionReason.MISSING_COLUMN, f"file lacks column {column!r}")
        value = self.cells[position].strip() if position < len(self.cells) else ""
        return value or None

    def required(self, column: str) -> str:
        value = self.get(column)
        if value is None:
            raise RowError(RejectionReason.MISSING_FIELD, f"column {column!r} is blank")
        return value

    def quantity(self, column: str, *, allow_zero: bool = False) -> int:
        value = parse_quantity(self.required(column), column)
        if value == 0 and not allow_zero:
            raise RowError(RejectionReason.INVALID_QUANTITY, f"column {column!r} is zero")
        return value

    def optional_quantity(self, column: str) -> int | None:
        value = self.get(column)
        return None if value is None else parse_quantity(value, column)

    def date(self, column: str) -> dt.date:
        return parse_date(self.required(column), column)

    def optional_date(self, column: str) -> dt.date | None:
        value = self.get(column)
        return None if value is None else parse_date(value, column)

    def vintage(self, column: str) -> int:
        text = self.required(column)
        if not re.fullmatch(r"[0-9]{4}", text, re.ASCII) or not 1990 <= int(text) <= 2100:
            raise RowError(RejectionReason.INVALID_VINTAGE, f"column {column!r}: {text!r} is not a year")
        return int(text)

    def country(self, column: str) -> str:
        text = self.required(column)
        code = country_code(text)
        if code is None:
            raise RowError(RejectionReason.UNKNOWN_COUNTRY, f"column {column!r}: unknown country {text!r}")
        return code


_QUANTITY = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+(?:\.0+)?", re.ASCII)


def parse_quantity(text: str, column: str = "quantity") -> int:
    """Whole tonnes. Refuses fractions, signs and misplaced separators instead of rounding."""
    cleaned = text.strip()
    if not _QUANTITY.fullmatch(cleaned):
        raise RowError(RejectionReason.INVALID_QUANTITY, f"column {column!r}: {text!r} is not a whole tonnage")
    return int(cleaned.replace(",", "").split(".")[0])


_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ][0-9:.]+(?:Z|[+-][0-9:]+)?)?", re.ASCII)
_US = re.compile(
    r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?:\s+[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?:\s*[AP]M)?)?",
    re.ASCII | re.IGNORECASE,
)


def parse_date(text: str, column: str = "date") -> dt.date:
    """ISO (`2026-04-03`, `2026-04-13T12:35:58.842275`) or US (`3/24/2026 9:08:01 PM`, `03/19/2026`).
    The slash form is month/day/year: every registry exporting it (ACR, CAR, ART) is US-based.
    The time of day is dropped; exports state it in GMT, and records keep the calendar date."""
    cleaned = text.strip()
    try:
        if m := _ISO.fullmatch(cleaned):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _US.fullmatch(cleaned):
            return dt.date(int(m[3]), int(m[1]), int(m[2]))
    except ValueError:
        pass
    raise RowError(RejectionReason.INVALID_DATE, f"column {column!r}: {text!r} is not a date")


def serial_for(row: Row, registry: OriginRegistry, column: str, quantity: int) -> ParsedOriginSerial:
    """Parse the row's serial and check it holds exactly the row's quantity."""
    try:
        serial = parse_serial(registry, row.required(column))
        check_quantity(serial, quantity)
    except SerialError as exc:
        reason = (
            RejectionReason.QUANTITY_MISMATCH if exc.reason == "QUANTITY_MISMATCH" else RejectionReason.MALFORMED_SERIAL
        )
        raise RowError(reason, f"column {column!r}: {exc.message}: {exc.raw!r}") from None
    return serial


def check_serial_matches(
    serial: ParsedOriginSerial,
    *,
    project_number: str | None,
    vintage_year: int | None = None,
) -> None:
    """A serial names its project and vintage; a row contradicting it is not trusted. The serial's
    country is not checked against the row's: multi-country projects (Verra 3432 lists Chile,
    its blocks say PY) issue blocks per host country, and the serial is the authority for that."""
    problems: list[str] = []
    if project_number is not None and serial.project_id.lstrip("0") != project_number.lstrip("0"):
        problems.append(f"project {serial.project_id} in serial vs {project_number} in row")
    if vintage_year is not None and serial.vintage_year is not None and serial.vintage_year != vintage_year:
        problems.append(f"vintage {serial.vintage_year} in serial vs {vintage_year} in row")
    if problems:
        raise RowError(RejectionReason.SERIAL_ROW_MISMATCH, "; ".join(problems))


def project_number(origin_project_id: str, prefix: str) -> str:
    """`ACR1185` -> `1185` (the form serials print)."""
    if origin_project_id.upper().startswith(prefix):
        return origin_project_id[len(prefix) :]
    return origin_project_id


def project_facts(row: Row, name: str, country: str, methodology: str | None, project_type: str) -> ProjectFacts:
    """Project columns of a transaction row; a blank, absent or unknown value is None, never an error
    (the row's own facts are checked elsewhere)."""

    def cell(column: str | None) -> str | None:
        if column is None:
            return None
        try:
            return row.get(column)
        except RowError:
            return None

    country_text = cell(country)
    return ProjectFacts(
        name=cell(name),
        country_code=country_code(country_text) if country_text else None,
        methodology=cell(methodology),
        project_type=cell(project_type),
    )


Converter = Callable[[Row], tuple[ImportedRecord, ...]]


@dataclass(frozen=True, slots=True)
class FileSpec:
    """How one export file of one registry is read."""

    registry: OriginRegistry
    kind: FileKind
    file_name: str
    required_columns: tuple[str, ...]
    convert: Converter

    def read(self, path: Path, display_name: str) -> Iterator[RowOutcome]:
        return read_file(path, display_name, self.registry, self.kind, self.required_columns, self.convert)

    def read_text(self, text: str, display_name: str) -> Iterator[RowOutcome]:
        return read_text(text, display_name, self.registry, self.kind, self.required_columns, self.convert)


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves CSV as cp1252; undecodable bytes become U+FFFD rather than abort.
        return data.decode("cp1252", errors="replace")


def read_file(
    path: Path,
    display_name: str,
    registry: OriginRegistry,
    kind: FileKind,
    required_columns: tuple[str, ...],
    convert: Converter,
) -> Iterator[RowOutcome]:
    """One RowOutcome per data row (blank physical lines are not data rows)."""
    return read_text(_read_text(path), display_name, registry, kind, required_columns, convert)


def header_of(text: str) -> list[str]:
    """The header cells of CSV text, with the readers' header normalization."""
    for cells in csv.reader(io.StringIO(text, newline=""), strict=False):
        return [_header_key(cell) for cell in cells]
    return []


def header_key(name: str) -> str:
    return _header_key(name)


def read_text(
    text: str,
    display_name: str,
    registry: OriginRegistry,
    kind: FileKind,
    required_columns: tuple[str, ...],
    convert: Converter,
) -> Iterator[RowOutcome]:
    """`read_file` over CSV text already in memory (e.g. uploaded through the API)."""
    # newline="" keeps quoted newlines inside fields and counts \r\n as one physical line.
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    header: list[str] | None = None
    index: dict[str, int] = {}
    missing: list[str] = []
    consumed = 0  # physical lines read so far; the next record starts on consumed + 1
    for cells in reader:
        start_line = consumed + 1
        consumed = reader.line_num
        if header is None:
            header = cells
            for position, name in enumerate(header):
                index.setdefault(_header_key(name), position)
            missing = [c for c in required_columns if _header_key(c) not in index]
            continue
        if not cells:
            continue
        source = SourceRef(display_name, start_line)

        def reject(reason: RejectionReason, message: str, source: SourceRef = source) -> RowOutcome:
            return RowOutcome(registry, kind, source, (), Rejection(source.file, source.line, reason, message))

        if missing:
            yield reject(RejectionReason.MISSING_COLUMN, f"file lacks column(s) {', '.join(missing)}")
            continue
        if not any(cell.strip() for cell in cells):
            yield reject(RejectionReason.EMPTY_ROW, "row has no values")
            continue
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
            yield reject(RejectionReason.ROW_SHAPE, f"row has {len(cells)} cells but the header has {len(header)}")
            continue
        try:
            records = convert(Row(source, tuple(cells), index))
        except RowError as exc:
            yield reject(exc.reason, exc.message)
            continue
        yield RowOutcome(registry, kind, source, records, None)


@dataclass(frozen=True, slots=True)
class RangeEventColumns:
    """Column names of a retirement/cancellation export whose serials are `PREFIX-... start to end`."""

    project: str
    project_prefix: str
    serial: str
    quantity: str
    vintage: str
    event_date: str
    beneficiary: str | None
    reason: str | None
    details: str | None

    def required(self) -> tuple[str, ...]:
        names = (
            self.project,
            self.serial,
            self.quantity,
            self.vintage,
            self.event_date,
            self.beneficiary,
            self.reason,
            self.details,
        )
        return tuple(name for name in names if name is not None)


def range_event(
    row: Row, registry: OriginRegistry, kind: BlockEventKind, columns: RangeEventColumns
) -> ImportedBlockEvent:
    project_id = row.required(columns.project)
    quantity = row.quantity(columns.quantity)
    vintage = row.vintage(columns.vintage)
    serial = serial_for(row, registry, columns.serial, quantity)
    check_serial_matches(
        serial,
        project_number=project_number(project_id, columns.project_prefix),
        vintage_year=vintage,
    )

    def optional(column: str | None) -> str | None:
        return None if column is None else row.get(column)

    return ImportedBlockEvent(
        registry=registry,
        kind=kind,
        origin_project_id=project_id,
        vintage_year=vintage,
        quantity=quantity,
        units=serial.unit_range(),
        beneficiary=optional(columns.beneficiary),
        reason=optional(columns.reason),
        details=optional(columns.details),
        event_date=row.date(columns.event_date),
        source=row.source,
    )
