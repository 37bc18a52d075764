"""Smaller things (issue 14, item 10): CSV exports neutralize formula injection, Content-Disposition
names are sanitized, and out-of-range report years are INVALID_ARGUMENT, never INTERNAL."""

from __future__ import annotations

import csv
import dataclasses
import io

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from services.reporting.domain.disclosure import neutralize_formula, render_csv
from services.reporting.domain.years import require_report_year
from services.reporting.entrypoints.http_routes import safe_filename
from tests.unit.reporting.test_domain_reporting_disclosure import report_2024


@pytest.mark.parametrize("payload", ['=HYPERLINK("http://x","y")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1"])
def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralized(payload: str) -> None:
    report = report_2024()
    evil = dataclasses.replace(report.lines[0], beneficiary=payload, selection_rationale=payload)
    rows = list(csv.DictReader(io.StringIO(render_csv(dataclasses.replace(report, lines=(evil,))), newline="")))
    assert rows[0]["beneficiary"] == "'" + payload
    assert rows[0]["selection_rationale"] == "'" + payload


def test_plain_numbers_and_text_are_left_as_they_are() -> None:
    assert neutralize_formula("-12.5") == "-12.5"
    assert neutralize_formula("ACME") == "ACME"
    assert neutralize_formula(7) == 7


@pytest.mark.parametrize(
    "name",
    [
        "disclosure-x\";filename*=UTF-8''evil.exe-2024.csv",
        "disclosure-a\r\nSet-Cookie: s=1-2024.csv",
        "../../etc/passwd",
    ],
)
def test_content_disposition_names_are_sanitized(name: str) -> None:
    safe = safe_filename(name)
    assert all(c.isalnum() or c in "._-" for c in safe)
    assert not safe.startswith(".")


@pytest.mark.parametrize("year", [0, 1, 9999, 10000, -5])
def test_report_years_out_of_range_are_invalid_argument(year: int) -> None:
    with pytest.raises(DomainError) as err:
        require_report_year(year, "input.fiscalYear")
    assert err.value.code is ErrorCode.INVALID_ARGUMENT and err.value.details["field"] == "input.fiscalYear"
    assert require_report_year(2025, "year") == 2025
