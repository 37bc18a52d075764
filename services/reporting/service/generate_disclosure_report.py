"""A disclosure report (METI report section 6.1.2) of the credits an organization used in a year,
recorded as ReportGenerated: who read which organization's report is an audit trail."""

from __future__ import annotations

from collections.abc import Callable

from services.reporting.domain import disclosure
from services.reporting.domain.actor import authorize_organization_report
from services.reporting.domain.commands import GenerateDisclosureReport
from services.reporting.domain.events import ReportGenerated
from services.reporting.domain.years import require_report_year
from services.reporting.service.ports import UnitOfWork


def handle(cmd: GenerateDisclosureReport, uow: UnitOfWork, *, new_id: Callable[[], str]) -> disclosure.DisclosureReport:
    require_report_year(cmd.year, "year")
    authorize_organization_report(cmd.actor, cmd.organization_id)
    retirements = uow.facts.retirements(cmd.organization_id)
    cancellations = [c for c in uow.facts.cancellations() if c.organization_id == cmd.organization_id]
    batch_ids = {r.batch_id for r in retirements} | {c.batch_id for c in cancellations}
    records = uow.facts.batches(sorted(batch_ids))
    org = uow.facts.organizations().get(cmd.organization_id)
    report = disclosure.build_disclosure_report(
        cmd.organization_id,
        cmd.year,
        retirements,
        {batch_id: record.facts for batch_id, record in records.items()},
        organization_name=org.name if org else "",
        cancellations=cancellations,
    )
    uow.emit(
        ReportGenerated(
            report_id=new_id(),
            report_kind="DISCLOSURE",
            organization_id=cmd.organization_id,
            year=cmd.year,
            total_quantity_t=report.total_quantity_t,
            actor_user_id=cmd.actor.user_id or "",
            actor_organization_id=cmd.actor.organization_id or "",
        )
    )
    return report
