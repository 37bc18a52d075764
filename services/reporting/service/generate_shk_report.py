"""An SHK report (adjusted emissions for a fiscal year), recorded as ReportGenerated (an audit trail)."""

from __future__ import annotations

from collections.abc import Callable

from services.reporting.domain import shk
from services.reporting.domain.actor import authorize_organization_report
from services.reporting.domain.commands import GenerateShkReport
from services.reporting.domain.events import ReportGenerated
from services.reporting.domain.years import require_report_year
from services.reporting.service.ports import UnitOfWork


def handle(cmd: GenerateShkReport, uow: UnitOfWork, *, new_id: Callable[[], str]) -> shk.ShkReport:
    shk_input = cmd.shk_input
    require_report_year(shk_input.fiscal_year, "input.fiscalYear")
    authorize_organization_report(cmd.actor, shk_input.organization_id)
    retirements = uow.facts.retirements(shk_input.organization_id)
    transfers = uow.facts.transfers(shk_input.organization_id)
    batch_ids = sorted({r.batch_id for r in retirements} | {t.batch_id for t in transfers})
    records = uow.facts.batches(batch_ids)
    report = shk.compute_shk_report(
        shk_input, retirements, transfers, {batch_id: record.facts for batch_id, record in records.items()}
    )
    uow.emit(
        ReportGenerated(
            report_id=new_id(),
            report_kind="SHK",
            organization_id=shk_input.organization_id,
            year=shk_input.fiscal_year,
            total_quantity_t=sum(line.quantity_t for line in report.deducted_credits),
            actor_user_id=cmd.actor.user_id or "",
            actor_organization_id=cmd.actor.organization_id or "",
        )
    )
    return report
