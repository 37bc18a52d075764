"""SubmitMonitoringReport: the proponent reports a monitoring period (certification step 4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from carbon.issuance.v1 import events_pb2

from carbon_runtime.errors import invalid
from carbon_runtime.transport.auth import Principal
from services.issuance.domain.monitoring import (
    MonitoringReport,
    Quantification,
    ReductionQuantification,
    RemovalQuantification,
)
from services.issuance.domain.periods import Period
from services.issuance.domain.reference_data import CreditType
from services.issuance.service.common import PROJECT, Deps, actor_fields, actor_of, run_idempotent
from services.issuance.service.ports import LoadedReport, ReportFigures


@dataclass(frozen=True)
class SubmitMonitoringReport:
    project_id: str
    period_start: date
    period_end: date
    baseline_emissions: Decimal
    project_emissions: Decimal
    leakage_emissions: Decimal = Decimal(0)
    #: Removal projects quantify removals (net = project removals - baseline removals - leakage).
    project_removals: Decimal | None = None
    baseline_removals: Decimal | None = None
    idempotency_key: str | None = None


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


def submit_monitoring_report(deps: Deps, principal: Principal, cmd: SubmitMonitoringReport) -> str:
    actor = actor_of(principal)
    now = deps.clock()
    args = {k: v for k, v in cmd.__dict__.items() if k != "idempotency_key"}
    with deps.uow() as uow:

        def effect() -> str:
            # The project row lock serialises submissions, so two overlapping periods cannot both pass.
            project = uow.get_project(cmd.project_id, for_update=True)
            period = Period(cmd.period_start, cmd.period_end)
            report = MonitoringReport.submit(
                report_id=deps.new_id(),
                project=project,
                actor=actor,
                period=period,
                quantification=_quantification(cmd, project.credit_type),
                earlier_reports=uow.reports_of(cmd.project_id),
                at=now,
            )
            figures = ReportFigures(
                baseline_emissions=str(cmd.baseline_emissions),
                project_emissions=str(cmd.project_emissions),
                leakage_emissions=str(cmd.leakage_emissions),
            )
            uow.add_report(LoadedReport(report, figures))
            uow.add_event(
                PROJECT,
                cmd.project_id,
                events_pb2.MonitoringReportSubmitted(
                    monitoring_report_id=report.report_id,
                    project_id=cmd.project_id,
                    period_start=period.start.isoformat(),
                    period_end=period.end.isoformat(),
                    baseline_emissions_decimal=figures.baseline_emissions,
                    project_emissions_decimal=figures.project_emissions,
                    leakage_emissions_decimal=figures.leakage_emissions,
                    claimed_quantity_t=report.claimed_quantity_t,
                    idempotency_key=cmd.idempotency_key or "",
                    **actor_fields(actor),
                ),
            )
            return report.report_id

        return run_idempotent(uow, actor, cmd.idempotency_key, "submitMonitoringReport", args, effect)
