"""Cell parsing: tonnes stay whole integers, dates in the registries' several formats."""

from __future__ import annotations

from datetime import date

import pytest

from importers.countries import country_code
from importers.model import RejectionReason
from importers.rows import RowError, parse_date, parse_quantity


@pytest.mark.parametrize(
    ("text", "tonnes"),
    [("1,454,054", 1454054), ("425", 425), (" 20,117 ", 20117), ("550369.0", 550369), ("0", 0)],
)
def test_quantity_accepts_thousands_separators_and_excel_whole_decimals(text: str, tonnes: int) -> None:
    assert parse_quantity(text) == tonnes


@pytest.mark.parametrize("text", ["12.5", "-3", "1,45,054", "1.454.054", "1e3", "", "ten", "1,454,054.7"])
def test_quantity_refuses_fractions_signs_and_misplaced_separators(text: str) -> None:
    with pytest.raises(RowError) as caught:
        parse_quantity(text)
    assert caught.value.reason is RejectionReason.INVALID_QUANTITY


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-04-03", date(2026, 4, 3)),
        ("2026-04-13T12:35:58.842275", date(2026, 4, 13)),
        ("3/24/2026 9:08:01 PM", date(2026, 3, 24)),
        ("11/3/2025 7:10:41 AM", date(2025, 11, 3)),
        ("03/19/2026", date(2026, 3, 19)),
        ("1/15/2020", date(2020, 1, 15)),
    ],
)
def test_dates_in_iso_and_us_month_day_formats_parse_to_calendar_day(text: str, day: date) -> None:
    assert parse_date(text) == day


@pytest.mark.parametrize("text", ["2026-02-30", "13/01/2026", "31/12/2020", "April 25, 2014", "2026"])
def test_impossible_or_unknown_dates_are_refused(text: str) -> None:
    with pytest.raises(RowError) as caught:
        parse_date(text)
    assert caught.value.reason is RejectionReason.INVALID_DATE


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Viet Nam", "VN"),
        ("VIET NAM", "VN"),
        ("CONGO, THE DEMOCRATIC REPUBLIC OF THE", "CD"),
        ("Congo the Democratic Republic of the", "CD"),
        ("Congo", "CG"),
        ("COTE D'IVOIRE", "CI"),
        ("Tanzania United Republic of", "TZ"),
        ("US", "US"),
        ("Taiwan", "TW"),
    ],
)
def test_country_names_in_each_registry_spelling_map_to_iso_alpha2(name: str, code: str) -> None:
    assert country_code(name) == code


def test_non_country_values_have_no_code() -> None:
    assert country_code("International") is None
    assert country_code("") is None
