"""Disclosure of credits used (METI report §6.1.2, Figure 12; DOMAIN.md §7), per organization and year.

The report lists the retirements an organization claimed for a year (`retirementYear`, as the contract's
README defines it), one line each, with the credit's attributes and the offset target, plus totals by
credit type and by category, and the cancellations (取消) the organization made that year, which are
offsetting uses too (表 5 第 5 条 2 項三号・四号). Removal credits carry their permanence (ISSB).
Renderers: CSV (RFC 4180, header row, CRLF), JSON (Decimals as strings so
no consumer parses them as binary floats) and a self-contained printable HTML page.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from carbon_runtime.errors import precondition
from carbon_runtime.vocabulary import CancellationPurpose, CreditBasis, CreditCategory, CreditType, RetirementPurpose

from .facts import JST, BatchFacts, CancellationFacts, RetirementFacts, require_aware

#: 「国際的に認められている永続性基準年数は 100 年間である。」 (§2.2 ICROA, Permanent).
PERMANENCE_HORIZON_YEARS = 100


@dataclass(frozen=True, slots=True)
class Permanence:
    """Permanence of a removal credit, as ISSB asks (§6.1.2: ISSB 気候変動開示基準（案） 「カーボン・オフセットに
    関する要求事項として、役割、クレジットのタイプ（排出削減か炭素除去か、炭素除去の場合は自然ベースか技術
    ベースか等）、認証スキーム、永続性等に係る情報開示を明記している。」).

    Stored carbon can be lost again (§2.2 Permanent: 「プロジェクトに可逆性リスクがある場合、…反転（漏洩）が発生した
    場合に備えた保証メカニズムを導入する必要がある。」); what backs it is the buffer set aside at issuance."""

    storage: CreditBasis  # nature-based (forest, soil: reversal risk) or technology-based (geological)
    horizon_years: int  # the reference horizon the storage is measured against
    buffer_quantity_t: int  # set aside in the program's buffer pool at issuance
    issued_quantity_t: int
    buffer_share_percent: Decimal  # buffer / issued x 100, exact


def permanence_of(batch: BatchFacts) -> Permanence | None:
    """Permanence information for a removal credit; None for reductions (nothing stored to lose)."""
    if batch.credit_type is not CreditType.REMOVAL:
        return None
    share = (
        Decimal(batch.buffer_quantity_t * 100) / Decimal(batch.issued_quantity_t)
        if batch.issued_quantity_t
        else Decimal(0)
    )
    return Permanence(
        storage=batch.basis,
        horizon_years=PERMANENCE_HORIZON_YEARS,
        buffer_quantity_t=batch.buffer_quantity_t,
        issued_quantity_t=batch.issued_quantity_t,
        buffer_share_percent=share,
    )


@dataclass(frozen=True, slots=True)
class CancellationLine:
    """One cancellation (取消) the organization made in the year, with the credit's attributes: credits
    cancelled for offsetting (CORSIA, another scheme or voluntary) are used credits to disclose too."""

    cancellation_id: str
    batch_id: str
    quantity_t: int
    purpose: CancellationPurpose
    beneficiary: str
    cancelled_on: date  # the day in Japan time
    vintage_start: date
    vintage_end: date
    country: str
    project_name: str
    methodology: str
    credit_type: CreditType
    basis: CreditBasis
    program: str
    corresponding_adjustment: bool
    serial_ranges: tuple[str, ...]
    permanence: Permanence | None


@dataclass(frozen=True, slots=True)
class DisclosureLine:
    retirement_id: str
    batch_id: str
    quantity_t: int
    vintage_start: date
    vintage_end: date
    country: str
    project_name: str
    methodology: str
    credit_type: CreditType
    basis: CreditBasis
    category: CreditCategory
    program: str
    co_benefits: tuple[int, ...]
    corresponding_adjustment: bool
    purpose: RetirementPurpose
    retirement_year: int
    offset_emissions_tco2e: Decimal | None
    serial_ranges: tuple[str, ...]
    beneficiary: str
    selection_rationale: str
    # Extra to §6.1.2: Japan counts this retirement toward its NDC (JCM, reductions from 2021).
    counts_toward_japan_ndc: bool = False
    # ISSB: permanence of removal credits; None for reductions.
    permanence: Permanence | None = None


@dataclass(frozen=True, slots=True)
class DisclosureReport:
    organization_id: str
    organization_name: str
    year: int
    lines: tuple[DisclosureLine, ...]
    total_quantity_t: int
    # Every enum member is present (0 when unused) so renderers print a stable table.
    totals_by_type_t: Mapping[CreditType, int]
    totals_by_category_t: Mapping[CreditCategory, int]
    # Cancellations made in the year (Japan time), ordered by time then id; not in the totals above,
    # which are what the organization claimed for the year.
    cancellations: tuple[CancellationLine, ...] = ()


def build_disclosure_report(
    organization_id: str,
    year: int,
    retirements: Iterable[RetirementFacts],
    batches: Mapping[str, BatchFacts],
    organization_name: str = "",
    cancellations: Iterable[CancellationFacts] = (),
) -> DisclosureReport:
    """Lines for the retirements `organization_id` claimed for `year`, ordered by time then id, and
    the cancellations it made during `year` (Japan time)."""
    chosen = sorted(
        (r for r in retirements if r.organization_id == organization_id and r.retirement_year == year),
        key=lambda r: (r.retired_at, r.retirement_id),
    )
    lines: list[DisclosureLine] = []
    for retirement in chosen:
        batch = batches.get(retirement.batch_id)
        if batch is None:
            # A line without its credit's attributes would be a misleading disclosure; the read model
            # must catch up with the batch first.
            raise precondition(
                "BATCH_FACTS_MISSING",
                f"retirement {retirement.retirement_id} refers to batch {retirement.batch_id}, "
                "which the reporting read model does not hold yet",
                retirement_id=retirement.retirement_id,
                batch_id=retirement.batch_id,
            )
        lines.append(_line(retirement, batch))
    cancelled = sorted(
        (c for c in cancellations if c.organization_id == organization_id and _jst_day(c).year == year),
        key=lambda c: (c.cancelled_at, c.cancellation_id),
    )
    cancellation_lines = tuple(_cancellation_line(c, _known_batch(batches, c)) for c in cancelled)
    by_type = {credit_type: 0 for credit_type in CreditType}
    by_category = {category: 0 for category in CreditCategory}
    for line in lines:
        by_type[line.credit_type] += line.quantity_t
        by_category[line.category] += line.quantity_t
    return DisclosureReport(
        organization_id=organization_id,
        organization_name=organization_name,
        year=year,
        lines=tuple(lines),
        total_quantity_t=sum(line.quantity_t for line in lines),
        totals_by_type_t=by_type,
        totals_by_category_t=by_category,
        cancellations=cancellation_lines,
    )


def _jst_day(cancellation: CancellationFacts) -> date:
    return (
        require_aware(cancellation.cancelled_at, f"cancellation {cancellation.cancellation_id}").astimezone(JST).date()
    )


def _known_batch(batches: Mapping[str, BatchFacts], cancellation: CancellationFacts) -> BatchFacts:
    batch = batches.get(cancellation.batch_id)
    if batch is None:
        raise precondition(
            "BATCH_FACTS_MISSING",
            f"cancellation {cancellation.cancellation_id} refers to batch {cancellation.batch_id}, "
            "which the reporting read model does not hold yet",
            batch_id=cancellation.batch_id,
        )
    return batch


def _cancellation_line(cancellation: CancellationFacts, batch: BatchFacts) -> CancellationLine:
    return CancellationLine(
        cancellation_id=cancellation.cancellation_id,
        batch_id=batch.batch_id,
        quantity_t=cancellation.quantity_t,
        purpose=cancellation.purpose,
        beneficiary=cancellation.beneficiary,
        cancelled_on=_jst_day(cancellation),
        vintage_start=batch.vintage_start,
        vintage_end=batch.vintage_end,
        country=batch.host_country,
        project_name=batch.project_name,
        methodology=batch.methodology_code,
        credit_type=batch.credit_type,
        basis=batch.basis,
        program=batch.program_id.value,
        corresponding_adjustment=batch.corresponding_adjustment,
        serial_ranges=cancellation.serial_ranges,
        permanence=permanence_of(batch),
    )


def _line(retirement: RetirementFacts, batch: BatchFacts) -> DisclosureLine:
    return DisclosureLine(
        retirement_id=retirement.retirement_id,
        batch_id=batch.batch_id,
        quantity_t=retirement.quantity_t,
        vintage_start=batch.vintage_start,
        vintage_end=batch.vintage_end,
        country=batch.host_country,
        project_name=batch.project_name,
        methodology=batch.methodology_code,
        credit_type=batch.credit_type,
        basis=batch.basis,
        category=batch.category,
        program=batch.program_id.value,
        co_benefits=tuple(sorted(batch.co_benefits)),
        corresponding_adjustment=batch.corresponding_adjustment,
        purpose=retirement.purpose,
        retirement_year=retirement.retirement_year,
        offset_emissions_tco2e=retirement.offset_emissions_tco2e,
        serial_ranges=retirement.serial_ranges,
        beneficiary=retirement.beneficiary,
        selection_rationale=retirement.selection_rationale,
        counts_toward_japan_ndc=retirement.counts_toward_japan_ndc,
        permanence=permanence_of(batch),
    )


CSV_COLUMNS: tuple[str, ...] = (
    "retirement_id",
    "batch_id",
    "quantity_t",
    "vintage_start",
    "vintage_end",
    "country",
    "project_name",
    "methodology",
    "credit_type",
    "basis",
    "category",
    "program",
    "co_benefits",
    "corresponding_adjustment",
    "purpose",
    "retirement_year",
    "offset_emissions_tco2e",
    "serial_ranges",
    "beneficiary",
    "selection_rationale",
)


def _line_fields(line: DisclosureLine) -> dict[str, str]:
    """Display strings per column, shared by CSV and HTML so both say the same thing."""
    return {
        "retirement_id": line.retirement_id,
        "batch_id": line.batch_id,
        "quantity_t": str(line.quantity_t),
        "vintage_start": line.vintage_start.isoformat(),
        "vintage_end": line.vintage_end.isoformat(),
        "country": line.country,
        "project_name": line.project_name,
        "methodology": line.methodology,
        "credit_type": line.credit_type.value,
        "basis": line.basis.value,
        "category": line.category.value,
        "program": line.program,
        "co_benefits": " ".join(str(goal) for goal in line.co_benefits),
        "corresponding_adjustment": "true" if line.corresponding_adjustment else "false",
        "purpose": line.purpose.value,
        "retirement_year": str(line.retirement_year),
        "offset_emissions_tco2e": "" if line.offset_emissions_tco2e is None else str(line.offset_emissions_tco2e),
        "serial_ranges": " ".join(line.serial_ranges),
        "beneficiary": line.beneficiary,
        "selection_rationale": line.selection_rationale,
    }


def render_csv(report: DisclosureReport) -> str:
    """RFC 4180: header row, CRLF line ends, fields quoted when they hold separators or quotes."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    for line in report.lines:
        writer.writerow({k: neutralize_formula(v) for k, v in _line_fields(line).items()})
    return buffer.getvalue()


