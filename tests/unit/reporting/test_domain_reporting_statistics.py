"""Volumes, daily VWAP price index and SVG/HTML renderers (DOMAIN.md §9: prices published per category)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.vocabulary import CreditBasis, CreditCategory, CreditType, RetirementPurpose
from services.reporting.domain.facts import BatchFacts, ProgramId, RetirementFacts, TradeFacts
from services.reporting.domain.statistics import (
    PricePoint,
    VolumeRow,
    bar_chart_svg,
    daily_vwap_index,
    issuance_volumes,
    line_chart_svg,
    retirement_volumes,
    statistics_page_html,
    totals_by_year,
)

JST = timezone(timedelta(hours=9))
SVG = "{http://www.w3.org/2000/svg}"

JC = BatchFacts(
    batch_id="B-JC",
    project_id="P-1",
    project_name="Solar",
    program_id=ProgramId.JCREDIT,
    host_country="JP",
    methodology_code="EN-R-002",
    credit_type=CreditType.REDUCTION,
    basis=CreditBasis.TECHNOLOGY,
    category=CreditCategory.NDC_CONTRIBUTING,
    vintage_start=date(2022, 1, 1),
    vintage_end=date(2022, 12, 31),
    first_crediting_period_start=date(2020, 1, 1),
    corresponding_adjustment=False,
    issued_quantity_t=1000,
    issued_on=date(2023, 5, 1),
)
BLUE = replace(
    JC,
    batch_id="B-BLUE",
    program_id=ProgramId.JBLUE,
    credit_type=CreditType.REMOVAL,
    basis=CreditBasis.NATURE,
    category=CreditCategory.DOMESTIC_REMOVAL,
    issued_quantity_t=300,
    issued_on=date(2024, 2, 1),
)
JC2 = replace(JC, batch_id="B-JC2", issued_quantity_t=500, issued_on=date(2023, 11, 1))
BATCHES = {b.batch_id: b for b in (JC, BLUE, JC2)}


def trade(tid: str, price: str, quantity_t: int, at: datetime, batch_id: str | None = "B-JC") -> TradeFacts:
    return TradeFacts(tid, "INS-1", Decimal(price), "JPY", quantity_t, at, batch_id, settled=batch_id is not None)


def test_issuance_volumes_group_by_year_program_type_and_category() -> None:
    rows = issuance_volumes(BATCHES.values())
    assert rows == (
        VolumeRow(2023, "JCREDIT", CreditType.REDUCTION, CreditCategory.NDC_CONTRIBUTING, 1500),
        VolumeRow(2024, "JBLUE", CreditType.REMOVAL, CreditCategory.DOMESTIC_REMOVAL, 300),
    )
    assert totals_by_year(rows) == {2023: 1500, 2024: 300}


def test_issuance_volumes_refuse_batch_without_issuance_date() -> None:
    with pytest.raises(DomainError) as raised:
        issuance_volumes([replace(JC, issued_on=None)])
    assert raised.value.code is ErrorCode.FAILED_PRECONDITION


def test_retirement_volumes_use_the_japan_calendar_year_they_left_circulation() -> None:
    def retired(rid: str, at: datetime, quantity_t: int) -> RetirementFacts:
        return RetirementFacts(rid, "ORG", "ACC", "B-JC", quantity_t, (), RetirementPurpose.OTHER, "x", 2023, at)

    rows = retirement_volumes(
        [
            retired("R1", datetime(2023, 12, 31, 14, 0, tzinfo=UTC), 10),  # 23:00 JST, 2023
            retired("R2", datetime(2023, 12, 31, 15, 0, tzinfo=UTC), 20),  # 00:00 JST, 2024
        ],
        BATCHES,
    )
    assert totals_by_year(rows) == {2023: 10, 2024: 20}


def test_daily_vwap_weights_by_quantity_and_rounds_half_up_to_cents() -> None:
    day1 = datetime(2024, 4, 1, 10, 0, tzinfo=JST)
    points = daily_vwap_index(
        [
            # (1000.005 x 1 + 2000 x 2) / 3 = 1666.668333... -> 1666.67
            trade("T1", "1000.005", 1, day1),
            trade("T2", "2000", 2, day1 + timedelta(hours=1)),
            trade("T3", "3000", 5, day1 + timedelta(days=1)),
            trade("T4", "9999", 5, day1, batch_id=None),  # unsettled: category unknown, excluded
            trade("T5", "5000.50", 3, day1, batch_id="B-BLUE"),
        ],
        BATCHES,
    )
    assert points == (
        PricePoint(date(2024, 4, 1), CreditCategory.NDC_CONTRIBUTING, "JPY", Decimal("1666.67"), 3, 2),
        PricePoint(date(2024, 4, 2), CreditCategory.NDC_CONTRIBUTING, "JPY", Decimal("3000.00"), 5, 1),
        PricePoint(date(2024, 4, 1), CreditCategory.DOMESTIC_REMOVAL, "JPY", Decimal("5000.50"), 3, 1),
    )


def test_daily_vwap_keeps_currencies_apart() -> None:
    at = datetime(2024, 4, 1, 10, 0, tzinfo=JST)
    usd = replace(trade("T2", "10", 1, at), currency="USD")
    points = daily_vwap_index([trade("T1", "1500", 1, at), usd], BATCHES)
    assert [(p.currency, p.vwap) for p in points] == [("JPY", Decimal("1500.00")), ("USD", Decimal("10.00"))]


def _parse_svg(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def test_bar_chart_svg_is_well_formed_escaped_and_deterministic() -> None:
    bars = [("2023 <J&C>", 1500), ("2024", 300)]
    svg = bar_chart_svg('Issued "per" year <t>', bars)
    assert svg == bar_chart_svg('Issued "per" year <t>', bars)
    root = _parse_svg(svg)
    assert root.findtext(f"{SVG}title") == 'Issued "per" year <t>'
    rects = root.findall(f"{SVG}rect")
    assert len(rects) == 2
    # Heights are proportional: the tallest bar fills the plot, the other is 300/1500 of it.
    heights = [Decimal(rect.get("height", "")) for rect in rects]
    assert heights[1] * 5 == heights[0]
    assert "2023 <J&C>" in [text.text for text in root.iter(f"{SVG}text")]


def test_bar_chart_svg_handles_no_data() -> None:
    root = _parse_svg(bar_chart_svg("Empty", []))
    assert root.findall(f"{SVG}rect") == []


def test_line_chart_svg_draws_one_polyline_per_series_and_escapes_names() -> None:
    series = [
        ("NDC <1> & co", [(date(2024, 4, 2), Decimal("3000.00")), (date(2024, 4, 1), Decimal("1666.67"))]),
        ("GLOBAL", [(date(2024, 4, 1), Decimal("500.00"))]),
    ]
    svg = line_chart_svg("Prices", series)
    root = _parse_svg(svg)
    polylines = root.findall(f"{SVG}polyline")
    assert len(polylines) == 2
    first_points = polylines[0].get("points", "").split()
    assert len(first_points) == 2
    # Points are drawn in date order: x grows left to right.
    xs = [Decimal(point.split(",")[0]) for point in first_points]
    assert xs[0] < xs[1]
    assert polylines[0].findtext(f"{SVG}title") == "NDC <1> & co"
    assert "<1>" not in svg


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def test_statistics_page_embeds_three_charts_and_escapes_the_title() -> None:
    issuance = issuance_volumes(BATCHES.values())
    at = datetime(2024, 4, 1, 10, 0, tzinfo=JST)
    prices = daily_vwap_index([trade("T1", "1500", 1, at)], BATCHES)
    page = statistics_page_html("Market <statistics>", issuance, (), prices)
    assert "Market &lt;statistics&gt;" in page
    parser = _Tags()
    parser.feed(page)
    assert parser.tags.count("svg") == 3
    assert "script" not in parser.tags
    assert "1500.00" in page
