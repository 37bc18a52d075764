"""Strawberry inputs -> commands (with the caller as a domain actor), and handler results -> the
GraphQL answer."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any, TypeVar

from carbon_runtime.errors import invalid
from carbon_runtime.transport.auth import Principal
from carbon_runtime.transport.graphql_contract import parse_decimal
from carbon_runtime.vocabulary import CreditBasis as DomainBasis
from carbon_runtime.vocabulary import CreditType as DomainCreditType
from importers.apply import ImportReport
from services.issuance.domain import commands
from services.issuance.domain.reference_data import ExchangeCategory, MethodologyFamily, ProgramScope, Sector
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
from services.issuance.entrypoints.caller import actor_of
from services.issuance.entrypoints.graphql.inputs import (
    CreateProjectInput,
    MethodologyInput,
    ProgramInput,
    SubmitMonitoringReportInput,
)
from services.issuance.entrypoints.graphql.types import ImportFileSummary, ImportRejection, ImportSummary

E = TypeVar("E", bound=enum.Enum)
P = TypeVar("P", bound=commands.ProgramChange)
M = TypeVar("M", bound=commands.MethodologyChange)


def caller(principal: Principal) -> dict[str, Any]:
    """The command fields naming the caller: the domain actor and the token forwarded to the registry."""
    return {"actor": actor_of(principal), "token": principal.token}


def enum_value(kind: type[E], value: str | None, field: str) -> E | None:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in kind)
        raise invalid("INVALID_ENUM", f"{field} must be one of {allowed}", field=field) from None


def decimal_value(value: Decimal | None, field: str) -> Decimal | None:
    # Re-checked with the contract's parser: NaN and Infinity parse as Decimals but are not numbers.
    return None if value is None else parse_decimal(str(value), field)


def create_project(i: CreateProjectInput, principal: Principal) -> commands.CreateProject:
    risk = enum_value(ReversalRisk, i.reversal_risk.value if i.reversal_risk is not None else None, "reversalRisk")
    permanence = None
    if risk is not None:
        permanence = Permanence(risk, i.permanence_years) if i.permanence_years is not None else Permanence(risk)
    test = enum_value(AdditionalityTest, i.additionality_test, "additionalityTest")
    additionality = Additionality(test, i.additionality_evidence or "") if test is not None else None
    ties = None
    if i.japan_ties is not None:
        share = decimal_value(i.japan_ties.japanese_investment_share, "japanTies.japaneseInvestmentShare")
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
            p
            for p in (enum_value(AuthorizationPurpose, x, "authorization.purposes") for x in i.authorization.purposes)
            if p
        )
        authorization = Article6Authorization(i.authorization.letter_id, purposes, i.authorization.authorized_on)
    return commands.CreateProject(
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
        **caller(principal),
    )


def program_change(kind: type[P], i: ProgramInput, principal: Principal) -> P:
    return kind(
        program_id=str(i.id),
        name=i.name,
        operator=i.operator,
        scope=enum_value(ProgramScope, i.scope, "scope"),
        japanese=i.japanese,
        icroa_endorsed=i.icroa_endorsed,
        corresponding_adjustment_possible=i.corresponding_adjustment_possible,
        allowed_host_countries=tuple(i.allowed_host_countries) if i.allowed_host_countries is not None else None,
        buffer_account_id=i.buffer_account_id,
        **caller(principal),
    )


def methodology_change(kind: type[M], i: MethodologyInput, methodology_id: str, principal: Principal) -> M:
    return kind(
        methodology_id=methodology_id,
        program_id=str(i.program_id) if i.program_id else None,
        code=i.code,
        title=i.title,
        credit_type=DomainCreditType(i.credit_type.value) if i.credit_type else None,
        basis=DomainBasis(i.basis.value) if i.basis else None,
        sector=enum_value(Sector, i.sector, "sector"),
        family=enum_value(MethodologyFamily, i.family, "family"),
        exchange_category=enum_value(ExchangeCategory, i.exchange_category, "exchangeCategory"),
        **caller(principal),
    )


def submit_monitoring_report(i: SubmitMonitoringReportInput, principal: Principal) -> commands.SubmitMonitoringReport:
    baseline = decimal_value(i.baseline_emissions, "baselineEmissions")
    project = decimal_value(i.project_emissions, "projectEmissions")
    assert baseline is not None
    assert project is not None
    return commands.SubmitMonitoringReport(
        project_id=str(i.project_id),
        period_start=i.period_start,
        period_end=i.period_end,
        baseline_emissions=baseline,
        project_emissions=project,
        leakage_emissions=decimal_value(i.leakage_emissions, "leakageEmissions") or Decimal(0),
        project_removals=decimal_value(i.project_removals, "projectRemovals"),
        baseline_removals=decimal_value(i.baseline_removals, "baselineRemovals"),
        idempotency_key=i.idempotency_key,
        **caller(principal),
    )


def import_summary(report: ImportReport) -> ImportSummary:
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
