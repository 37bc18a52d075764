"""Public market statistics: volumes, a per-category price index, and SVG/HTML renderers.

The METI report asks that prices of diverse credits be published so that they act as carbon-pricing
signals per credit type and category (§3.1.3, §6.3; DOMAIN.md §9). Everything here is deterministic:
the same facts always give byte-identical SVG and HTML, so pages can be cached and diffed.

Chart geometry uses Decimal too: no floats anywhere, and coordinates print identically on every platform.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from carbon_runtime.errors import precondition
from carbon_runtime.vocabulary import CreditCategory, CreditType

from .facts import JST, BatchFacts, RetirementFacts, TradeFacts, require_aware

PRICE_QUANTUM = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class VolumeRow:
    year: int
    program: str
    credit_type: CreditType
    category: CreditCategory
    quantity_t: int


@dataclass(frozen=True, slots=True)
class PricePoint:
    day: date
    category: CreditCategory
    currency: str
    vwap: Decimal  # per tonne, quantized to 0.01 half-up
    volume_t: int
    trade_count: int


def _batch(batches: Mapping[str, BatchFacts], batch_id: str, referrer: str) -> BatchFacts:
    batch = batches.get(batch_id)
    if batch is None:
        raise precondition(
            "BATCH_FACTS_MISSING",
            f"{referrer} refers to batch {batch_id}, which the reporting read model does not hold yet",
            batch_id=batch_id,
        )
    return batch


def _rows(totals: Mapping[tuple[int, str, CreditType, CreditCategory], int]) -> tuple[VolumeRow, ...]:
    return tuple(
        VolumeRow(year, program, credit_type, category, quantity)
        for (year, program, credit_type, category), quantity in sorted(totals.items())
    )


def issuance_volumes(batches: Iterable[BatchFacts]) -> tuple[VolumeRow, ...]:
    """Issued tonnes (buffer included, like `issuedQuantity`) by issuance year, program, type, category."""
    totals: dict[tuple[int, str, CreditType, CreditCategory], int] = defaultdict(int)
    for batch in batches:
        if batch.issued_on is None:
            # Dropping it would understate published supply; the read model must carry the date.
            raise precondition("ISSUANCE_DATE_MISSING", f"batch {batch.batch_id} has no issuance date")
        key = (batch.issued_on.year, batch.program_id.value, batch.credit_type, batch.category)
        totals[key] += batch.issued_quantity_t
    return _rows(totals)


def retirement_volumes(
    retirements: Iterable[RetirementFacts], batches: Mapping[str, BatchFacts], tz: tzinfo = JST
) -> tuple[VolumeRow, ...]:
    """Retired tonnes by the calendar year they left circulation (not the year claimed for)."""
    totals: dict[tuple[int, str, CreditType, CreditCategory], int] = defaultdict(int)
    for retirement in retirements:
        batch = _batch(batches, retirement.batch_id, f"retirement {retirement.retirement_id}")
        year = require_aware(retirement.retired_at, "retiredAt").astimezone(tz).year
        totals[(year, batch.program_id.value, batch.credit_type, batch.category)] += retirement.quantity_t
    return _rows(totals)


def totals_by_year(rows: Iterable[VolumeRow]) -> dict[int, int]:
    totals: dict[int, int] = defaultdict(int)
    for row in rows:
        totals[row.year] += row.quantity_t
    return dict(sorted(totals.items()))


def daily_vwap_index(
    trades: Iterable[TradeFacts], batches: Mapping[str, BatchFacts], tz: tzinfo = JST
) -> tuple[PricePoint, ...]:
    """Volume-weighted average price per category, currency and trading day (in `tz`).

    Only settled trades count: before settlement the delivered batch, and so its category, is unknown.
    Currencies are never mixed, because converting would publish an FX rate as a carbon price.
    """
    notional: dict[tuple[CreditCategory, str, date], Decimal] = defaultdict(Decimal)
    volume: dict[tuple[CreditCategory, str, date], int] = defaultdict(int)
    count: dict[tuple[CreditCategory, str, date], int] = defaultdict(int)
    for trade in trades:
        if not trade.settled or trade.batch_id is None or trade.quantity_t <= 0:
            continue
        batch = _batch(batches, trade.batch_id, f"trade {trade.trade_id}")
        day = require_aware(trade.executed_at, "executedAt").astimezone(tz).date()
        key = (batch.category, trade.currency, day)
        notional[key] += trade.price * trade.quantity_t
        volume[key] += trade.quantity_t
        count[key] += 1
    return tuple(
        PricePoint(
            day=day,
            category=category,
            currency=currency,
            vwap=(notional[(category, currency, day)] / volume[(category, currency, day)]).quantize(
                PRICE_QUANTUM, rounding=ROUND_HALF_UP
            ),
            volume_t=volume[(category, currency, day)],
            trade_count=count[(category, currency, day)],
        )
        for category, currency, day in sorted(volume, key=lambda k: (list(CreditCategory).index(k[0]), k[1], k[2]))
    )


# --- SVG ---------------------------------------------------------------------------------------------

CHART_WIDTH = 640
CHART_HEIGHT = 360
_MARGIN_LEFT = 70
_MARGIN_RIGHT = 20
_MARGIN_TOP = 40
_MARGIN_BOTTOM = 60
_PLOT_W = CHART_WIDTH - _MARGIN_LEFT - _MARGIN_RIGHT
_PLOT_H = CHART_HEIGHT - _MARGIN_TOP - _MARGIN_BOTTOM
_PALETTE = ("#1b7837", "#2166ac", "#b2182b", "#e08214", "#762a83", "#4d4d4d")
_GRID_STEPS = 4
_PX = Decimal("0.01")


def _px(value: Decimal | int) -> str:
    return str(Decimal(value).quantize(_PX, rounding=ROUND_HALF_UP))


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _svg_open(title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" height="{CHART_HEIGHT}" '
        f'viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" role="img" font-family="sans-serif" font-size="11">',
        f"<title>{_esc(title)}</title>",
        f'<text x="{CHART_WIDTH // 2}" y="20" text-anchor="middle" font-size="14">{_esc(title)}</text>',
    ]


def _y_axis(max_value: Decimal, unit: str) -> list[str]:
    parts = []
    for step in range(_GRID_STEPS + 1):
        value = max_value * step / _GRID_STEPS
        y = Decimal(_MARGIN_TOP + _PLOT_H) - Decimal(_PLOT_H) * step / _GRID_STEPS
        label = value.quantize(_PX, rounding=ROUND_HALF_UP).normalize()
        parts.append(
            f'<line x1="{_MARGIN_LEFT}" y1="{_px(y)}" x2="{_MARGIN_LEFT + _PLOT_W}" y2="{_px(y)}" '
            'stroke="#ddd"/>'
            f'<text x="{_MARGIN_LEFT - 6}" y="{_px(y + 4)}" text-anchor="end">{_esc(f"{label:f}")}</text>'
        )
    parts.append(
        f'<text x="14" y="{_MARGIN_TOP + _PLOT_H // 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {_MARGIN_TOP + _PLOT_H // 2})">{_esc(unit)}</text>'
    )
    return parts


def _scale_max(values: Iterable[Decimal]) -> Decimal:
    top = max(values, default=Decimal(0))
    # An all-zero chart still needs a non-zero scale to avoid dividing by zero.
    return top if top > 0 else Decimal(1)


def bar_chart_svg(title: str, bars: Sequence[tuple[str, int | Decimal]], unit: str = "t") -> str:
    values = [Decimal(value) for _, value in bars]
    top = _scale_max(values)
    parts = _svg_open(title) + _y_axis(top, unit)
    if bars:
        slot = Decimal(_PLOT_W) / len(bars)
        bar_w = slot * Decimal("0.7")
        for index, ((label, _), value) in enumerate(zip(bars, values, strict=True)):
            height = Decimal(_PLOT_H) * value / top
            x = Decimal(_MARGIN_LEFT) + slot * index + (slot - bar_w) / 2
            y = Decimal(_MARGIN_TOP + _PLOT_H) - height
            center = x + bar_w / 2
            parts.append(
                f'<rect x="{_px(x)}" y="{_px(y)}" width="{_px(bar_w)}" height="{_px(height)}" '
                f'fill="{_PALETTE[0]}"><title>{_esc(f"{label}: {value}")}</title></rect>'
                f'<text x="{_px(center)}" y="{_MARGIN_TOP + _PLOT_H + 16}" text-anchor="middle">'
                f"{_esc(label)}</text>"
            )
    parts.append(
        f'<line x1="{_MARGIN_LEFT}" y1="{_MARGIN_TOP + _PLOT_H}" x2="{_MARGIN_LEFT + _PLOT_W}" '
        f'y2="{_MARGIN_TOP + _PLOT_H}" stroke="#333"/></svg>'
    )
    return "".join(parts)


def line_chart_svg(
    title: str, series: Sequence[tuple[str, Sequence[tuple[date, Decimal]]]], unit: str = "price"
) -> str:
    """One polyline per named series over a shared date axis; a legend names each series."""
    all_points = [point for _, points in series for point in points]
    top = _scale_max(value for _, value in all_points)
    parts = _svg_open(title) + _y_axis(top, unit)
    if all_points:
        first = min(day for day, _ in all_points).toordinal()
        last = max(day for day, _ in all_points).toordinal()
        span = last - first

        def x_of(day: date) -> Decimal:
            if span == 0:
                return Decimal(_MARGIN_LEFT) + Decimal(_PLOT_W) / 2
            return Decimal(_MARGIN_LEFT) + Decimal(_PLOT_W) * (day.toordinal() - first) / span

        def y_of(value: Decimal) -> Decimal:
            return Decimal(_MARGIN_TOP + _PLOT_H) - Decimal(_PLOT_H) * value / top

        for label_day in sorted({date.fromordinal(first), date.fromordinal(last)}):
            parts.append(
                f'<text x="{_px(x_of(label_day))}" y="{_MARGIN_TOP + _PLOT_H + 16}" text-anchor="middle">'
                f"{label_day.isoformat()}</text>"
            )
        for index, (name, points) in enumerate(series):
            colour = _PALETTE[index % len(_PALETTE)]
            ordered = sorted(points)
            coords = " ".join(f"{_px(x_of(day))},{_px(y_of(value))}" for day, value in ordered)
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coords}">'
                f"<title>{_esc(name)}</title></polyline>"
            )
            for day, value in ordered:
                parts.append(
                    f'<circle cx="{_px(x_of(day))}" cy="{_px(y_of(value))}" r="2.5" fill="{colour}">'
                    f"<title>{_esc(f'{name} {day.isoformat()}: {value}')}</title></circle>"
                )
            legend_y = _MARGIN_TOP + _PLOT_H + 32 + 12 * (index // 3)
            legend_x = _MARGIN_LEFT + 190 * (index % 3)
            parts.append(
                f'<rect x="{legend_x}" y="{legend_y - 8}" width="10" height="10" fill="{colour}"/>'
                f'<text x="{legend_x + 14}" y="{legend_y + 1}">{_esc(name)}</text>'
            )
    parts.append(
        f'<line x1="{_MARGIN_LEFT}" y1="{_MARGIN_TOP + _PLOT_H}" x2="{_MARGIN_LEFT + _PLOT_W}" '
        f'y2="{_MARGIN_TOP + _PLOT_H}" stroke="#333"/></svg>'
    )
    return "".join(parts)


def price_series(points: Iterable[PricePoint]) -> list[tuple[str, list[tuple[date, Decimal]]]]:
    """Group index points into chart series named "<CATEGORY> (<currency>)", in category order."""
    grouped: dict[tuple[CreditCategory, str], list[tuple[date, Decimal]]] = defaultdict(list)
    for point in points:
        grouped[(point.category, point.currency)].append((point.day, point.vwap))
    order = list(CreditCategory)
    return [
        (f"{category.value} ({currency})", sorted(values))
        for (category, currency), values in sorted(grouped.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1]))
    ]


_PAGE_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #111; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #999; padding: 0.2em 0.5em; }
td.num { text-align: right; }
figure { margin: 1em 0; }
@media print { body { margin: 0; } figure, table { page-break-inside: avoid; } }
""".strip()


