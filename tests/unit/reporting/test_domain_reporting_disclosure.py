"""Disclosure report (METI report §6.1.2; DOMAIN.md §7) and its CSV / JSON / HTML renderers."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.vocabulary import CreditBasis, CreditCategory, CreditType, RetirementPurpose
from services.reporting.domain.disclosure import (
    CSV_COLUMNS,
    DisclosureReport,
    build_disclosure_report,
    render_csv,
    render_html,
    render_json,
)
from services.reporting.domain.facts import BatchFacts, ProgramId, RetirementFacts

JST = timezone(timedelta(hours=9))
ORG = "ORG-A"

FOREST = BatchFacts(
    batch_id="B-FOREST",
    project_id="P-1",
    project_name='Forest <script>alert("x")</script>, Hokkaido',
    program_id=ProgramId.JCREDIT,
    host_country="JP",
    methodology_code="FO-001",
    credit_type=CreditType.REMOVAL,
    basis=CreditBasis.NATURE,
    category=CreditCategory.NDC_CONTRIBUTING,
    vintage_start=date(2022, 4, 1),
    vintage_end=date(2023, 3, 31),
    first_crediting_period_start=date(2019, 4, 1),
    corresponding_adjustment=False,
    co_benefits=(15, 13),
)
COOKSTOVE = replace(
    FOREST,
    batch_id="B-STOVE",
    project_name="Cookstoves",
    program_id=ProgramId.GS,
    host_country="KE",
    methodology_code="GS-TPDDTEC",
    credit_type=CreditType.REDUCTION,
    basis=CreditBasis.TECHNOLOGY,
    category=CreditCategory.GLOBAL,
    co_benefits=(3, 5, 7),
)
BATCHES = {b.batch_id: b for b in (FOREST, COOKSTOVE)}


def retirement(rid: str, batch_id: str, quantity_t: int, year: int, org: str = ORG, day: int = 1) -> RetirementFacts:
    return RetirementFacts(
        retirement_id=rid,
        organization_id=org,
        account_id="ACC-1",
        batch_id=batch_id,
        quantity_t=quantity_t,
        serial_ranges=(f"JP-{rid}-0001-JP-{rid}-0100", f"JP-{rid}-0200-JP-{rid}-0210"),
        purpose=RetirementPurpose.VOLUNTARY_OFFSET,
        beneficiary='ACME "Green", Inc.',
        retirement_year=year,
        retired_at=datetime(2024, 6, day, tzinfo=JST),
        offset_emissions_tco2e=Decimal("120.125") if rid == "R1" else None,
        selection_rationale="Internal policy\nline two",
    )


RETIREMENTS = [
    retirement("R2", "B-STOVE", 40, 2024, day=3),
    retirement("R1", "B-FOREST", 110, 2024, day=2),
    retirement("R3", "B-FOREST", 5, 2023),
    retirement("R4", "B-FOREST", 7, 2024, org="ORG-B"),
]


def report_2024() -> DisclosureReport:
    return build_disclosure_report(ORG, 2024, RETIREMENTS, BATCHES, organization_name="ACME & Co")


def test_disclosure_lists_only_retirements_claimed_for_that_year_by_that_organization() -> None:
    report = report_2024()
    assert [line.retirement_id for line in report.lines] == ["R1", "R2"]
    assert report.total_quantity_t == 150


def test_disclosure_line_carries_every_section_6_1_2_item() -> None:
    line = report_2024().lines[0]
    assert (line.vintage_start, line.vintage_end) == (date(2022, 4, 1), date(2023, 3, 31))
    assert (line.country, line.methodology, line.program) == ("JP", "FO-001", "JCREDIT")
    assert (line.credit_type, line.basis) == (CreditType.REMOVAL, CreditBasis.NATURE)
    assert line.co_benefits == (13, 15)
    assert line.corresponding_adjustment is False
    assert line.offset_emissions_tco2e == Decimal("120.125")
    assert line.retirement_year == 2024
    assert len(line.serial_ranges) == 2


def test_disclosure_totals_by_type_and_category_cover_every_enum_value() -> None:
    report = report_2024()
    assert report.totals_by_type_t == {CreditType.REDUCTION: 40, CreditType.REMOVAL: 110}
    assert report.totals_by_category_t == {
        CreditCategory.NDC_CONTRIBUTING: 110,
        CreditCategory.DOMESTIC_REMOVAL: 0,
        CreditCategory.JAPAN_ECONOMY: 0,
        CreditCategory.GLOBAL: 40,
    }


def test_disclosure_refuses_retirement_whose_batch_is_not_in_the_read_model() -> None:
    with pytest.raises(DomainError) as raised:
        build_disclosure_report(ORG, 2024, [retirement("R9", "B-NONE", 1, 2024)], BATCHES)
    assert raised.value.code is ErrorCode.FAILED_PRECONDITION


def test_csv_is_rfc4180_with_header_and_parses_back_to_the_same_values() -> None:
    text = render_csv(report_2024())
    assert text.endswith("\r\n")
    assert text.split("\r\n", 1)[0] == ",".join(CSV_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [row["retirement_id"] for row in rows] == ["R1", "R2"]
    first = rows[0]
    assert first["project_name"] == FOREST.project_name
    assert first["beneficiary"] == 'ACME "Green", Inc.'
    assert first["selection_rationale"] == "Internal policy\nline two"
    assert first["offset_emissions_tco2e"] == "120.125"
    assert rows[1]["offset_emissions_tco2e"] == ""
    assert first["co_benefits"] == "13 15"


def test_json_renders_decimals_as_strings_and_contract_field_names() -> None:
    data = json.loads(render_json(report_2024()))
    assert data["totalQuantity"] == 150
    assert data["lines"][0]["offsetEmissions"] == "120.125"
    assert data["lines"][1]["offsetEmissions"] is None
    assert data["totalsByCategory"]["GLOBAL"] == 40
    contract_fields = {
        "quantity", "vintageStart", "vintageEnd", "country", "projectName", "methodology", "creditType",
        "basis", "program", "coBenefits", "correspondingAdjustment", "purpose", "retirementYear",
        "offsetEmissions",
    }  # fmt: skip
    assert contract_fields <= set(data["lines"][0])


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_escapes_every_value_and_is_self_contained_and_printable() -> None:
    page = render_html(report_2024())
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "ACME &amp; Co" in page
    assert "@media print" in page
    assert "http://" not in page
    assert "https://" not in page
    parser = _TextCollector()
    parser.feed(page)
    assert "script" not in parser.tags
    assert FOREST.project_name in "".join(parser.text)


def test_disclosure_line_carries_the_registrys_japan_ndc_flag_of_the_retirement() -> None:
    counted = replace(RETIREMENTS[0], counts_toward_japan_ndc=True)
    report = build_disclosure_report(ORG, 2024, [counted, RETIREMENTS[1]], BATCHES)
    assert {line.retirement_id: line.counts_toward_japan_ndc for line in report.lines} == {"R1": False, "R2": True}


def test_disclosure_lists_cancellations_for_offsetting_and_permanence_of_removals() -> None:
    """図 12 「カーボン・クレジット活用時の望ましい情報開示項目（例）」 and §6.1.2: ISSB 「カーボン・オフセットに関する
    要求事項として、役割、クレジットのタイプ（…炭素除去の場合は自然ベースか技術ベースか等）、認証スキーム、永続性等
    に係る情報開示を明記している。」; 表 5 第 5 条 2 項四号 「取消しすることによるカーボン・オフセット及びその他への
    活用」. A forest removal retirement carries its permanence (nature storage, 100-year horizon, 10 % buffer);
    a reduction carries none; the organization's cancellation for offsetting in the year is listed, dated in
    Japan time, and another organization's or another year's is not."""
    from carbon_runtime.vocabulary import CancellationPurpose
    from services.reporting.domain.facts import CancellationFacts

    forest = replace(FOREST, issued_quantity_t=1000, buffer_quantity_t=100)
    batches = {forest.batch_id: forest, COOKSTOVE.batch_id: COOKSTOVE}
    retirements = [
        RetirementFacts(
            "R-F", ORG, "A", "B-FOREST", 10, (), RetirementPurpose.VOLUNTARY_OFFSET, ORG, 2024,
            datetime(2024, 5, 1, tzinfo=JST),
        ),
        RetirementFacts(
            "R-S", ORG, "A", "B-STOVE", 5, (), RetirementPurpose.VOLUNTARY_OFFSET, ORG, 2024,
            datetime(2024, 5, 2, tzinfo=JST),
        ),
    ]  # fmt: skip
    new_year_in_tokyo = datetime(2023, 12, 31, 16, 30, tzinfo=UTC)  # 2024-01-01 01:30 JST
    offset, corsia = CancellationPurpose.VOLUNTARY_OFFSET, CancellationPurpose.CORSIA
    last_june = datetime(2023, 6, 1, tzinfo=JST)
    cancellations = [
        CancellationFacts("C-1", ORG, "B-STOVE", 7, ("S-1",), offset, "Event", new_year_in_tokyo),
        CancellationFacts("C-2", "ORG-B", "B-STOVE", 3, (), corsia, "Air", new_year_in_tokyo),
        CancellationFacts("C-3", ORG, "B-STOVE", 4, (), corsia, "Air", last_june),
    ]
    report = build_disclosure_report(ORG, 2024, retirements, batches, cancellations=cancellations)
    forest_line, stove_line = report.lines
    assert forest_line.permanence is not None
    assert (forest_line.permanence.storage, forest_line.permanence.horizon_years) == (CreditBasis.NATURE, 100)
    assert forest_line.permanence.buffer_share_percent == Decimal(10)
    assert stove_line.permanence is None
    assert [(c.cancellation_id, c.quantity_t, c.cancelled_on) for c in report.cancellations] == [
        ("C-1", 7, date(2024, 1, 1))
    ]
    assert report.cancellations[0].purpose is CancellationPurpose.VOLUNTARY_OFFSET
    assert report.total_quantity_t == 15  # cancellations are listed, not claimed for the year
    assert json.loads(render_json(report))["cancellations"][0]["cancellationId"] == "C-1"
