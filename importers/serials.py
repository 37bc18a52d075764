"""Origin serial numbers of the five registries.

`parse_serial` raises only `SerialError` (a `ValueError`) for anything it cannot read, so callers
can turn it into a row rejection. Formats (as exported):

* Verra VCU:   ``19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1``
  batch, block start, block end, program, unit type, issuance no., VER, country, sectoral scope,
  project id, vintage start/end (DDMMYYYY), flag. Unit numbers are registry-wide.
* Gold Standard: ``GS1-1-KE-GS11603-16-2025-30256-110-5463``
  registry/version, unit type, country, project, product code, vintage, batch, block start, block end.
* CDM CERs held in Gold Standard: ``RW-5-1463953-2-2-0-7014 - RW-5-1467609-2-2-0-7014``
  party, unit type, unit number, commitment periods, LULUCF flag, CDM project; two ends of a range.
* ACR:  ``ACR-US-1185-2025-3078-1 to 85847``  country, project, vintage, batch, start to end.
* CAR:  ``CAR-ROC-US-2056-129-2283-WV-2025-8969-1 to 260294``  unit class (1 or ROC), country,
  project, two registry codes, state, vintage, batch, start to end.
* ART:  ``ART-GY-102-2021-11-2759599 to 2760598`` and ``FCPF-CI-130-2023-20-1 to 46404``
  program, country, program id, vintage, batch, start to end.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date

from importers.model import OriginRegistry, UnitRange

# Longest serial in any real export is < 100 characters; a cap keeps regexes cheap on garbage.
_MAX_SERIAL_LENGTH = 300
# Unit numbers above this are not plausible and would only be typos or overflow attempts.
_MAX_UNIT_DIGITS = 15


class SerialScheme(enum.StrEnum):
    VERRA_VCU = "VERRA_VCU"
    GOLD_STANDARD = "GOLD_STANDARD"
    CDM = "CDM"
    ACR = "ACR"
    CAR = "CAR"
    ART_TREES = "ART_TREES"


class SerialError(ValueError):
    """A serial that cannot be used. `reason` is MALFORMED_SERIAL or QUANTITY_MISMATCH."""

    def __init__(self, reason: str, message: str, raw: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.raw = raw


@dataclass(frozen=True, slots=True)
class ParsedOriginSerial:
    registry: OriginRegistry
    scheme: SerialScheme
    block_start: int
    block_end: int
    project_id: str  # numeric part as printed in the serial (CDM: the CDM project number)
    vintage_year: int | None
    vintage_start: date | None
    vintage_end: date | None
    country: str | None  # ISO alpha-2 as printed
    batch_id: str | None
    numbering_scope: str
    start_text: str
    end_text: str
    raw: str

    @property
    def quantity(self) -> int:
        return self.block_end - self.block_start + 1

    def unit_range(self) -> UnitRange:
        return UnitRange(
            numbering_scope=self.numbering_scope,
            unit_start=self.block_start,
            unit_end=self.block_end,
            serial_start=self.start_text,
            serial_end=self.end_text,
            origin_serial=self.raw,
            country_code=self.country,
        )


_N = rf"[0-9]{{1,{_MAX_UNIT_DIGITS}}}"
_VERRA = re.compile(
    rf"(?P<batch>{_N})-(?P<start>{_N})-(?P<end>{_N})-(?P<program>[A-Z]+)-(?P<unit>[A-Z]+)-(?P<issuance>{_N})"
    rf"-(?P<label>[A-Z]+)-(?P<country>[A-Z]{{2}})-(?P<scope>{_N})-(?P<project>{_N})"
    r"-(?P<vstart>[0-9]{8})-(?P<vend>[0-9]{8})-(?P<flag>[0-9]+)",
    re.ASCII,
)
_GS = re.compile(
    rf"(?P<prefix>GS(?P<version>[0-9]+)-(?P<unit>[0-9]+)-(?P<country>[A-Z]{{2}})-GS(?P<project>{_N})"
    rf"-(?P<product>{_N})-(?P<vintage>[0-9]{{4}})-(?P<batch>{_N}))-(?P<start>{_N})-(?P<end>{_N})",
    re.ASCII,
)


def _cdm_half(i: int) -> str:
    return (
        rf"(?P<party{i}>[A-Z]{{2}})-(?P<unit{i}>[0-9]{{1,3}})-(?P<num{i}>{_N})"
        rf"-(?P<tail{i}>[0-9]{{1,3}}-[0-9]{{1,3}}-[0-9]{{1,3}}-(?P<project{i}>{_N}))"
    )


_CDM = re.compile(_cdm_half(1) + r"\s*-\s*" + _cdm_half(2), re.ASCII)
_RANGE_TAIL = rf"-(?P<start>{_N})\s+to\s+(?P<end>{_N})"
_ACR = re.compile(
    rf"(?P<prefix>ACR-(?P<country>[A-Z]{{2}})-(?P<project>{_N})-(?P<vintage>[0-9]{{4}})-(?P<batch>{_N})){_RANGE_TAIL}",
    re.ASCII,
)
_CAR = re.compile(
    rf"(?P<prefix>CAR-(?P<unit>[0-9A-Z]+)-(?P<country>[A-Z]{{2}})-(?P<project>{_N})-{_N}-{_N}"
    rf"-(?P<state>[A-Z]{{2}})-(?P<vintage>[0-9]{{4}})-(?P<batch>{_N})){_RANGE_TAIL}",
    re.ASCII,
)
_ART = re.compile(
    rf"(?P<prefix>(?P<program>ART|FCPF)-(?P<country>[A-Z]{{2}})-(?P<project>{_N})-(?P<vintage>[0-9]{{4}})"
    rf"-(?P<batch>{_N})){_RANGE_TAIL}",
    re.ASCII,
)


def _malformed(raw: str, message: str) -> SerialError:
    return SerialError("MALFORMED_SERIAL", message, raw)


def _ddmmyyyy(text: str, raw: str) -> date:
    try:
        return date(int(text[4:8]), int(text[2:4]), int(text[0:2]))
    except ValueError:
        raise _malformed(raw, f"serial date {text!r} is not a valid DDMMYYYY date") from None


def _checked(raw: str, start: int, end: int) -> None:
    if start > end:
        raise _malformed(raw, f"serial block start {start} is after block end {end}")


def _year(text: str, raw: str) -> int:
    year = int(text)
    if not 1990 <= year <= 2100:
        raise _malformed(raw, f"serial vintage {year} is outside 1990-2100")
    return year


def _parse_verra(text: str) -> ParsedOriginSerial:
    m = _VERRA.fullmatch(text)
    if m is None:
        raise _malformed(text, "not a Verra VCU serial (batch-start-end-VCS-VCU-...-DDMMYYYY-DDMMYYYY-n)")
    start, end = int(m["start"]), int(m["end"])
    _checked(text, start, end)
    vstart, vend = _ddmmyyyy(m["vstart"], text), _ddmmyyyy(m["vend"], text)
    if vstart > vend:
        raise _malformed(text, "serial vintage start is after vintage end")
    return ParsedOriginSerial(
        registry=OriginRegistry.VERRA,
        scheme=SerialScheme.VERRA_VCU,
        block_start=start,
        block_end=end,
        project_id=m["project"],
        vintage_year=None,
        vintage_start=vstart,
        vintage_end=vend,
        country=m["country"],
        batch_id=m["batch"],
        numbering_scope=f"VERRA:{m['program']}-{m['unit']}",
        start_text=text,
        end_text=text,
        raw=text,
    )


def _parse_gold_standard(text: str) -> ParsedOriginSerial:
    m = _GS.fullmatch(text)
    if m is not None:
        start, end = int(m["start"]), int(m["end"])
        _checked(text, start, end)
        return ParsedOriginSerial(
            registry=OriginRegistry.GOLD_STANDARD,
            scheme=SerialScheme.GOLD_STANDARD,
            block_start=start,
            block_end=end,
            project_id=m["project"],
            vintage_year=_year(m["vintage"], text),
            vintage_start=None,
            vintage_end=None,
            country=m["country"],
            batch_id=m["batch"],
            numbering_scope=f"GOLD_STANDARD:{m['prefix']}",
            start_text=f"{m['prefix']}-{m['start']}",
            end_text=f"{m['prefix']}-{m['end']}",
            raw=text,
        )
    c = _CDM.fullmatch(text)
    if c is None:
        raise _malformed(text, "not a Gold Standard serial (GSn-n-CC-GSn-n-YYYY-batch-start-end) nor a CDM range")
    if (c["party1"], c["unit1"], c["tail1"]) != (c["party2"], c["unit2"], c["tail2"]):
        raise _malformed(text, "the two ends of a CDM serial range belong to different blocks")
    start, end = int(c["num1"]), int(c["num2"])
    _checked(text, start, end)
    return ParsedOriginSerial(
        registry=OriginRegistry.GOLD_STANDARD,
        scheme=SerialScheme.CDM,
        block_start=start,
        block_end=end,
        project_id=c["project1"],
        vintage_year=None,
        vintage_start=None,
        vintage_end=None,
        country=c["party1"],
        batch_id=None,
        # CDM unit numbers are unique per originating party and unit type.
        numbering_scope=f"CDM:{c['party1']}-{c['unit1']}",
        start_text=text[c.start("party1") : c.end("tail1")],
        end_text=text[c.start("party2") : c.end("tail2")],
        raw=text,
    )


def _parse_range(
    text: str, pattern: re.Pattern[str], registry: OriginRegistry, scheme: SerialScheme, shape: str
) -> ParsedOriginSerial:
    m = pattern.fullmatch(text)
    if m is None:
        raise _malformed(text, f"not a {registry.value} serial range ({shape})")
    start, end = int(m["start"]), int(m["end"])
    _checked(text, start, end)
    return ParsedOriginSerial(
        registry=registry,
        scheme=scheme,
        block_start=start,
        block_end=end,
        project_id=m["project"],
        vintage_year=_year(m["vintage"], text),
        vintage_start=None,
        vintage_end=None,
        country=m["country"],
        batch_id=m["batch"],
        numbering_scope=f"{registry.value}:{m['prefix']}",
        start_text=f"{m['prefix']}-{m['start']}",
        end_text=f"{m['prefix']}-{m['end']}",
        raw=text,
    )


def parse_serial(registry: OriginRegistry, text: str) -> ParsedOriginSerial:
    """Parse one origin serial (or serial range) as exported by `registry`.

    Raises `SerialError` (reason MALFORMED_SERIAL) for anything else; never another exception."""
    if not isinstance(text, str):
        raise SerialError("MALFORMED_SERIAL", "serial must be text", repr(text))
    raw = text.strip()
    if not raw:
        raise _malformed(text, "serial is blank")
    if len(raw) > _MAX_SERIAL_LENGTH:
        raise _malformed(raw[:40], f"serial is longer than {_MAX_SERIAL_LENGTH} characters")
    if registry is OriginRegistry.VERRA:
        return _parse_verra(raw)
    if registry is OriginRegistry.GOLD_STANDARD:
        return _parse_gold_standard(raw)
    if registry is OriginRegistry.ACR:
        return _parse_range(raw, _ACR, registry, SerialScheme.ACR, "ACR-CC-project-vintage-batch-start to end")
    if registry is OriginRegistry.CAR:
        return _parse_range(
            raw, _CAR, registry, SerialScheme.CAR, "CAR-class-CC-project-n-n-ST-vintage-batch-start to end"
        )
    return _parse_range(raw, _ART, registry, SerialScheme.ART_TREES, "ART|FCPF-CC-program-vintage-batch-start to end")


def check_quantity(serial: ParsedOriginSerial, quantity: int) -> None:
    """A block holds exactly `end - start + 1` units; a row stating another quantity is refused
    rather than trusted, because either number could be the typo."""
    if serial.quantity != quantity:
        raise SerialError(
            "QUANTITY_MISMATCH",
            f"serial block {serial.block_start}-{serial.block_end} holds {serial.quantity} units "
            f"but the row states {quantity}",
            serial.raw,
        )