_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formula(value: object) -> object:
    """Spreadsheets run a cell that starts with = + - @ (or a tab/CR before one) as a formula, so a
    beneficiary named '=HYPERLINK(...)' would execute on the auditor's machine (CSV injection,
    OWASP). Such text cells get a leading apostrophe; numbers are left as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def report_to_dict(report: DisclosureReport) -> dict[str, object]:
    return {
        "organizationId": report.organization_id,
        "organizationName": report.organization_name,
        "year": report.year,
        "totalQuantity": report.total_quantity_t,
        "totalsByType": {k.value: v for k, v in report.totals_by_type_t.items()},
        "totalsByCategory": {k.value: v for k, v in report.totals_by_category_t.items()},
        "lines": [
            {
                "retirementId": line.retirement_id,
                "batchId": line.batch_id,
                "quantity": line.quantity_t,
                "vintageStart": line.vintage_start.isoformat(),
                "vintageEnd": line.vintage_end.isoformat(),
                "country": line.country,
                "projectName": line.project_name,
                "methodology": line.methodology,
                "creditType": line.credit_type.value,
                "basis": line.basis.value,
                "category": line.category.value,
                "program": line.program,
                "coBenefits": list(line.co_benefits),
                "correspondingAdjustment": line.corresponding_adjustment,
                "purpose": line.purpose.value,
                "retirementYear": line.retirement_year,
                # Decimal as string: JSON numbers become binary floats in most consumers.
                "offsetEmissions": None if line.offset_emissions_tco2e is None else str(line.offset_emissions_tco2e),
                "serialRanges": list(line.serial_ranges),
                "beneficiary": line.beneficiary,
                "selectionRationale": line.selection_rationale,
                "permanence": _permanence_dict(line.permanence),
            }
            for line in report.lines
        ],
        "cancellations": [
            {
                "cancellationId": c.cancellation_id,
                "batchId": c.batch_id,
                "quantity": c.quantity_t,
                "purpose": c.purpose.value,
                "beneficiary": c.beneficiary,
                "cancelledOn": c.cancelled_on.isoformat(),
                "vintageStart": c.vintage_start.isoformat(),
                "vintageEnd": c.vintage_end.isoformat(),
                "country": c.country,
                "projectName": c.project_name,
                "methodology": c.methodology,
                "creditType": c.credit_type.value,
                "basis": c.basis.value,
                "program": c.program,
                "correspondingAdjustment": c.corresponding_adjustment,
                "serialRanges": list(c.serial_ranges),
                "permanence": _permanence_dict(c.permanence),
            }
            for c in report.cancellations
        ],
    }


def _permanence_dict(permanence: Permanence | None) -> dict[str, object] | None:
    if permanence is None:
        return None
    return {
        "storage": permanence.storage.value,
        "horizonYears": permanence.horizon_years,
        "bufferQuantity": permanence.buffer_quantity_t,
        "issuedQuantity": permanence.issued_quantity_t,
        "bufferSharePercent": format(permanence.buffer_share_percent, "f"),
    }


def render_json(report: DisclosureReport) -> str:
    """Field names follow the contract's `DisclosureReport` / `DisclosureLine`; keys keep a fixed order."""
    return json.dumps(report_to_dict(report), ensure_ascii=False, indent=2)


