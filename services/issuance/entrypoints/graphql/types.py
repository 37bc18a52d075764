"""The issuance subgraph's object types: owner of Program, Methodology, Project, MonitoringReport and
CreditBatch (all contract fields of CreditBatch except retiredQuantity, owned by registry, and
eligibility, owned by reporting). Organization is owned by the registry; this subgraph only references
it by id. Every resolver that reads the database runs in a worker thread (@blocking)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from carbon_runtime.transport.blocking import blocking
from carbon_runtime.transport.graphql_contract import (
    CreditBasis,
    CreditCategory,
    CreditType,
    ProjectStatus,
    Tonnes,
)
from carbon_runtime.transport.graphql_runtime import RequestContext
from services.issuance.adapters.read_model import (
    BatchView,
    MethodologyView,
    ProgramView,
    ProjectView,
    ReadModel,
    ReportView,
)

Info = strawberry.Info[RequestContext, None]


def reads(info: Info) -> ReadModel:
    read_model: ReadModel = info.context.extras["reads"]
    return read_model


# ---- entities ---------------------------------------------------------------------------------


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class Organization:
    id: strawberry.ID


def _org(org_id: str | None) -> Organization | None:
    return Organization(id=strawberry.ID(org_id)) if org_id else None


@strawberry.federation.type(keys=["id"])
class Program:
    id: strawberry.ID
    name: str
    operator: str
    scope: str
    japanese: bool
    icroa_endorsed: bool
    corresponding_adjustment_possible: bool
    allowed_host_countries: list[str] | None = strawberry.field(
        description="ISO 3166-1 alpha-2 codes the program credits; null means any country."
    )
    buffer_account_id: str | None = strawberry.field(description="The registry BUFFER account of the program's pool.")

    @strawberry.field
    @blocking
    def methodologies(self, info: Info) -> list[Methodology]:
        return [Methodology.of(m) for m in reads(info).methodologies(str(self.id))]

    @classmethod
    def of(cls, v: ProgramView) -> Program:
        return cls(
            id=strawberry.ID(v.program_id),
            name=v.name,
            operator=v.operator,
            scope=v.scope,
            japanese=v.japanese,
            icroa_endorsed=v.icroa_endorsed,
            corresponding_adjustment_possible=v.corresponding_adjustment_possible,
            allowed_host_countries=list(v.allowed_host_countries) if v.allowed_host_countries is not None else None,
            buffer_account_id=v.buffer_account_id,
        )

    @classmethod
    @blocking
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Program | None:
        return load_program(info, str(id))


def load_program(info: Info, program_id: str) -> Program | None:
    v = reads(info).program(program_id)
    return Program.of(v) if v is not None else None


@strawberry.federation.type(keys=["id"])
class Methodology:
    id: strawberry.ID
    program_id: strawberry.Private[str]
    title: str
    credit_type: CreditType
    basis: CreditBasis
    code: str
    sector: str
    family: str
    exchange_category: str | None

    @strawberry.field
    @blocking
    def program(self, info: Info) -> Program:
        program = load_program(info, self.program_id)
        assert program is not None  # methodologies reference their program (foreign key)
        return program

    @classmethod
    def of(cls, v: MethodologyView) -> Methodology:
        return cls(
            id=strawberry.ID(v.methodology_id),
            program_id=v.program_id,
            title=v.title,
            credit_type=CreditType(v.credit_type),
            basis=CreditBasis(v.basis),
            code=v.code,
            sector=v.sector,
            family=v.family,
            exchange_category=v.exchange_category,
        )

    @classmethod
    @blocking
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Methodology | None:
        return load_methodology(info, str(id))


def load_methodology(info: Info, methodology_id: str) -> Methodology | None:
    v = reads(info).methodology(methodology_id)
    return Methodology.of(v) if v is not None else None


@strawberry.federation.type(keys=["id"])
class Project:
    id: strawberry.ID
    name: str
    country: str = strawberry.field(description="ISO 3166-1 alpha-2 of the host country.")
    status: ProjectStatus
    co_benefits: list[int] = strawberry.field(description="UN Sustainable Development Goal numbers, 1-17.")
    region: str | None
    origin_project_id: str | None
    crediting_period_start: dt.date | None
    crediting_period_end: dt.date | None
    registered_on: dt.date | None
    reversal_risk: str | None = strawberry.field(
        description=(
            "LOW, MEDIUM, HIGH or VERY_HIGH for removals and projects whose carbon can be released again "
            "(REDD+, forests, soils); sets the buffer share. Null when the project stated none."
        )
    )
    reversal_shortfall: Tonnes = strawberry.field(
        description="Reversed tonnes the buffer could not cover; issuance is held while above 0."
    )
    program_id: strawberry.Private[str]
    methodology_id: strawberry.Private[str]
    proponent_id: strawberry.Private[str]
    verifier_id: strawberry.Private[str | None]

    @strawberry.field
    @blocking
    def program(self, info: Info) -> Program:
        program = load_program(info, self.program_id)
        assert program is not None
        return program

    @strawberry.field
    @blocking
    def methodology(self, info: Info) -> Methodology:
        methodology = load_methodology(info, self.methodology_id)
        assert methodology is not None
        return methodology

    @strawberry.field
    def proponent(self) -> Organization:
        return Organization(id=strawberry.ID(self.proponent_id))

    @strawberry.field(description="The accredited body engaged to validate and verify.")
    def verifier(self) -> Organization | None:
        return _org(self.verifier_id)

    @strawberry.field
    @blocking
    def monitoring_reports(self, info: Info) -> list[MonitoringReport]:
        return [MonitoringReport.of(r) for r in reads(info).reports_of(str(self.id))]

    @strawberry.field
    @blocking
    def batches(self, info: Info) -> list[CreditBatch]:
        return [CreditBatch.of(b) for b in reads(info).batches(project_id=str(self.id), first=500).items]

    @classmethod
    def of(cls, v: ProjectView) -> Project:
        return cls(
            id=strawberry.ID(v.project_id),
            name=v.name,
            country=v.country,
            status=ProjectStatus(v.status),
            co_benefits=list(v.co_benefits),
            region=v.region,
            origin_project_id=v.origin_project_id,
            crediting_period_start=v.crediting_period_start,
            crediting_period_end=v.crediting_period_end,
            registered_on=v.registered_on,
            reversal_risk=v.reversal_risk,
            reversal_shortfall=Tonnes(v.reversal_shortfall_t),
            program_id=v.program_id,
            methodology_id=v.methodology_id,
            proponent_id=v.proponent_org_id,
            verifier_id=v.verifier_org_id,
        )

    @classmethod
    @blocking
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Project | None:
        return load_project(info, str(id))


def load_project(info: Info, project_id: str) -> Project | None:
    v = reads(info).project(project_id)
    return Project.of(v) if v is not None else None


def must_project(info: Info, project_id: str) -> Project:
    project = load_project(info, project_id)
    assert project is not None  # the handler just wrote it
    return project


@strawberry.federation.type(keys=["id"])
class MonitoringReport:
    id: strawberry.ID
    period_start: dt.date
    period_end: dt.date
    baseline_emissions: Decimal
    project_emissions: Decimal
    leakage_emissions: Decimal
    project_removals: Decimal | None
    baseline_removals: Decimal | None
    net_quantity: Decimal = strawberry.field(description="Exact net result before rounding; may be negative.")
    claimed_quantity: Tonnes = strawberry.field(
        description="Whole tonnes claimed: floor(baseline - project - leakage) for reductions."
    )
    verified_quantity: Tonnes | None = strawberry.field(description="Null until a verifier records its verification.")
    status: str
    project_id: strawberry.Private[str]
    verifier_id: strawberry.Private[str | None]

    @strawberry.field
    @blocking
    def project(self, info: Info) -> Project:
        return must_project(info, self.project_id)

    @strawberry.field
    def verifier(self) -> Organization | None:
        return _org(self.verifier_id)

    @classmethod
    def of(cls, v: ReportView) -> MonitoringReport:
        return cls(
            id=strawberry.ID(v.report_id),
            period_start=v.period_start,
            period_end=v.period_end,
            baseline_emissions=Decimal(v.baseline_emissions),
            project_emissions=Decimal(v.project_emissions),
            leakage_emissions=Decimal(v.leakage_emissions),
            project_removals=Decimal(v.project_removals) if v.project_removals is not None else None,
            baseline_removals=Decimal(v.baseline_removals) if v.baseline_removals is not None else None,
            net_quantity=Decimal(v.net_quantity),
            claimed_quantity=Tonnes(v.claimed_quantity_t),
            verified_quantity=Tonnes(v.verified_quantity_t) if v.verified_quantity_t is not None else None,
            status=v.status,
            project_id=v.project_id,
            verifier_id=v.verifier_org_id,
        )

    @classmethod
    @blocking
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> MonitoringReport | None:
        return load_report(info, str(id))


def load_report(info: Info, report_id: str) -> MonitoringReport | None:
    v = reads(info).report(report_id)
    return MonitoringReport.of(v) if v is not None else None


@strawberry.federation.type(keys=["id"])
class CreditBatch:
    id: strawberry.ID
    vintage_start: dt.date
    vintage_end: dt.date
    issued_quantity: Tonnes = strawberry.field(description="All credits issued in the batch, buffer included.")
    buffer_quantity: Tonnes = strawberry.field(
        description="The part set aside in the program's buffer pool against reversal."
    )
    serial_start: str
    serial_end: str
    credit_type: CreditType
    basis: CreditBasis
    category: CreditCategory
    corresponding_adjustment: bool = strawberry.field(
        description="Authorized by the host country with a corresponding adjustment (Article 6.2)."
    )
    issued_at: dt.datetime
    authorization: str
    exchange_category: str | None
    holder_account_id: str
    project_id: strawberry.Private[str]
    report_id: strawberry.Private[str]

    @strawberry.field
    @blocking
    def project(self, info: Info) -> Project:
        return must_project(info, self.project_id)

    @strawberry.field
    @blocking
    def monitoring_report(self, info: Info) -> MonitoringReport:
        report = load_report(info, self.report_id)
        assert report is not None
        return report

    @classmethod
    def of(cls, v: BatchView) -> CreditBatch:
        return cls(
            id=strawberry.ID(v.batch_id),
            vintage_start=v.vintage_start,
            vintage_end=v.vintage_end,
            issued_quantity=Tonnes(v.issued_quantity_t),
            buffer_quantity=Tonnes(v.buffer_quantity_t),
            serial_start=v.serial_start,
            serial_end=v.serial_end,
            credit_type=CreditType(v.credit_type),
            basis=CreditBasis(v.basis),
            category=CreditCategory(v.category),
            corresponding_adjustment=v.corresponding_adjustment,
            issued_at=v.issued_at,
            authorization=v.authorization,
            exchange_category=v.exchange_category,
            holder_account_id=v.holder_account_id,
            project_id=v.project_id,
            report_id=v.monitoring_report_id,
        )

    @classmethod
    @blocking
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> CreditBatch | None:
        return load_batch(info, str(id))


def load_batch(info: Info, batch_id: str) -> CreditBatch | None:
    v = reads(info).batch(batch_id)
    return CreditBatch.of(v) if v is not None else None


@strawberry.type
class ProjectConnection:
    nodes: list[Project]
    end_cursor: str | None
    has_next_page: bool


@strawberry.type
class CreditBatchConnection:
    nodes: list[CreditBatch]
    end_cursor: str | None
    has_next_page: bool


@strawberry.type
class ReversalReport:
    id: strawberry.ID
    project_id: strawberry.Private[str]

    @strawberry.field
    @blocking
    def project(self, info: Info) -> Project:
        return must_project(info, self.project_id)


@strawberry.type(description="Rows of one imported file.")
class ImportFileSummary:
    registry: str
    file: str
    rows_read: int
    imported: int
    rejected: int


@strawberry.type(description="A refused row: where it is and why.")
class ImportRejection:
    file: str
    line: int
    reason: str
    message: str


@strawberry.type(description="What an import did, per file, with every refused row.")
class ImportSummary:
    files: list[ImportFileSummary]
    rejections: list[ImportRejection]
    unrecognized_files: list[str]
