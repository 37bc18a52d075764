"""The years a report may be asked for. Outside them the date arithmetic of a fiscal year (April to
March of the next year) would overflow `datetime.date` (year 9999 + 1) and answer INTERNAL; a caller's
out-of-range input is INVALID_ARGUMENT instead."""

from __future__ import annotations

from carbon_runtime.errors import invalid

MIN_REPORT_YEAR = 1990  # the Kyoto baseline: no credit this platform holds is older
MAX_REPORT_YEAR = 2200


def require_report_year(year: int, field: str) -> int:
    if not MIN_REPORT_YEAR <= year <= MAX_REPORT_YEAR:
        raise invalid(
            "YEAR_OUT_OF_RANGE", f"{field} must lie between {MIN_REPORT_YEAR} and {MAX_REPORT_YEAR}", field=field
        )
    return year