PRINT_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #111; }
table { border-collapse: collapse; width: 100%; font-size: 0.85em; margin-bottom: 1.5em; }
th, td { border: 1px solid #999; padding: 0.25em 0.4em; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; }
caption { text-align: left; font-weight: bold; padding: 0.3em 0; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; }
  tr, td, th { page-break-inside: avoid; }
  thead { display: table-header-group; }
}
""".strip()

_HTML_HEADINGS: tuple[tuple[str, str], ...] = (
    ("quantity_t", "Quantity (t)"),
    ("vintage_start", "Vintage start"),
    ("vintage_end", "Vintage end"),
    ("country", "Country"),
    ("project_name", "Project"),
    ("methodology", "Methodology"),
    ("credit_type", "Type"),
    ("basis", "Basis"),
    ("category", "Category"),
    ("program", "Program"),
    ("co_benefits", "Co-benefits (SDGs)"),
    ("corresponding_adjustment", "Corresponding adjustment"),
    ("purpose", "Purpose"),
    ("retirement_year", "Retirement year"),
    ("offset_emissions_tco2e", "Offset emissions (tCO2e)"),
    ("serial_ranges", "Serial ranges"),
    ("beneficiary", "Beneficiary"),
    ("selection_rationale", "Why these credits"),
)
_NUMERIC = frozenset({"quantity_t", "retirement_year", "offset_emissions_tco2e"})


def _cell(tag: str, key: str, text: str) -> str:
    klass = ' class="num"' if key in _NUMERIC else ""
    return f"<{tag}{klass}>{html.escape(text)}</{tag}>"


def render_html(report: DisclosureReport) -> str:
    """One page, no external resources (prints and archives as is); every value is HTML-escaped."""
    who = report.organization_name or report.organization_id
    title = html.escape(f"Carbon credit use disclosure — {who} — {report.year}")
    header = "".join(_cell("th", key, label) for key, label in _HTML_HEADINGS)
    rows = []
    for line in report.lines:
        fields = _line_fields(line)
        rows.append("<tr>" + "".join(_cell("td", key, fields[key]) for key, _ in _HTML_HEADINGS) + "</tr>")
    type_rows = "".join(
        f'<tr><td>{html.escape(k.value)}</td><td class="num">{v}</td></tr>' for k, v in report.totals_by_type_t.items()
    )
    category_rows = "".join(
        f'<tr><td>{html.escape(k.value)}</td><td class="num">{v}</td></tr>'
        for k, v in report.totals_by_category_t.items()
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{PRINT_CSS}</style></head><body>"
        f"<h1>{title}</h1>"
        f"<p>Organization: {html.escape(report.organization_id)}. Total quantity: "
        f"{report.total_quantity_t} t. Items per METI Carbon Credit Report 2022 §6.1.2.</p>"
        f"<table><caption>Credits used</caption><thead><tr>{header}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        '<table><caption>Totals by credit type</caption><thead><tr><th>Type</th><th class="num">'
        f"Quantity (t)</th></tr></thead><tbody>{type_rows}</tbody></table>"
        '<table><caption>Totals by category</caption><thead><tr><th>Category</th><th class="num">'
        f"Quantity (t)</th></tr></thead><tbody>{category_rows}</tbody></table>"
        "</body></html>\n"
    )
