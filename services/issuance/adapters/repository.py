"""SQLAlchemy implementations of the service's repository ports: load and save the domain aggregates
(SQL lives here and in tables.py/read_model.py only). Every aggregate handed out or added is tracked
by the unit of work, which collects the events it raises.

On PostgreSQL `for_update=True` takes a row lock (SELECT ... FOR UPDATE) so that a read-check-write
on one project or report is serialised; on SQLite every transaction already holds the write lock
(BEGIN IMMEDIATE, see carbon_runtime.persistence.db).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from carbon_runtime.errors import not_found
from carbon_runtime.vocabulary import Authorization, CreditCategory
from services.issuance.adapters import tables as t
from services.issuance.domain.duplicates import (
    DuplicateBasis,
    DuplicateMatch,
    OtherRegistration,
    RegistrationStatus,
)
from services.issuance.domain.monitoring import (
    MonitoringReport,
    MonitoringReportStatus,
    Quantification,
    ReductionQuantification,
    RemovalQuantification,
)
from services.issuance.domain.periods import Period
from services.issuance.domain.project import Project, ProjectStatus, StatusChange
from services.issuance.domain.reference_data import (
    CreditBasis,
    CreditType,
    ExchangeCategory,
    Methodology,
    MethodologyFamily,
    Program,
    ProgramScope,
    Sector,
)
from services.issuance.domain.values import (
    Additionality,
    AdditionalityTest,
    Article6Authorization,
    AuthorizationPurpose,
    JapanTies,
    Permanence,
    ProjectDocument,
    ReversalRisk,
    Site,
)
from services.issuance.service.ports import (
    BatchRecord,
    ImportedOrigin,
    LoadedReport,
    MintOrder,
    ProgramSettings,
    ReportFigures,
    ReversalRecord,
)

_AUTHORIZATION_PREFIX = "AUTHORIZATION_"
_TERMINAL = {ProjectStatus.REJECTED.value, ProjectStatus.WITHDRAWN.value}


# ---- row <-> domain ---------------------------------------------------------------------------


def program_from_row(row: Row[Any]) -> Program:
    countries = row.allowed_host_countries
    return Program(
        row.program_id,
        row.name,
        row.operator,
        ProgramScope(row.scope),
        japanese=row.japanese,
        icroa_endorsed=row.icroa_endorsed,
        corresponding_adjustment_possible=row.corresponding_adjustment_possible,
        allowed_host_countries=frozenset(countries) if countries is not None else None,
    )


def program_values(program: Program) -> dict[str, Any]:
    countries = program.allowed_host_countries
    return {
        "program_id": program.program_id,
        "name": program.name,
        "operator": program.operator,
        "scope": program.scope.value,
        "japanese": program.japanese,
        "icroa_endorsed": program.icroa_endorsed,
        "corresponding_adjustment_possible": program.corresponding_adjustment_possible,
        "allowed_host_countries": sorted(countries) if countries is not None else None,
    }


def methodology_from_row(row: Row[Any]) -> Methodology:
    return Methodology(
        row.methodology_id,
        row.program_id,
        row.code,
        row.title,
        CreditType(row.credit_type),
        CreditBasis(row.basis),
        Sector(row.sector),
        MethodologyFamily(row.family),
        ExchangeCategory(row.exchange_category) if row.exchange_category else None,
    )


def methodology_values(m: Methodology) -> dict[str, Any]:
    return {
        "methodology_id": m.methodology_id,
        "program_id": m.program_id,
        "code": m.code,
        "title": m.title,
        "credit_type": m.credit_type.value,
        "basis": m.basis.value,
        "sector": m.sector.value,
        "family": m.family.value,
        "exchange_category": m.exchange_category.value if m.exchange_category else None,
    }


def _project_values(p: Project) -> dict[str, Any]:
    period = p.crediting_period
    ties = p.japan_ties
    auth = p.authorization
    return {
        "project_id": p.project_id,
        "name": p.name,
        "program_id": p.program.program_id,
        "methodology_id": p.methodology.methodology_id,
        "host_country": p.host_country,
        "region": p.region,
        "proponent_org_id": p.proponent_org_id,
        "verifier_org_id": p.verifier_org_id,
        "crediting_period_start": period.start if period else None,
        "crediting_period_end": period.end if period else None,
        "co_benefits": list(p.co_benefits),
        "additionality": (
            {"test": p.additionality.test.value, "evidence": p.additionality.evidence} if p.additionality else None
        ),
        "permanence": (
            {"reversal_risk": p.permanence.reversal_risk.value, "commitment_years": p.permanence.commitment_years}
            if p.permanence
            else None
        ),
        "japan_ties": {
            "japanese_technology": ties.japanese_technology,
            "japanese_investment_share": str(ties.japanese_investment_share),
            "long_term_offtake_by_japanese_company": ties.long_term_offtake_by_japanese_company,
            "forward_investment": ties.forward_investment,
            "japan_energy": ties.japan_energy,
        },
        "authorization": (
            {
                "letter_id": auth.letter_id,
                "purposes": sorted(x.value for x in auth.purposes),
                "authorized_on": auth.authorized_on.isoformat(),
            }
            if auth
            else None
        ),
        "program_type": p.program_type,
        "sites": [{"site_id": s.site_id, "name": s.name, "location": s.location} for s in p.sites],
        "documents": [{"name": d.name, "sha256": d.sha256, "uri": d.uri} for d in p.documents],
        "origin_project_id": p.origin_project_id,
        "status": p.status.value,
        "reversal_shortfall_t": p.reversal_shortfall_t,
    }


def _ties(raw: dict[str, Any]) -> JapanTies:
    return JapanTies(
        japanese_technology=bool(raw.get("japanese_technology", False)),
        japanese_investment_share=Decimal(str(raw.get("japanese_investment_share", "0"))),
        long_term_offtake_by_japanese_company=bool(raw.get("long_term_offtake_by_japanese_company", False)),
        forward_investment=bool(raw.get("forward_investment", False)),
        japan_energy=bool(raw.get("japan_energy", False)),
    )


def _period(start: date | None, end: date | None) -> Period | None:
    return Period(start, end) if start is not None and end is not None else None


def _quantification(row: Row[Any]) -> Quantification:
    if row.credit_type == CreditType.REMOVAL.value:
        return RemovalQuantification(
            Decimal(row.project_removals), Decimal(row.baseline_removals), Decimal(row.leakage_emissions)
        )
    return ReductionQuantification(
        Decimal(row.baseline_emissions), Decimal(row.project_emissions), Decimal(row.leakage_emissions)
    )


def _mint_order(row: Row[Any]) -> MintOrder:
    return MintOrder(
        issuance_id=row.issuance_id,
        batch_id=row.id,
        idempotency_key=f"issuance:{row.issuance_id}",
        serial_prefix=row.serial_prefix,
        issued_quantity_t=row.issued_quantity,
        buffer_quantity_t=row.buffer_quantity,
        holder_account_id=row.holder_account_id,
        buffer_account_id=row.buffer_account_id or "",
        project_id=row.project_id,
        program_id=row.program_id,
        methodology_id=row.methodology_id,
        country=row.country,
        vintage_start=row.vintage_start,
        vintage_end=row.vintage_end,
        credit_type=CreditType(row.credit_type),
        basis=CreditBasis(row.basis),
        category=CreditCategory(row.category),
        corresponding_adjustment=row.corresponding_adjustment,
        authorization=Authorization(row.authorization.removeprefix(_AUTHORIZATION_PREFIX)),
        co_benefits=tuple(row.co_benefits),
        issuer_organization_id=row.issuer_organization_id,
    )


def batch_from_row(row: Row[Any]) -> BatchRecord:
    return BatchRecord(
        batch_id=row.id,
        issuance_id=row.issuance_id,
        state=row.state,
        monitoring_report_id=row.monitoring_report_id,
        holder_account_id=row.holder_account_id,
        idempotency_key=row.idempotency_key,
        order=_mint_order(row),
        project_name=row.project_name,
        program_name=row.program_name,
        methodology_title=row.methodology_title,
        registered_on=row.registered_on,
        requested_by=row.requested_by,
        requested_by_org=row.requested_by_org,
        requested_at=row.requested_at,
        exchange_category=row.exchange_category,
        serial_start=row.serial_start,
        serial_end=row.serial_end,
        issued_at=row.issued_at,
    )


# ---- repositories (one per aggregate; all on the unit of work's connection) ---------------------


class _SqlRepository:
    def __init__(self, conn: Connection, track: Callable[[Any], None]) -> None:
        self.conn = conn
        #: Aggregates handed out or added are tracked by the unit of work, which collects their events.
        self._track = track

    def _one(self, stmt: Any, for_update: bool) -> Row[Any] | None:
        if for_update and self.conn.dialect.name != "sqlite":
            stmt = stmt.with_for_update()
        row: Row[Any] | None = self.conn.execute(stmt).first()
        return row


class SqlReferenceData(_SqlRepository):
    def get_program(self, program_id: str) -> ProgramSettings:
        row = self._one(select(t.programs).where(t.programs.c.program_id == program_id), False)
        if row is None:
            raise not_found("PROGRAM_NOT_FOUND", f"no program with id {program_id!r}")
        return ProgramSettings(program_from_row(row), row.buffer_account_id)

    def get_methodology(self, methodology_id: str) -> Methodology:
        row = self._one(select(t.methodologies).where(t.methodologies.c.methodology_id == methodology_id), False)
        if row is None:
            raise not_found("METHODOLOGY_NOT_FOUND", f"no methodology with id {methodology_id!r}")
        return methodology_from_row(row)

    def program_exists(self, program_id: str) -> bool:
        return (
            self._one(select(t.programs.c.program_id).where(t.programs.c.program_id == program_id), False) is not None
        )

    def methodology_exists(self, methodology_id: str) -> bool:
        stmt = select(t.methodologies.c.methodology_id).where(t.methodologies.c.methodology_id == methodology_id)
        return self._one(stmt, False) is not None

    def save_program(self, settings: ProgramSettings, *, new: bool) -> None:
        values = {**program_values(settings.program), "buffer_account_id": settings.buffer_account_id}
        if new:
            self.conn.execute(insert(t.programs).values(**values))
        else:
            self.conn.execute(
                update(t.programs).where(t.programs.c.program_id == settings.program.program_id).values(**values)
            )

    def save_methodology(self, methodology: Methodology, *, new: bool) -> None:
        values = methodology_values(methodology)
        if new:
            self.conn.execute(insert(t.methodologies).values(**values))
        else:
            self.conn.execute(
                update(t.methodologies)
                .where(t.methodologies.c.methodology_id == methodology.methodology_id)
                .values(**values)
            )

    def methodology_in_use(self, methodology_id: str) -> bool:
        stmt = select(t.projects.c.project_id).where(t.projects.c.methodology_id == methodology_id).limit(1)
        return self._one(stmt, False) is not None

    def methodologies_of(self, program_id: str) -> Sequence[Methodology]:
        m = t.methodologies
        rows = self.conn.execute(select(m).where(m.c.program_id == program_id).order_by(m.c.methodology_id))
        return [methodology_from_row(row) for row in rows]


class SqlProjects(_SqlRepository):
    def __init__(self, conn: Connection, track: Callable[[Any], None], reference: SqlReferenceData) -> None:
        super().__init__(conn, track)
        self._reference = reference

    def get_project(self, project_id: str, *, for_update: bool = False) -> Project:
        row = self._one(select(t.projects).where(t.projects.c.project_id == project_id), for_update)
        if row is None:
            raise not_found("PROJECT_NOT_FOUND", f"no project with id {project_id!r}")
        project = self._project(row)
        self._track(project)
        return project

    def _project(self, row: Row[Any]) -> Project:
        history = [
            StatusChange(
                ProjectStatus(h.from_status) if h.from_status else None,
                ProjectStatus(h.to_status),
                h.actor_user_id,
                h.at,
            )
            for h in self.conn.execute(
                select(t.project_status_history)
                .where(t.project_status_history.c.project_id == row.project_id)
                .order_by(t.project_status_history.c.seq)
            )
        ]
        flags = {
            f.registration_id: DuplicateMatch(f.registration_id, f.program_id, DuplicateBasis(f.basis))
            for f in self.conn.execute(
                select(t.duplicate_flags).where(t.duplicate_flags.c.project_id == row.project_id)
            )
        }
        auth = row.authorization
        return Project(
            project_id=row.project_id,
            name=row.name,
            program=self._reference.get_program(row.program_id).program,
            methodology=self._reference.get_methodology(row.methodology_id),
            host_country=row.host_country,
            region=row.region,
            proponent_org_id=row.proponent_org_id,
            verifier_org_id=row.verifier_org_id,
            crediting_period=_period(row.crediting_period_start, row.crediting_period_end),
            co_benefits=tuple(row.co_benefits),
            additionality=(
                Additionality(AdditionalityTest(row.additionality["test"]), row.additionality["evidence"])
                if row.additionality
                else None
            ),
            permanence=(
                Permanence(ReversalRisk(row.permanence["reversal_risk"]), int(row.permanence["commitment_years"]))
                if row.permanence
                else None
            ),
            japan_ties=_ties(row.japan_ties),
            authorization=(
                Article6Authorization(
                    auth["letter_id"],
                    frozenset(AuthorizationPurpose(x) for x in auth["purposes"]),
                    date.fromisoformat(auth["authorized_on"]),
                )
                if auth
                else None
            ),
            program_type=row.program_type,
            sites=tuple(Site(s["site_id"], s["name"], s["location"]) for s in row.sites),
            documents=tuple(ProjectDocument(d["name"], d["sha256"], d["uri"]) for d in row.documents),
            origin_project_id=row.origin_project_id,
            status=ProjectStatus(row.status),
            history=history,
            duplicate_flags=flags,
            reversal_shortfall_t=row.reversal_shortfall_t,
        )

    def add_project(self, project: Project, created_by: str) -> None:
        self._track(project)
        created_at = project.history[0].at
        self.conn.execute(
            insert(t.projects).values(**_project_values(project), created_at=created_at, created_by=created_by)
        )
        self._save_children(project, None)

    def save_project(self, project: Project, comment: str | None = None) -> None:
        self.conn.execute(
            update(t.projects).where(t.projects.c.project_id == project.project_id).values(**_project_values(project))
        )
        self._save_children(project, comment)

    def _save_children(self, project: Project, comment: str | None) -> None:
        h = t.project_status_history
        stored = int(
            self.conn.execute(select(func.count()).select_from(h).where(h.c.project_id == project.project_id)).scalar()
            or 0
        )
        for seq, change in enumerate(project.history[stored:], start=stored + 1):
            self.conn.execute(
                insert(h).values(
                    project_id=project.project_id,
                    seq=seq,
                    from_status=change.from_status.value if change.from_status else None,
                    to_status=change.to_status.value,
                    actor_user_id=change.actor_user_id,
                    at=change.at,
                    comment=comment,
                )
            )
        f = t.duplicate_flags
        self.conn.execute(delete(f).where(f.c.project_id == project.project_id))
        for match in project.duplicate_flags.values():
            self.conn.execute(
                insert(f).values(
                    project_id=project.project_id,
                    registration_id=match.registration_id,
                    program_id=match.program_id,
                    basis=match.basis.value,
                )
            )

    def set_registered_on(self, project_id: str, registered_on: date) -> None:
        self.conn.execute(
            update(t.projects).where(t.projects.c.project_id == project_id).values(registered_on=registered_on)
        )

    def registered_on(self, project_id: str) -> date | None:
        value: date | None = self.conn.execute(
            select(t.projects.c.registered_on).where(t.projects.c.project_id == project_id)
        ).scalar()
        return value

    def other_registrations(self, project_id: str) -> Sequence[OtherRegistration]:
        p, m = t.projects, t.methodologies
        rows = self.conn.execute(
            select(
                p.c.project_id,
                p.c.program_id,
                p.c.origin_project_id,
                p.c.host_country,
                p.c.crediting_period_start,
                p.c.crediting_period_end,
                p.c.status,
                m.c.family,
            )
            .join(m, m.c.methodology_id == p.c.methodology_id)
            .where(p.c.project_id != project_id)
        )
        return [
            OtherRegistration(
                registration_id=r.project_id,
                program_id=r.program_id,
                project_id=r.project_id,
                origin_project_id=r.origin_project_id,
                host_country=r.host_country,
                methodology_family=MethodologyFamily(r.family),
                crediting_period=_period(r.crediting_period_start, r.crediting_period_end),
                # A rejected or withdrawn project issues nothing more, like a cancelled registration.
                status=RegistrationStatus.CANCELLED if r.status in _TERMINAL else RegistrationStatus.ACTIVE,
            )
            for r in rows
        ]

    def project_by_origin(self, program_id: str, origin_project_id: str) -> str | None:
        p = t.projects.c
        value: str | None = self.conn.execute(
            select(p.project_id).where(p.program_id == program_id, p.origin_project_id == origin_project_id).limit(1)
        ).scalar()
        return value


class SqlReports(_SqlRepository):
    def _report_stmt(self) -> Any:
        r, v, b = t.monitoring_reports, t.verifications, t.credit_batches
        return (
            select(
                r,
                v.c.verifier_org_id,
                v.c.verified_quantity_t,
                v.c.verified_at,
                b.c.id.label("batch_id"),
            )
            .outerjoin(v, v.c.report_id == r.c.report_id)
            .outerjoin(b, b.c.monitoring_report_id == r.c.report_id)
        )

    def _report(self, row: Row[Any]) -> MonitoringReport:
        return MonitoringReport(
            report_id=row.report_id,
            project_id=row.project_id,
            period=Period(row.period_start, row.period_end),
            quantification=_quantification(row),
            net_quantity_t=Decimal(row.net_quantity),
            claimed_quantity_t=row.claimed_quantity_t,
            submitted_by=row.submitted_by,
            submitted_at=row.submitted_at,
            status=MonitoringReportStatus(row.status),
            verified_quantity_t=row.verified_quantity_t,
            verifier_org_id=row.verifier_org_id,
            verified_at=row.verified_at,
        )

    def get_report(self, report_id: str, *, for_update: bool = False) -> LoadedReport:
        r = t.monitoring_reports
        if for_update and self.conn.dialect.name != "sqlite":
            self.conn.execute(select(r.c.report_id).where(r.c.report_id == report_id).with_for_update())
        row = self.conn.execute(self._report_stmt().where(r.c.report_id == report_id)).first()
        if row is None:
            raise not_found("MONITORING_REPORT_NOT_FOUND", f"no monitoring report with id {report_id!r}")
        figures = ReportFigures(row.baseline_emissions, row.project_emissions, row.leakage_emissions)
        report = self._report(row)
        self._track(report)
        return LoadedReport(report, figures)

    def reports_of(self, project_id: str) -> Sequence[MonitoringReport]:
        r = t.monitoring_reports
        rows = self.conn.execute(self._report_stmt().where(r.c.project_id == project_id).order_by(r.c.period_start))
        return [self._report(row) for row in rows]

    def add_report(self, loaded: LoadedReport) -> None:
        report = loaded.report
        self._track(report)
        q = report.quantification
        removals = (q.project_removals_t, q.baseline_removals_t) if isinstance(q, RemovalQuantification) else None
        self.conn.execute(
            insert(t.monitoring_reports).values(
                report_id=report.report_id,
                project_id=report.project_id,
                period_start=report.period.start,
                period_end=report.period.end,
                credit_type=q.credit_type.value,
                baseline_emissions=loaded.figures.baseline_emissions,
                project_emissions=loaded.figures.project_emissions,
                leakage_emissions=loaded.figures.leakage_emissions,
                project_removals=str(removals[0]) if removals else None,
                baseline_removals=str(removals[1]) if removals else None,
                net_quantity=str(report.net_quantity_t),
                claimed_quantity_t=report.claimed_quantity_t,
                submitted_by=report.submitted_by,
                submitted_at=report.submitted_at,
                status=report.status.value,
            )
        )

    def save_verification(self, report: MonitoringReport) -> None:
        assert report.verifier_org_id is not None
        assert report.verified_quantity_t is not None
        assert report.verified_at is not None
        self.conn.execute(
            insert(t.verifications).values(
                report_id=report.report_id,
                verifier_org_id=report.verifier_org_id,
                verified_quantity_t=report.verified_quantity_t,
                verified_by=report.events[-1].actor_user_id if report.events else "",
                verified_at=report.verified_at,
            )
        )
        self._set_report_status(report.report_id, report.status)

    def _set_report_status(self, report_id: str, status: MonitoringReportStatus) -> None:
        r = t.monitoring_reports
        self.conn.execute(update(r).where(r.c.report_id == report_id).values(status=status.value))

    def mark_report_issued(self, report_id: str) -> None:
        self._set_report_status(report_id, MonitoringReportStatus.ISSUED)


class SqlBatches(_SqlRepository):
    def batch_for_report(self, report_id: str) -> BatchRecord | None:
        b = t.credit_batches
        row = self.conn.execute(select(b).where(b.c.monitoring_report_id == report_id)).first()
        return batch_from_row(row) if row is not None else None

    def get_batch(self, batch_id: str) -> BatchRecord | None:
        b = t.credit_batches
        row = self.conn.execute(select(b).where(b.c.id == batch_id)).first()
        return batch_from_row(row) if row is not None else None

    def add_pending_batch(self, record: BatchRecord) -> None:
        o = record.order
        self.conn.execute(
            insert(t.credit_batches).values(
                id=record.batch_id,
                issuance_id=record.issuance_id,
                state=record.state,
                project_id=o.project_id,
                monitoring_report_id=record.monitoring_report_id,
                program_id=o.program_id,
                methodology_id=o.methodology_id,
                country=o.country,
                vintage_start=o.vintage_start,
                vintage_end=o.vintage_end,
                issued_quantity=o.issued_quantity_t,
                buffer_quantity=o.buffer_quantity_t,
                serial_prefix=o.serial_prefix,
                credit_type=o.credit_type.value,
                basis=o.basis.value,
                category=o.category.value,
                exchange_category=record.exchange_category,
                corresponding_adjustment=o.corresponding_adjustment,
                # Stored as the proto enum name (AUTHORIZATION_NDC …), as read models and exports read it.
                authorization=_AUTHORIZATION_PREFIX + o.authorization.value,
                co_benefits=list(o.co_benefits),
                issuer_organization_id=o.issuer_organization_id,
                project_name=record.project_name,
                program_name=record.program_name,
                methodology_title=record.methodology_title,
                registered_on=record.registered_on,
                holder_account_id=record.holder_account_id,
                buffer_account_id=o.buffer_account_id or None,
                idempotency_key=record.idempotency_key,
                requested_by=record.requested_by,
                requested_by_org=record.requested_by_org,
                requested_at=record.requested_at,
            )
        )

    def mark_batch_issued(self, batch_id: str, serial_start: str, serial_end: str, at: datetime) -> None:
        b = t.credit_batches
        next_seq = int(self.conn.execute(select(func.coalesce(func.max(b.c.issue_seq), 0))).scalar() or 0) + 1
        self.conn.execute(
            update(b)
            .where(b.c.id == batch_id)
            .values(state="ISSUED", serial_start=serial_start, serial_end=serial_end, issued_at=at, issue_seq=next_seq)
        )

    def buffer_issued_t(self, program_id: str) -> int:
        b = t.credit_batches
        stmt = select(func.coalesce(func.sum(b.c.buffer_quantity), 0)).where(
            b.c.program_id == program_id, b.c.state == "ISSUED"
        )
        return int(self.conn.execute(stmt).scalar() or 0)

    def imported_batch(self, import_key: str) -> tuple[str, str] | None:
        i = t.imported_batches.c
        row = self.conn.execute(select(i.batch_id, i.request_hash).where(i.import_key == import_key)).first()
        return (str(row.batch_id), str(row.request_hash)) if row is not None else None

    def add_imported_batch(self, record: BatchRecord, origin: ImportedOrigin, at: datetime) -> None:
        """The batch as issued, with the monitoring report and verification standing for the origin
        registry's verified issuance (the figures are the issued tonnes; nothing is recomputed)."""
        o = record.order
        issued = str(o.issued_quantity_t)
        self.conn.execute(
            insert(t.monitoring_reports).values(
                report_id=record.monitoring_report_id,
                project_id=o.project_id,
                period_start=o.vintage_start,
                period_end=o.vintage_end,
                credit_type=o.credit_type.value,
                baseline_emissions=issued if o.credit_type == CreditType.REDUCTION.value else "0",
                project_emissions="0",
                leakage_emissions="0",
                project_removals=issued if o.credit_type == CreditType.REMOVAL.value else None,
                baseline_removals="0" if o.credit_type == CreditType.REMOVAL.value else None,
                net_quantity=issued,
                claimed_quantity_t=o.issued_quantity_t,
                submitted_by=record.requested_by,
                submitted_at=at,
                status=MonitoringReportStatus.ISSUED.value,
            )
        )
        self.conn.execute(
            insert(t.verifications).values(
                report_id=record.monitoring_report_id,
                verifier_org_id=o.issuer_organization_id,
                verified_quantity_t=o.issued_quantity_t,
                verified_by=record.requested_by,
                verified_at=at,
            )
        )
        self.add_pending_batch(record)
        self.mark_batch_issued(record.batch_id, record.serial_start or "", record.serial_end or "", at)
        self.conn.execute(
            insert(t.imported_batches).values(
                batch_id=record.batch_id,
                import_key=origin.import_key,
                origin_registry=origin.origin_registry,
                origin_batch_id=origin.origin_batch_id,
                origin_serial=origin.origin_serial,
                issued_on=origin.issued_on,
                request_hash=origin.request_hash,
            )
        )