def _volume_table(caption: str, rows: Sequence[VolumeRow]) -> str:
    body = "".join(
        f"<tr><td>{row.year}</td><td>{_esc(row.program)}</td><td>{row.credit_type.value}</td>"
        f'<td>{row.category.value}</td><td class="num">{row.quantity_t}</td></tr>'
        for row in rows
    )
    return (
        f"<table><caption>{_esc(caption)}</caption><thead><tr><th>Year</th><th>Program</th><th>Type</th>"
        f"<th>Category</th><th>Quantity (t)</th></tr></thead><tbody>{body}</tbody></table>"
    )


def statistics_page_html(
    title: str,
    issuance: Sequence[VolumeRow],
    retirements: Sequence[VolumeRow],
    prices: Sequence[PricePoint],
) -> str:
    """A self-contained public page: inline SVG charts and the tables behind them, no scripts."""
    issued_by_year = [(str(year), quantity) for year, quantity in totals_by_year(issuance).items()]
    retired_by_year = [(str(year), quantity) for year, quantity in totals_by_year(retirements).items()]
    price_rows = "".join(
        f"<tr><td>{point.day.isoformat()}</td><td>{point.category.value}</td><td>{_esc(point.currency)}</td>"
        f'<td class="num">{point.vwap}</td><td class="num">{point.volume_t}</td>'
        f'<td class="num">{point.trade_count}</td></tr>'
        for point in prices
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{_esc(title)}</title>'
        f"<style>{_PAGE_CSS}</style></head><body><h1>{_esc(title)}</h1>"
        f"<figure>{bar_chart_svg('Issued per year (t)', issued_by_year)}</figure>"
        f"<figure>{bar_chart_svg('Retired per year (t)', retired_by_year)}</figure>"
        f"<figure>{line_chart_svg('Daily VWAP per category', price_series(prices))}</figure>"
        f"{_volume_table('Issuance', issuance)}{_volume_table('Retirements', retirements)}"
        "<table><caption>Price index (daily VWAP)</caption><thead><tr><th>Day</th><th>Category</th>"
        "<th>Currency</th><th>VWAP</th><th>Volume (t)</th><th>Trades</th></tr></thead>"
        f"<tbody>{price_rows}</tbody></table></body></html>\n"
    )
