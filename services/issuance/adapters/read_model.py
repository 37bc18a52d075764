"""Reads for the GraphQL and gRPC entrypoints: plain views straight from the tables (no aggregates).

Only ISSUED batches are visible: a PENDING issuance has no serials yet and holds no credits.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, Row, and_, or_, select

from carbon_runtime.errors import invalid
from services.issuance.adapters import tables as t

T = TypeVar("T")

DEFAULT_PAGE = 100
MAX_PAGE = 500


@dataclass(frozen=True)
class ProgramView:
    program_id: str
    name: str
    operator: str
    scope: str
    japanese: bool
    icroa_endorsed: bool
    corresponding_adjustment_possible: bool
    allowed_host_countries: tuple[str, ...] | None
    buffer_account_id: str | None


@dataclass(frozen=True)
class MethodologyView:
    methodology_id: str
    program_id: str
    code: str
    title: str
    credit_type: str
    basis: str
    sector: str
    family: str
    exchange_category: str | None


@dataclass(frozen=True)
class ProjectView:
    project_id: str
    name: str
    program_id: str
    methodology_id: str
    country: str
    region: str | None
    proponent_org_id: str
    verifier_org_id: str | None
    crediting_period_start: date | None
    crediting_period_end: date | None
    co_benefits: tuple[int, ...]
    status: str
    origin_project_id: str | None
    registered_on: date | None
    created_at: datetime
    reversal_shortfall_t: int
    reversal_risk: str | None


@dataclass(frozen=True)
class ReportView:
    report_id: str
    project_id: str
    period_start: date
    period_end: date
    baseline_emissions: str
    project_emissions: str
    leakage_emissions: str
    project_removals: str | None
    baseline_removals: str | None
    net_quantity: str
    claimed_quantity_t: int
    status: str
    verified_quantity_t: int | None
    verifier_org_id: str | None
    submitted_at: datetime


@dataclass(frozen=True)
class BatchView:
    batch_id: str
    issuance_id: str
    project_id: str
    monitoring_report_id: str
    program_id: str
    methodology_id: str
    country: str
    vintage_start: date
    vintage_end: date
    issued_quantity_t: int
    buffer_quantity_t: int
    serial_start: str
    serial_end: str
    credit_type: str
    basis: str
    category: str
    exchange_category: str | None
    corresponding_adjustment: bool
    authorization: str
    co_benefits: tuple[int, ...]
    issuer_organization_id: str
    project_name: str
    program_name: str
    methodology_title: str
    registered_on: date | None
    holder_account_id: str
    buffer_account_id: str | None
    issued_at: datetime
    issue_seq: int


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    end_cursor: str | None
    has_next_page: bool


@dataclass(frozen=True)
class ProjectFilterArgs:
    program_id: str | None = None
    country: str | None = None
    status: str | None = None
    credit_type: str | None = None
    proponent_org_id: str | None = None


def _encode(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode()


def _decode(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid("INVALID_CURSOR", "the cursor is not one this API returned") from None


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if first < 1 or first > MAX_PAGE:
        raise invalid("INVALID_PAGE_SIZE", f"first must be between 1 and {MAX_PAGE}")
    return first


def _program(r: Row[Any]) -> ProgramView:
    countries = r.allowed_host_countries
    return ProgramView(
        r.program_id,
        r.name,
        r.operator,
        r.scope,
        r.japanese,
        r.icroa_endorsed,
        r.corresponding_adjustment_possible,
        tuple(countries) if countries is not None else None,
        r.buffer_account_id,
    )


def _methodology(r: Row[Any]) -> MethodologyView:
    return MethodologyView(
        r.methodology_id, r.program_id, r.code, r.title, r.credit_type, r.basis, r.sector, r.family, r.exchange_category
    )


def _project(r: Row[Any]) -> ProjectView:
    return ProjectView(
        project_id=r.project_id,
        name=r.name,
        program_id=r.program_id,
        methodology_id=r.methodology_id,
        country=r.host_country,
        region=r.region,
        proponent_org_id=r.proponent_org_id,
        verifier_org_id=r.verifier_org_id,
        crediting_period_start=r.crediting_period_start,
        crediting_period_end=r.crediting_period_end,
        co_benefits=tuple(r.co_benefits),
        status=r.status,
        origin_project_id=r.origin_project_id,
        registered_on=r.registered_on,
        created_at=r.created_at,
        reversal_shortfall_t=r.reversal_shortfall_t,
        reversal_risk=r.permanence["reversal_risk"] if r.permanence else None,
    )


def _report(r: Row[Any]) -> ReportView:
    return ReportView(
        report_id=r.report_id,
        project_id=r.project_id,
        period_start=r.period_start,
        period_end=r.period_end,
        baseline_emissions=r.baseline_emissions,
        project_emissions=r.project_emissions,
        leakage_emissions=r.leakage_emissions,
        project_removals=r.project_removals,
        baseline_removals=r.baseline_removals,
        net_quantity=r.net_quantity,
        claimed_quantity_t=r.claimed_quantity_t,
        status=r.status,
        verified_quantity_t=r.verified_quantity_t,
        verifier_org_id=r.verifier_org_id,
        submitted_at=r.submitted_at,
    )


def _batch(r: Row[Any]) -> BatchView:
    return BatchView(
        batch_id=r.id,
        issuance_id=r.issuance_id,
        project_id=r.project_id,
        monitoring_report_id=r.monitoring_report_id,
        program_id=r.program_id,
        methodology_id=r.methodology_id,
        country=r.country,
        vintage_start=r.vintage_start,
        vintage_end=r.vintage_end,
        issued_quantity_t=r.issued_quantity,
        buffer_quantity_t=r.buffer_quantity,
        serial_start=r.serial_start,
        serial_end=r.serial_end,
        credit_type=r.credit_type,
        basis=r.basis,
        category=r.category,
        exchange_category=r.exchange_category,
        corresponding_adjustment=r.corresponding_adjustment,
        authorization=r.authorization,
        co_benefits=tuple(r.co_benefits),
        issuer_organization_id=r.issuer_organization_id,
        project_name=r.project_name,
        program_name=r.program_name,
        methodology_title=r.methodology_title,
        registered_on=r.registered_on,
        holder_account_id=r.holder_account_id,
        buffer_account_id=r.buffer_account_id,
        issued_at=r.issued_at,
        issue_seq=r.issue_seq,
    )


class ReadModel:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _all(self, stmt: Any) -> Sequence[Row[Any]]:
        with self.engine.connect() as conn:
            return list(conn.execute(stmt))

    def _first(self, stmt: Any) -> Row[Any] | None:
        with self.engine.connect() as conn:
            row: Row[Any] | None = conn.execute(stmt).first()
            return row

    # reference data

    def programs(self) -> list[ProgramView]:
        return [_program(r) for r in self._all(select(t.programs).order_by(t.programs.c.program_id))]

    def program(self, program_id: str) -> ProgramView | None:
        row = self._first(select(t.programs).where(t.programs.c.program_id == program_id))
        return _program(row) if row is not None else None

    def methodologies(self, program_id: str | None = None) -> list[MethodologyView]:
        m = t.methodologies
        stmt = select(m).order_by(m.c.methodology_id)
        if program_id is not None:
            stmt = stmt.where(m.c.program_id == program_id)
        return [_methodology(r) for r in self._all(stmt)]

    def methodology(self, methodology_id: str) -> MethodologyView | None:
        row = self._first(select(t.methodologies).where(t.methodologies.c.methodology_id == methodology_id))
        return _methodology(row) if row is not None else None

    # projects

    def project(self, project_id: str) -> ProjectView | None:
        row = self._first(select(t.projects).where(t.projects.c.project_id == project_id))
        return _project(row) if row is not None else None

    def projects(self, flt: ProjectFilterArgs, first: int | None, after: str | None) -> Page[ProjectView]:
        p, m = t.projects, t.methodologies
        size = page_size(first)
        stmt = select(p).join(m, m.c.methodology_id == p.c.methodology_id)
        if flt.program_id is not None:
            stmt = stmt.where(p.c.program_id == flt.program_id)
        if flt.country is not None:
            stmt = stmt.where(p.c.host_country == flt.country)
        if flt.status is not None:
            stmt = stmt.where(p.c.status == flt.status)
        if flt.credit_type is not None:
            stmt = stmt.where(m.c.credit_type == flt.credit_type)
        if flt.proponent_org_id is not None:
            stmt = stmt.where(p.c.proponent_org_id == flt.proponent_org_id)
        if after is not None:
            created_iso, _, last_id = _decode(after).partition("|")
            try:
                created = datetime.fromisoformat(created_iso)
            except ValueError:
                raise invalid("INVALID_CURSOR", "the cursor is not one this API returned") from None
            stmt = stmt.where(or_(p.c.created_at > created, and_(p.c.created_at == created, p.c.project_id > last_id)))
        rows = self._all(stmt.order_by(p.c.created_at, p.c.project_id).limit(size + 1))
        items = [_project(r) for r in rows[:size]]
        cursor = _encode(f"{items[-1].created_at.isoformat()}|{items[-1].project_id}") if items else None
        return Page(items, cursor, len(rows) > size)

    # monitoring reports

    def _report_stmt(self) -> Any:
        r, v = t.monitoring_reports, t.verifications
        return select(r, v.c.verifier_org_id, v.c.verified_quantity_t).outerjoin(v, v.c.report_id == r.c.report_id)

    def report(self, report_id: str) -> ReportView | None:
        row = self._first(self._report_stmt().where(t.monitoring_reports.c.report_id == report_id))
        return _report(row) if row is not None else None

    def reports_of(self, project_id: str) -> list[ReportView]:
        r = t.monitoring_reports
        stmt = self._report_stmt().where(r.c.project_id == project_id).order_by(r.c.period_start)
        return [_report(row) for row in self._all(stmt)]

    # batches

    def batch(self, batch_id: str) -> BatchView | None:
        b = t.credit_batches
        row = self._first(select(b).where(b.c.id == batch_id, b.c.state == "ISSUED"))
        return _batch(row) if row is not None else None

    def batches(
        self,
        *,
        project_id: str | None = None,
        program_id: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Page[BatchView]:
        b = t.credit_batches
        size = page_size(first)
        stmt = select(b).where(b.c.state == "ISSUED")
        if project_id:
            stmt = stmt.where(b.c.project_id == project_id)
        if program_id:
            stmt = stmt.where(b.c.program_id == program_id)
        if after:
            decoded = _decode(after)
            if not decoded.isdigit():
                raise invalid("INVALID_CURSOR", "the cursor is not one this API returned")
            stmt = stmt.where(b.c.issue_seq > int(decoded))
        rows = self._all(stmt.order_by(b.c.issue_seq).limit(size + 1))
        items = [_batch(r) for r in rows[:size]]
        cursor = _encode(str(items[-1].issue_seq)) if items else None
        return Page(items, cursor, len(rows) > size)

    def issued_totals(self, batch_ids: Sequence[str]) -> list[tuple[str, int, int]]:
        b = t.credit_batches
        stmt = select(b.c.id, b.c.issued_quantity, b.c.buffer_quantity).where(b.c.state == "ISSUED")
        if batch_ids:
            stmt = stmt.where(b.c.id.in_(list(batch_ids)))
        return [(r.id, r.issued_quantity, r.buffer_quantity) for r in self._all(stmt.order_by(b.c.id))]
