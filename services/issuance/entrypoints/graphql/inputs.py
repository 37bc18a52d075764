"""The issuance subgraph's input types."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import strawberry

from carbon_runtime.transport.graphql_contract import (
    CreditBasis,
    CreditType,
    ProjectStatus,
    Tonnes,
    ValidationOutcome,
)


@strawberry.input
class ProjectFilter:
    program_id: strawberry.ID | None = None
    country: str | None = None
    status: ProjectStatus | None = None
    credit_type: CreditType | None = None
    proponent_id: strawberry.ID | None = None


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


@strawberry.enum(
    name="ReversalRisk",
    description="How likely stored carbon is to be released again; sets a removal or REDD+ project's buffer share.",
)
class ReversalRisk(enum.Enum):
    """Contract v2 (credit-graph-2.graphql). The report's 表 1 Permanent: 「プロジェクトに可逆性リスクがある場合、
    …反転（漏洩）が発生した場合に備えた保証メカニズムを導入する必要がある。」 The rating sets the buffer share."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    VERY_HIGH = "VERY_HIGH"


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
    reversal_risk: ReversalRisk | None = strawberry.field(
        default=None,
        description=(
            "Required for removals and for any project whose carbon can be released again (REDD+, forests, soils)."
        ),
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
        default=None, description="Removal projects: tCO2e removed by the project over the period."
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


@strawberry.input(description="One export file: its name (e.g. verra/transactions.csv) and its CSV text.")
class ImportFileInput:
    name: str
    content: str


@strawberry.input(description="Registry export files to import (Verra, Gold Standard, ACR, CAR, ART TREES).")
class ImportRegistryExportInput:
    files: list[ImportFileInput]
