"""Printed serial numbers for credit units (format documented in docs/serials.md).

    <PROGRAM>-<CC>-<PROJECT>-<VINTAGE>-<BATCH>-<START>-<END>
    JCR-JP-P0000123-2023-B000045-000000000001-000000001000

One serial names a contiguous range of units of one batch; a single unit is the range start=end.
A serial is self-describing (program, host country, project, vintage year) so that a certificate
or a disclosure can be read without the registry, and unambiguous because no component may
contain the separator "-".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from carbon_runtime.errors import DomainError, invalid

from .models import (
    ISO_3166_ALPHA2,
    PROGRAM_CODE_PATTERN,
    SERIAL_TOKEN_PATTERN,
    Batch,
)

SERIAL_MALFORMED = "SERIAL_MALFORMED"
SERIAL_OUT_OF_BATCH = "SERIAL_OUT_OF_BATCH"
SERIAL_NOT_IN_BATCH = "SERIAL_NOT_IN_BATCH"

UNIT_DIGITS = 12
_COMPONENTS = ("program", "country", "project", "vintage", "batch", "start", "end")
# Longest well-formed serial: 10+2+32+4+32+12+12 characters plus six separators = 110.
_MAX_SERIAL_LENGTH = 110
_VINTAGE_PATTERN = re.compile(r"[0-9]{4}", re.ASCII)
_UNIT_PATTERN = re.compile(r"[0-9]{12}", re.ASCII)
_COUNTRY_PATTERN = re.compile(r"[A-Z]{2}", re.ASCII)


@dataclass(frozen=True, slots=True)
class ParsedSerial:
    program_code: str
    host_country: str
    project_id: str
    vintage_year: int
    batch_id: str
    start_unit: int
    end_unit: int

    @property
    def quantity(self) -> int:
        return self.end_unit - self.start_unit + 1

    @property
    def text(self) -> str:
        """The canonical printed form; parse_serial(p.text) == p."""
        return _compose(
            self.program_code,
            self.host_country,
            self.project_id,
            self.vintage_year,
            self.batch_id,
            self.start_unit,
            self.end_unit,
        )

    def belongs_to(self, batch: Batch) -> bool:
        """True when every printed attribute matches the batch and the units lie inside it."""
        return (
            self.program_code == batch.program_code
            and self.host_country == batch.host_country
            and self.project_id == batch.project_id
            and self.vintage_year == batch.vintage_start.year
            and self.batch_id == batch.id
            and batch.serial_start_unit <= self.start_unit
            and self.end_unit <= batch.serial_end_unit
        )


def _compose(program: str, country: str, project: str, vintage: int, batch: str, start: int, end: int) -> str:
    return f"{program}-{country}-{project}-{vintage:04d}-{batch}-{start:0{UNIT_DIGITS}d}-{end:0{UNIT_DIGITS}d}"


def format_serial(batch: Batch, start_unit: int, end_unit: int) -> str:
    """Serial of units start_unit..end_unit (inclusive) of the batch."""
    if not (
        isinstance(start_unit, int)
        and isinstance(end_unit, int)
        and batch.serial_start_unit <= start_unit <= end_unit <= batch.serial_end_unit
    ):
        raise invalid(
            SERIAL_OUT_OF_BATCH,
            f"units {start_unit}..{end_unit} are not a range inside batch {batch.id} "
            f"({batch.serial_start_unit}..{batch.serial_end_unit})",
            batch_id=batch.id,
        )
    return _compose(
        batch.program_code,
        batch.host_country,
        batch.project_id,
        batch.vintage_start.year,
        batch.id,
        start_unit,
        end_unit,
    )


def unit_serial(batch: Batch, unit: int) -> str:
    """Serial of one unit, as used for UnitBlock.serialStart / serialEnd and CreditBatch.serialStart."""
    return format_serial(batch, unit, unit)


def format_serial_range(batch: Batch, start_unit: int, end_unit: int) -> str:
    """One entry of the contract's Retirement.serialRanges / Cancellation.serialRanges.

    The contract asks for "<start>-<end>" in the batch's serial format. A serial in this format
    already ends in "-<START>-<END>", so the range string is the serial of the whole range: shorter
    than two full serials joined by "-", and parseable with parse_serial."""
    return format_serial(batch, start_unit, end_unit)


def _malformed(text: str, problem: str) -> DomainError:
    shown = text if len(text) <= _MAX_SERIAL_LENGTH else text[:_MAX_SERIAL_LENGTH] + "..."
    return invalid(
        SERIAL_MALFORMED,
        f"serial {shown!r} is malformed: {problem}; expected "
        "PROGRAM-CC-PROJECT-YYYY-BATCH-START-END, "
        "e.g. JCR-JP-P0000123-2023-B000045-000000000001-000000001000",
        serial=shown,
    )


def parse_serial(text: object) -> ParsedSerial:
    """Parse a printed serial. Any malformed input raises DomainError INVALID_ARGUMENT with reason
    SERIAL_MALFORMED, never another exception: serials arrive from partners' systems and people."""
    if not isinstance(text, str):
        raise invalid(SERIAL_MALFORMED, f"serial must be a string, got {type(text).__name__}")
    if len(text) > _MAX_SERIAL_LENGTH:
        raise _malformed(text, f"longer than {_MAX_SERIAL_LENGTH} characters")
    parts = text.split("-")
    if len(parts) != len(_COMPONENTS):
        raise _malformed(text, f"has {len(parts)} '-'-separated components instead of {len(_COMPONENTS)}")
    program, country, project, vintage_text, batch_id, start_text, end_text = parts
    # fullmatch with re.ASCII: "$" would accept a trailing newline and \d would accept non-ASCII
    # digits such as "٣", either of which would make two different texts name the same units.
    if not PROGRAM_CODE_PATTERN.fullmatch(program):
        raise _malformed(text, f"program code {program!r} must be 2-10 characters A-Z/0-9 starting with a letter")
    if not _COUNTRY_PATTERN.fullmatch(country) or country not in ISO_3166_ALPHA2:
        raise _malformed(text, f"host country {country!r} is not an ISO 3166-1 alpha-2 code")
    if not SERIAL_TOKEN_PATTERN.fullmatch(project):
        raise _malformed(text, f"project {project!r} must be 1-32 characters A-Z/0-9")
    if not _VINTAGE_PATTERN.fullmatch(vintage_text) or int(vintage_text) < 1000:
        raise _malformed(text, f"vintage {vintage_text!r} must be a four-digit year")
    if not SERIAL_TOKEN_PATTERN.fullmatch(batch_id):
        raise _malformed(text, f"batch {batch_id!r} must be 1-32 characters A-Z/0-9")
    for label, value in (("start", start_text), ("end", end_text)):
        if not _UNIT_PATTERN.fullmatch(value):
            raise _malformed(text, f"{label} unit {value!r} must be exactly {UNIT_DIGITS} digits")
    start_unit = int(start_text)
    end_unit = int(end_text)
    if start_unit < 1:
        raise _malformed(text, "unit numbers start at 000000000001")
    if start_unit > end_unit:
        raise _malformed(text, f"start unit {start_unit} is after end unit {end_unit}")
    return ParsedSerial(
        program_code=program,
        host_country=country,
        project_id=project,
        vintage_year=int(vintage_text),
        batch_id=batch_id,
        start_unit=start_unit,
        end_unit=end_unit,
    )


def parse_serial_for_batch(text: object, batch: Batch) -> ParsedSerial:
    """Parse a serial and require it to name units of this batch (NOT_IN_BATCH otherwise)."""
    parsed = parse_serial(text)
    if not parsed.belongs_to(batch):
        raise invalid(
            SERIAL_NOT_IN_BATCH,
            f"serial {parsed.text} does not name units of batch {batch.id}",
            batch_id=batch.id,
        )
    return parsed