class SqlReversals(_SqlRepository):
    def get_reversal(self, reversal_id: str) -> ReversalRecord | None:
        r = t.reversals
        row = self.conn.execute(select(r).where(r.c.reversal_id == reversal_id)).first()
        if row is None:
            return None
        return ReversalRecord(
            reversal_id=row.reversal_id,
            state=row.state,
            project_id=row.project_id,
            program_id=row.program_id,
            batch_id=row.batch_id,
            reversed_quantity_t=row.reversed_quantity_t,
            buffer_cancellation_t=row.buffer_cancellation_t,
            shortfall_t=row.shortfall_t,
            occurred_on=row.occurred_on,
            description=row.description,
            buffer_account_id=row.buffer_account_id,
            idempotency_key=row.idempotency_key,
            reported_by=row.reported_by,
            reported_by_org=row.reported_by_org,
            reported_at=row.reported_at,
            registry_cancellation_id=row.registry_cancellation_id,
            completed_at=row.completed_at,
        )

    def buffer_cancelled_t(self, program_id: str) -> int:
        r = t.reversals
        stmt = select(func.coalesce(func.sum(r.c.buffer_cancellation_t), 0)).where(r.c.program_id == program_id)
        return int(self.conn.execute(stmt).scalar() or 0)

    def add_reversal(self, record: ReversalRecord) -> None:
        values = dict(record.__dict__)
        self.conn.execute(insert(t.reversals).values(**values))

    def complete_reversal(self, reversal_id: str, cancellation_id: str | None, at: datetime) -> None:
        r = t.reversals
        self.conn.execute(
            update(r)
            .where(r.c.reversal_id == reversal_id)
            .values(state="RECORDED", registry_cancellation_id=cancellation_id, completed_at=at)
        )
