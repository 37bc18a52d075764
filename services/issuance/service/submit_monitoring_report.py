"""SubmitMonitoringReport: the proponent reports a monitoring period (certification step 4)."""

from __future__ import annotations

from decimal import Decimal

from carbon_runtime.errors import invalid
from services.issuance.domain.commands import SubmitMonitoringReport
from services.issuance.domain.monitoring import (
    MonitoringReport,
    Quantification,
    ReductionQuantification,
    RemovalQuantification,
)
from services.issuance.domain.periods import Period
from services.issuance.domain.reference_data import CreditType
from services.issuance.service.ports import Clock, IdGenerator, LoadedReport, ReportFigures, UnitOfWork
from services.issuance.service.results import ReportRef

# No project reports more than a trillion tCO2e in one period (world emissions are ~5e10 t a
# year), nor finer than 1e-12 t. Bounding the figures keeps the arithmetic exact in Decimal's
# 28-digit context and cheap: "1e999999" made the floor to whole tonnes build a million-digit int.
MAX_FIGURE_T = Decimal(10) ** 12
MAX_FIGURE_DECIMALS = 12


def _require_bounded(cmd: SubmitMonitoringReport) -> None:
    figures = {
        "baselineEmissions": cmd.baseline_emissions,
        "projectEmissions": cmd.project_emissions,
        "leakageEmissions": cmd.leakage_emissions,
        "projectRemovals": cmd.project_removals,
        "baselineRemovals": cmd.baseline_removals,
    }
    for name, value in figures.items():
        if value is None or not value.is_finite():
            continue  # absent, or refused as not finite by the domain
        if abs(value) > MAX_FIGURE_T or int(value.as_tuple().exponent) < -MAX_FIGURE_DECIMALS:
            raise invalid(
                "FIGURE_OUT_OF_RANGE",
                f"{name} must be at most {MAX_FIGURE_T:,} tCO2e with at most {MAX_FIGURE_DECIMALS} decimal places",
                field=name,
            )


def _quantification(cmd: SubmitMonitoringReport, credit_type: CreditType) -> Quantification:
    _require_bounded(cmd)
    if credit_type is CreditType.REMOVAL:
        if cmd.project_removals is None:
            raise invalid("REMOVALS_REQUIRED", "a removal project reports projectRemovals (and baselineRemovals)")
        return RemovalQuantification(cmd.project_removals, cmd.baseline_removals or Decimal(0), cmd.leakage_emissions)
    if cmd.project_removals is not None or cmd.baseline_removals is not None:
        raise invalid("REMOVALS_NOT_APPLICABLE", "a reduction project reports emissions, not removals")
    return ReductionQuantification(cmd.baseline_emissions, cmd.project_emissions, cmd.leakage_emissions)


def handle(cmd: SubmitMonitoringReport, uow: UnitOfWork, *, clock: Clock, new_id: IdGenerator) -> ReportRef:
    now = clock()
    # The project row lock serialises submissions, so two overlapping periods cannot both pass.
    project = uow.projects.get_project(cmd.project_id, for_update=True)
    period = Period(cmd.period_start, cmd.period_end)
    report = MonitoringReport.submit(
        report_id=new_id(),
        project=project,
        actor=cmd.actor,
        period=period,
        quantification=_quantification(cmd, project.credit_type),
        earlier_reports=uow.reports.reports_of(cmd.project_id),
        at=now,
        emissions_as_submitted=(cmd.baseline_emissions, cmd.project_emissions, cmd.leakage_emissions),
        idempotency_key=cmd.idempotency_key,
    )
    figures = ReportFigures(
        baseline_emissions=str(cmd.baseline_emissions),
        project_emissions=str(cmd.project_emissions),
        leakage_emissions=str(cmd.leakage_emissions),
    )
    uow.reports.add_report(LoadedReport(report, figures))
    return ReportRef(report.report_id)
