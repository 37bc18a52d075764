"""Origin serial formats of Verra, Gold Standard (incl. CDM ranges), ACR, CAR and ART TREES."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from importers.model import OriginRegistry
from importers.serials import SerialError, SerialScheme, check_quantity, parse_serial

VERRA = "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"
GS = "GS1-1-KE-GS11603-16-2025-30256-110-5463"
CDM = "RW-5-1463953-2-2-0-7014 - RW-5-1467609-2-2-0-7014"
ACR = "ACR-US-1185-2025-3078-1 to 85847"
CAR = "CAR-ROC-US-2056-129-2283-WV-2025-8969-1 to 260294"
ART = "ART-GY-102-2021-11-2759599 to 2760598"
FCPF = "FCPF-CI-130-2023-20-1 to 46404"


def csv_records(path: Path) -> list[list[str]]:
    """All CSV records of a file (header first), read independently of the importer."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return [row for row in csv.reader(handle) if row]


def test_verra_serial_yields_block_project_country_and_vintage_dates() -> None:
    serial = parse_serial(OriginRegistry.VERRA, VERRA)
    assert (serial.block_start, serial.block_end, serial.quantity) == (941467007, 941467431, 425)
    assert (serial.project_id, serial.country, serial.batch_id) == ("1340", "ET", "19385")
    assert (serial.vintage_start, serial.vintage_end) == (date(2020, 1, 1), date(2020, 12, 31))
    assert serial.numbering_scope == "VERRA:VCS-VCU"
    assert serial.scheme is SerialScheme.VERRA_VCU


def test_gold_standard_serial_numbers_units_within_its_batch() -> None:
    serial = parse_serial(OriginRegistry.GOLD_STANDARD, GS)
    assert (serial.block_start, serial.block_end, serial.quantity) == (110, 5463, 5354)
    assert (serial.project_id, serial.vintage_year, serial.country, serial.batch_id) == (
        "11603",
        2025,
        "KE",
        "30256",
    )
    assert serial.numbering_scope == "GOLD_STANDARD:GS1-1-KE-GS11603-16-2025-30256"
    assert (serial.start_text, serial.end_text) == (
        "GS1-1-KE-GS11603-16-2025-30256-110",
        "GS1-1-KE-GS11603-16-2025-30256-5463",
    )


def test_cdm_range_in_gold_standard_export_parses_both_ends() -> None:
    serial = parse_serial(OriginRegistry.GOLD_STANDARD, CDM)
    assert serial.scheme is SerialScheme.CDM
    assert (serial.block_start, serial.block_end, serial.quantity) == (1463953, 1467609, 3657)
    assert (serial.project_id, serial.country, serial.vintage_year) == ("7014", "RW", None)
    assert (serial.start_text, serial.end_text) == ("RW-5-1463953-2-2-0-7014", "RW-5-1467609-2-2-0-7014")


def test_cdm_range_whose_ends_name_different_blocks_is_malformed() -> None:
    with pytest.raises(SerialError) as caught:
        parse_serial(OriginRegistry.GOLD_STANDARD, "RW-5-1463953-2-2-0-7014 - RW-5-1467609-2-2-0-7015")
    assert caught.value.reason == "MALFORMED_SERIAL"


@pytest.mark.parametrize(
    ("registry", "text", "expected"),
    [
        (OriginRegistry.ACR, ACR, (1, 85847, "1185", 2025, "US", "3078", "ACR:ACR-US-1185-2025-3078")),
        (
            OriginRegistry.CAR,
            CAR,
            (1, 260294, "2056", 2025, "US", "8969", "CAR:CAR-ROC-US-2056-129-2283-WV-2025-8969"),
        ),
        (OriginRegistry.ART, ART, (2759599, 2760598, "102", 2021, "GY", "11", "ART:ART-GY-102-2021-11")),
        (OriginRegistry.ART, FCPF, (1, 46404, "130", 2023, "CI", "20", "ART:FCPF-CI-130-2023-20")),
    ],
)
def test_range_serials_yield_block_project_vintage_country_and_batch(
    registry: OriginRegistry, text: str, expected: tuple[object, ...]
) -> None:
    s = parse_serial(registry, text)
    assert (
        s.block_start,
        s.block_end,
        s.project_id,
        s.vintage_year,
        s.country,
        s.batch_id,
        s.numbering_scope,
    ) == (expected)


