"""The issuance subgraph: owner of Program, Methodology, Project, MonitoringReport and CreditBatch
(all contract fields of CreditBatch except retiredQuantity, owned by registry, and eligibility, owned
by reporting). Organization is owned by the registry; this subgraph only references it by id."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any, TypeVar

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from carbon_runtime.errors import invalid
from carbon_runtime.transport.graphql_contract import (
    CreditBasis,
    CreditCategory,
    CreditType,
    ProjectStatus,
    Tonnes,
    ValidationOutcome,
    parse_decimal,
)
from carbon_runtime.transport.graphql_runtime import RequestContext
from services.issuance.adapters.read_model import (
    BatchView,
    MethodologyView,
    ProgramView,
    ProjectFilterArgs,
    ProjectView,
    ReadModel,
    ReportView,
)
from services.issuance.domain.duplicates import RegistrationStatus
from services.issuance.domain.project import ValidationOutcome as DomainOutcome
from services.issuance.domain.reference_data import (
    CreditBasis as DomainBasis,
)
from services.issuance.domain.reference_data import (
    CreditType as DomainCreditType,
)
from services.issuance.domain.reference_data import (
    ExchangeCategory,
    MethodologyFamily,
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
from services.issuance.service.clear_duplicate_flag import clear_duplicate_flag
from services.issuance.service.common import Deps
from services.issuance.service.create_project import CreateProject, create_project
from services.issuance.service.engage_verifier import engage_verifier
from services.issuance.service.import_export import import_registry_export
from services.issuance.service.issue_credits import IssueCredits, issue_credits
from services.issuance.service.record_validation import record_validation
from services.issuance.service.record_verification import record_verification
from services.issuance.service.reference_data import (
    MethodologyChange,
    ProgramChange,
    create_methodology,
    create_program,
    update_methodology,
    update_program,
)
from services.issuance.service.register_project import register_project
from services.issuance.service.report_reversal import ReportReversal, report_reversal
from services.issuance.service.request_changes import request_changes
from services.issuance.service.request_validation import request_validation
from services.issuance.service.submit_monitoring_report import SubmitMonitoringReport, submit_monitoring_report
from services.issuance.service.withdraw_project import withdraw_project

Info = strawberry.Info[RequestContext, None]
E = TypeVar("E", bound=enum.Enum)


def _reads(info: Info) -> ReadModel:
    reads: ReadModel = info.context.extras["reads"]
    return reads


def _deps(info: Info) -> Deps:
    deps: Deps = info.context.extras["deps"]
    return deps


def _enum(kind: type[E], value: str | None, field: str) -> E | None:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in kind)
        raise invalid("INVALID_ENUM", f"{field} must be one of {allowed}", field=field) from None


def _decimal(value: Decimal | None, field: str) -> Decimal | None:
    # Re-checked with the contract's parser: NaN and Infinity parse as Decimals but are not numbers.
    return None if value is None else parse_decimal(str(value), field)


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
    def methodologies(self, info: Info) -> list[Methodology]:
        return [Methodology.of(m) for m in _reads(info).methodologies(str(self.id))]

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
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Program | None:
        return load_program(info, str(id))


def load_program(info: Info, program_id: str) -> Program | None:
    v = _reads(info).program(program_id)
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
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Methodology | None:
        return load_methodology(info, str(id))


def load_methodology(info: Info, methodology_id: str) -> Methodology | None:
    v = _reads(info).methodology(methodology_id)
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
    reversal_risk: str | None
    reversal_shortfall: Tonnes = strawberry.field(
        description="Reversed tonnes the buffer could not cover; issuance is held while above 0."
    )
    program_id: strawberry.Private[str]
    methodology_id: strawberry.Private[str]
    proponent_id: strawberry.Private[str]
    verifier_id: strawberry.Private[str | None]

    @strawberry.field
    def program(self, info: Info) -> Program:
        program = load_program(info, self.program_id)
        assert program is not None
        return program

    @strawberry.field
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
    def monitoring_reports(self, info: Info) -> list[MonitoringReport]:
        return [MonitoringReport.of(r) for r in _reads(info).reports_of(str(self.id))]

    @strawberry.field
    def batches(self, info: Info) -> list[CreditBatch]:
        return [CreditBatch.of(b) for b in _reads(info).batches(project_id=str(self.id), first=500).items]

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
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Project | None:
        return load_project(info, str(id))


def load_project(info: Info, project_id: str) -> Project | None:
    v = _reads(info).project(project_id)
    return Project.of(v) if v is not None else None


def _must_project(info: Info, project_id: str) -> Project:
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
    def project(self, info: Info) -> Project:
        return _must_project(info, self.project_id)

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
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> MonitoringReport | None:
        return load_report(info, str(id))


def load_report(info: Info, report_id: str) -> MonitoringReport | None:
    v = _reads(info).report(report_id)
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
    def project(self, info: Info) -> Project:
        return _must_project(info, self.project_id)

    @strawberry.field
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
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> CreditBatch | None:
        return load_batch(info, str(id))


def load_batch(info: Info, batch_id: str) -> CreditBatch | None:
    v = _reads(info).batch(batch_id)
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
    def project(self, info: Info) -> Project:
        return _must_project(info, self.project_id)


# ---- queries ----------------------------------------------------------------------------------


@strawberry.input
class ProjectFilter:
    program_id: strawberry.ID | None = None
    country: str | None = None
    status: ProjectStatus | None = None
    credit_type: CreditType | None = None
    proponent_id: strawberry.ID | None = None


@strawberry.type
class Query:
    @strawberry.field
    def programs(self, info: Info) -> list[Program]:
        return [Program.of(p) for p in _reads(info).programs()]

    @strawberry.field
    def methodologies(self, info: Info, program_id: strawberry.ID | None = None) -> list[Methodology]:
        return [Methodology.of(m) for m in _reads(info).methodologies(str(program_id) if program_id else None)]

    @strawberry.field
    def project(self, info: Info, id: strawberry.ID) -> Project | None:
        return load_project(info, str(id))

    @strawberry.field
    def credit_batch(self, info: Info, id: strawberry.ID) -> CreditBatch | None:
        return load_batch(info, str(id))

    @strawberry.field
    def monitoring_report(self, info: Info, id: strawberry.ID) -> MonitoringReport | None:
        return load_report(info, str(id))

    @strawberry.field(description="Projects in creation order, filtered; cursor pagination (first/after).")
    def projects(
        self,
        info: Info,
        filter: ProjectFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ProjectConnection:
        f = filter or ProjectFilter()
        args = ProjectFilterArgs(
            program_id=str(f.program_id) if f.program_id else None,
            country=f.country,
            status=f.status.value if f.status else None,
            credit_type=f.credit_type.value if f.credit_type else None,
            proponent_org_id=str(f.proponent_id) if f.proponent_id else None,
        )
        page = _reads(info).projects(args, first, after)
        return ProjectConnection(
            nodes=[Project.of(p) for p in page.items], end_cursor=page.end_cursor, has_next_page=page.has_next_page
        )

    @strawberry.field(description="Issued batches in issuance order; cursor pagination (first/after).")
    def credit_batches(
        self,
        info: Info,
        project_id: strawberry.ID | None = None,
        program_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> CreditBatchConnection:
        page = _reads(info).batches(
            project_id=str(project_id) if project_id else None,
            program_id=str(program_id) if program_id else None,
            first=first,
            after=after,
        )
        return CreditBatchConnection(
            nodes=[CreditBatch.of(b) for b in page.items], end_cursor=page.end_cursor, has_next_page=page.has_next_page
        )


# ---- mutation inputs --------------------------------------------------------------------------


@strawberry.input
class JapanTiesInput:
    japanese_technology: bool = False
    japanese_investment_share: Decimal = Decimal(0)
    long_term_offtake_by_japanese_company: bool = False
    forward_investment: bool = False
    japan_energy: bool = False


@strawberry.input
class AuthorizationInput:
    letter_id: str
    purposes: list[str] = strawberry.field(description="NDC and/or OIMP (other international mitigation purposes).")
    authorized_on: dt.date


@strawberry.input
class SiteInput:
    site_id: str
    name: str
    location: str


@strawberry.input
class DocumentInput:
    name: str
    sha256: str
    uri: str


@strawberry.input
class CreateProjectInput:
    name: str
    program_id: strawberry.ID
    methodology_id: strawberry.ID
    country: str
    proponent_id: strawberry.ID
    verifier_id: strawberry.ID | None = strawberry.field(
        default=None,
        description=(
            "The accredited validation/verification body the proponent engages; only it may validate and verify."
        ),
    )
    crediting_period_start: dt.date | None = strawberry.field(
        default=None, description="The crediting period; monitoring reports must fall inside it."
    )
    crediting_period_end: dt.date | None = None
    co_benefits: list[int] | None = strawberry.field(default_factory=list)
    idempotency_key: str | None = None
    region: str | None = None
    origin_project_id: str | None = strawberry.field(
        default=None, description="Id in the registry the project comes from (e.g. VCS-1234), screened for duplicates."
    )
    reversal_risk: str | None = strawberry.field(
        default=None, description="Removal projects: LOW, MEDIUM, HIGH or VERY_HIGH; sets the buffer share."
    )
    permanence_years: int | None = None
    additionality_test: str | None = None
    additionality_evidence: str | None = None
    japan_ties: JapanTiesInput | None = None
    authorization: AuthorizationInput | None = None
    program_type: bool | None = False
    sites: list[SiteInput] | None = None
    documents: list[DocumentInput] | None = None


@strawberry.input
class RecordValidationInput:
    project_id: strawberry.ID
    outcome: ValidationOutcome
    comment: str | None = None


@strawberry.input
class SubmitMonitoringReportInput:
    project_id: strawberry.ID
    period_start: dt.date
    period_end: dt.date
    baseline_emissions: Decimal
    project_emissions: Decimal
    leakage_emissions: Decimal | None = Decimal(0)
    idempotency_key: str | None = None
    project_removals: Decimal | None = strawberry.field(
        default=None, description="Removal projects: removals achieved by the project over the period, tCO2e."
    )
    baseline_removals: Decimal | None = None


@strawberry.input
class RecordVerificationInput:
    monitoring_report_id: strawberry.ID
    verified_quantity: Tonnes


@strawberry.input
class IssueCreditsInput:
    monitoring_report_id: strawberry.ID
    account_id: strawberry.ID = strawberry.field(
        description="The proponent's holding account that receives the credits (the buffer share goes to the buffer)."
    )
    idempotency_key: str | None = None


@strawberry.input
class ReportReversalInput:
    project_id: strawberry.ID
    quantity: Tonnes
    occurred_on: dt.date
    description: str
    batch_id: strawberry.ID | None = None
    idempotency_key: str | None = None


@strawberry.input
class ProgramInput:
    id: strawberry.ID
    name: str | None = None
    operator: str | None = None
    scope: str | None = None
    japanese: bool | None = None
    icroa_endorsed: bool | None = None
    corresponding_adjustment_possible: bool | None = None
    allowed_host_countries: list[str] | None = None
    buffer_account_id: str | None = None


@strawberry.input
class MethodologyInput:
    id: strawberry.ID | None = strawberry.field(default=None, description="For updates: the methodology to change.")
    program_id: strawberry.ID | None = None
    code: str | None = None
    title: str | None = None
    credit_type: CreditType | None = None
    basis: CreditBasis | None = None
    sector: str | None = None
    family: str | None = None
    exchange_category: str | None = None


def _create_command(i: CreateProjectInput) -> CreateProject:
    risk = _enum(ReversalRisk, i.reversal_risk, "reversalRisk")
    permanence = None
    if risk is not None:
        permanence = Permanence(risk, i.permanence_years) if i.permanence_years is not None else Permanence(risk)
    test = _enum(AdditionalityTest, i.additionality_test, "additionalityTest")
    additionality = Additionality(test, i.additionality_evidence or "") if test is not None else None
    ties = None
    if i.japan_ties is not None:
        share = _decimal(i.japan_ties.japanese_investment_share, "japanTies.japaneseInvestmentShare")
        ties = JapanTies(
            japanese_technology=i.japan_ties.japanese_technology,
            japanese_investment_share=share if share is not None else Decimal(0),
            long_term_offtake_by_japanese_company=i.japan_ties.long_term_offtake_by_japanese_company,
            forward_investment=i.japan_ties.forward_investment,
            japan_energy=i.japan_ties.japan_energy,
        )
    authorization = None
    if i.authorization is not None:
        purposes = frozenset(
            p for p in (_enum(AuthorizationPurpose, x, "authorization.purposes") for x in i.authorization.purposes) if p
        )
        authorization = Article6Authorization(i.authorization.letter_id, purposes, i.authorization.authorized_on)
    return CreateProject(
        name=i.name,
        program_id=str(i.program_id),
        methodology_id=str(i.methodology_id),
        country=i.country,
        proponent_id=str(i.proponent_id),
        verifier_id=str(i.verifier_id) if i.verifier_id else None,
        crediting_period_start=i.crediting_period_start,
        crediting_period_end=i.crediting_period_end,
        co_benefits=tuple(i.co_benefits or ()),
        idempotency_key=i.idempotency_key,
        region=i.region,
        permanence=permanence,
        additionality=additionality,
        japan_ties=ties,
        authorization=authorization,
        program_type=bool(i.program_type),
        sites=tuple(Site(s.site_id, s.name, s.location) for s in i.sites or ()),
        documents=tuple(ProjectDocument(d.name, d.sha256, d.uri) for d in i.documents or ()),
        origin_project_id=i.origin_project_id,
    )


def _program_change(i: ProgramInput) -> ProgramChange:
    return ProgramChange(
        program_id=str(i.id),
        name=i.name,
        operator=i.operator,
        scope=_enum(ProgramScope, i.scope, "scope"),
        japanese=i.japanese,
        icroa_endorsed=i.icroa_endorsed,
        corresponding_adjustment_possible=i.corresponding_adjustment_possible,
        allowed_host_countries=tuple(i.allowed_host_countries) if i.allowed_host_countries is not None else None,
        buffer_account_id=i.buffer_account_id,
    )


def _methodology_change(i: MethodologyInput, methodology_id: str) -> MethodologyChange:
    return MethodologyChange(
        methodology_id=methodology_id,
        program_id=str(i.program_id) if i.program_id else None,
        code=i.code,
        title=i.title,
        credit_type=DomainCreditType(i.credit_type.value) if i.credit_type else None,
        basis=DomainBasis(i.basis.value) if i.basis else None,
        sector=_enum(Sector, i.sector, "sector"),
        family=_enum(MethodologyFamily, i.family, "family"),
        exchange_category=_enum(ExchangeCategory, i.exchange_category, "exchangeCategory"),
    )


# ---- mutations --------------------------------------------------------------------------------


@strawberry.input(description="One export file: its name (e.g. verra/transactions.csv) and its CSV text.")
class ImportFileInput:
    name: str
    content: str


@strawberry.input(description="Registry export files to import (Verra, Gold Standard, ACR, CAR, ART TREES).")
class ImportRegistryExportInput:
    files: list[ImportFileInput]


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


@strawberry.type
class Mutation:
    @strawberry.mutation
    def create_project(self, info: Info, input: CreateProjectInput) -> Project:
        project_id = create_project(_deps(info), info.context.principal, _create_command(input))
        return _must_project(info, project_id)

    @strawberry.mutation
    def request_validation(self, info: Info, project_id: strawberry.ID) -> Project:
        return _must_project(info, request_validation(_deps(info), info.context.principal, str(project_id)))

    @strawberry.mutation
    def record_validation(self, info: Info, input: RecordValidationInput) -> Project:
        project_id = record_validation(
            _deps(info),
            info.context.principal,
            str(input.project_id),
            DomainOutcome(input.outcome.value),
            input.comment,
        )
        return _must_project(info, project_id)

    @strawberry.mutation
    def register_project(self, info: Info, project_id: strawberry.ID) -> Project:
        return _must_project(info, register_project(_deps(info), info.context.principal, str(project_id)))

    @strawberry.mutation
    def submit_monitoring_report(self, info: Info, input: SubmitMonitoringReportInput) -> MonitoringReport:
        baseline = _decimal(input.baseline_emissions, "baselineEmissions")
        project = _decimal(input.project_emissions, "projectEmissions")
        assert baseline is not None
        assert project is not None
        cmd = SubmitMonitoringReport(
            project_id=str(input.project_id),
            period_start=input.period_start,
            period_end=input.period_end,
            baseline_emissions=baseline,
            project_emissions=project,
            leakage_emissions=_decimal(input.leakage_emissions, "leakageEmissions") or Decimal(0),
            project_removals=_decimal(input.project_removals, "projectRemovals"),
            baseline_removals=_decimal(input.baseline_removals, "baselineRemovals"),
            idempotency_key=input.idempotency_key,
        )
        report_id = submit_monitoring_report(_deps(info), info.context.principal, cmd)
        report = load_report(info, report_id)
        assert report is not None
        return report

    @strawberry.mutation
    def record_verification(self, info: Info, input: RecordVerificationInput) -> MonitoringReport:
        report_id = record_verification(
            _deps(info), info.context.principal, str(input.monitoring_report_id), int(input.verified_quantity)
        )
        report = load_report(info, report_id)
        assert report is not None
        return report

    @strawberry.mutation(description="PROGRAM_ADMIN: import registry exports; importing them again changes nothing.")
    def import_registry_export(self, info: Info, input: ImportRegistryExportInput) -> ImportSummary:
        report = import_registry_export(
            info.context.extras["imports"], info.context.principal, [(f.name, f.content) for f in input.files]
        )
        return ImportSummary(
            files=[
                ImportFileSummary(
                    registry=f.registry, file=f.file, rows_read=f.rows_read, imported=f.imported, rejected=f.rejected
                )
                for f in report.files
            ],
            rejections=[
                ImportRejection(file=r.file, line=r.line, reason=r.reason, message=r.message) for r in report.rejections
            ],
            unrecognized_files=list(report.unrecognized_files),
        )

    @strawberry.mutation
    def issue_credits(self, info: Info, input: IssueCreditsInput) -> CreditBatch:
        cmd = IssueCredits(str(input.monitoring_report_id), str(input.account_id), input.idempotency_key)
        batch = load_batch(info, issue_credits(_deps(info), info.context.principal, cmd))
        assert batch is not None
        return batch

    @strawberry.mutation(description="By the proponent or a program admin; issued credits stay valid.")
    def withdraw_project(self, info: Info, project_id: strawberry.ID, reason: str) -> Project:
        return _must_project(info, withdraw_project(_deps(info), info.context.principal, str(project_id), reason))

    @strawberry.mutation(description="The engaged verifier sends the design back to the proponent (to DRAFT).")
    def request_changes(self, info: Info, project_id: strawberry.ID, comment: str) -> Project:
        return _must_project(info, request_changes(_deps(info), info.context.principal, str(project_id), comment))

    @strawberry.mutation(description="The proponent engages an accredited verifier while the project is a draft.")
    def engage_verifier(self, info: Info, project_id: strawberry.ID, verifier_id: strawberry.ID) -> Project:
        pid = engage_verifier(_deps(info), info.context.principal, str(project_id), str(verifier_id))
        return _must_project(info, pid)

    @strawberry.mutation(description="A program admin records that a possibly duplicate registration was closed.")
    def clear_duplicate_flag(self, info: Info, project_id: strawberry.ID, registration_id: str, status: str) -> Project:
        closed = _enum(RegistrationStatus, status, "status")
        assert closed is not None
        pid = clear_duplicate_flag(_deps(info), info.context.principal, str(project_id), registration_id, closed)
        return _must_project(info, pid)

    @strawberry.mutation(description="A removal was lost; the program buffer covers it, any shortfall holds issuance.")
    def report_reversal(self, info: Info, input: ReportReversalInput) -> ReversalReport:
        cmd = ReportReversal(
            project_id=str(input.project_id),
            quantity_t=int(input.quantity),
            occurred_on=input.occurred_on,
            description=input.description,
            batch_id=str(input.batch_id) if input.batch_id else None,
            idempotency_key=input.idempotency_key,
        )
        reversal_id = report_reversal(_deps(info), info.context.principal, cmd)
        return ReversalReport(id=strawberry.ID(reversal_id), project_id=cmd.project_id)

    @strawberry.mutation
    def create_program(self, info: Info, input: ProgramInput) -> Program:
        program = load_program(info, create_program(_deps(info), info.context.principal, _program_change(input)))
        assert program is not None
        return program

    @strawberry.mutation
    def update_program(self, info: Info, input: ProgramInput) -> Program:
        program = load_program(info, update_program(_deps(info), info.context.principal, _program_change(input)))
        assert program is not None
        return program

    @strawberry.mutation
    def create_methodology(self, info: Info, input: MethodologyInput) -> Methodology:
        mid = create_methodology(_deps(info), info.context.principal, _methodology_change(input, ""))
        methodology = load_methodology(info, mid)
        assert methodology is not None
        return methodology

    @strawberry.mutation
    def update_methodology(self, info: Info, input: MethodologyInput) -> Methodology:
        if input.id is None:
            raise invalid("REQUIRED_FIELD", "id names the methodology to update", field="id")
        mid = update_methodology(_deps(info), info.context.principal, _methodology_change(input, str(input.id)))
        methodology = load_methodology(info, mid)
        assert methodology is not None
        return methodology


ENTITY_TYPES: list[type[Any]] = [Organization, Program, Methodology, Project, MonitoringReport, CreditBatch]