@pytest.mark.parametrize(
    ("registry", "text"),
    [
        (OriginRegistry.VERRA, "19385-941467431-941467007-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"),
        (OriginRegistry.VERRA, "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-31022020-31122020-1"),
        (OriginRegistry.VERRA, "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-31122020-01012020-1"),
        (OriginRegistry.ACR, "ACR-US-1185-2025-3078-85847 to 1"),
        (OriginRegistry.ACR, "ACR-US-1185-2025-3078-1 to"),
        (OriginRegistry.CAR, "CAR-1-US-1335-31-983-KS-2025-9205-1 - 5000"),
        (OriginRegistry.ART, "ART-GY-102-1021-11-1 to 5"),
        (OriginRegistry.GOLD_STANDARD, "GS1-1-KE-GS11603-16-2025-30256-110"),
        (OriginRegistry.GOLD_STANDARD, "GS1-1-KE-GS11603-16-2025-30256-١١٠-5463"),  # Arabic-Indic digits
        (OriginRegistry.VERRA, ""),
        (OriginRegistry.VERRA, GS),
    ],
)
def test_malformed_serials_raise_serial_error_with_reason(registry: OriginRegistry, text: str) -> None:
    with pytest.raises(SerialError) as caught:
        parse_serial(registry, text)
    assert caught.value.reason == "MALFORMED_SERIAL"
    assert isinstance(caught.value, ValueError)


def test_quantity_check_rejects_block_size_that_differs_from_row_quantity() -> None:
    serial = parse_serial(OriginRegistry.VERRA, VERRA)
    check_quantity(serial, 425)
    with pytest.raises(SerialError) as caught:
        check_quantity(serial, 426)
    assert caught.value.reason == "QUANTITY_MISMATCH"


_SERIAL_ALPHABET = st.sampled_from([*list("0123456789-ACDFGIKNOPRSTUVWXYZ to١٢"), "GS", "VCS", "VCU", " - "])


@settings(max_examples=400)
@given(
    registry=st.sampled_from(list(OriginRegistry)),
    text=st.one_of(
        st.text(max_size=120),
        st.lists(_SERIAL_ALPHABET, max_size=40).map("".join),
        st.sampled_from([VERRA, GS, CDM, ACR, CAR, ART, FCPF]).flatmap(
            lambda s: st.tuples(st.just(s), st.integers(0, len(s)), st.text(max_size=4)).map(
                lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + 1 :]
            )
        ),
    ),
)
def test_parse_serial_raises_nothing_but_serial_error_on_arbitrary_text(registry: OriginRegistry, text: str) -> None:
    try:
        serial = parse_serial(registry, text)
    except SerialError:
        return
    assert serial.block_start <= serial.block_end
    assert serial.quantity >= 1


_SERIAL_COLUMNS = {
    ("verra/transactions.csv", OriginRegistry.VERRA): ("Serial Number", "Quantity Issued"),
    ("gold-standard/issuances.csv", OriginRegistry.GOLD_STANDARD): ("Serial Number", "Quantity"),
    ("gold-standard/retirements.csv", OriginRegistry.GOLD_STANDARD): ("Serial Number", "Quantity"),
    ("american-carbon-registry/retirements.csv", OriginRegistry.ACR): (
        "Credit Serial Numbers",
        "Quantity of Credits",
    ),
    ("american-carbon-registry/cancellations.csv", OriginRegistry.ACR): (
        "Credit Serial Numbers",
        "Quantity of Credits",
    ),
    ("climate-action-reserve/retirements.csv", OriginRegistry.CAR): (
        "Offset Credit Serial Numbers",
        "Quantity of Offset Credits",
    ),
    ("climate-action-reserve/cancellations.csv", OriginRegistry.CAR): (
        "Offset Credit Serial Numbers",
        "Quantity of Offset Credits",
    ),
    ("art-trees/retirements.csv", OriginRegistry.ART): ("Credit Serial Numbers", "Quantity of Credits"),
    ("art-trees/cancellations.csv", OriginRegistry.ART): ("Credit Serial Numbers", "Quantity of Credits"),
}


@pytest.mark.parametrize(("file", "registry"), list(_SERIAL_COLUMNS))
def test_every_serial_in_the_shared_exports_parses_and_holds_the_row_quantity(
    exports_dir: Path, file: str, registry: OriginRegistry
) -> None:
    serial_column, quantity_column = _SERIAL_COLUMNS[(file, registry)]
    header, *rows = csv_records(exports_dir / file)
    assert rows
    for row in rows:
        cells = dict(zip(header, row, strict=False))
        serial = parse_serial(registry, cells[serial_column])
        check_quantity(serial, int(cells[quantity_column].replace(",", "")))
