"""RecordVerification: the engaged, accredited verifier confirms a report's tonnes (step 5)."""

from __future__ import annotations

from carbon.issuance.v1 import events_pb2

from carbon_runtime.transport.auth import Principal
from services.issuance.service.common import PROJECT, Deps, actor_fields, actor_of
from services.issuance.service.record_validation import engaged_verifier_precheck


def record_verification(deps: Deps, principal: Principal, report_id: str, verified_quantity_t: int) -> str:
    actor = actor_of(principal)
    with deps.uow() as uow:
        project_id = uow.get_report(report_id).report.project_id
    accredited = engaged_verifier_precheck(deps, principal, project_id, "recordVerification")
    now = deps.clock()
    with deps.uow() as uow:
        project = uow.get_project(project_id, for_update=True)
        report = uow.get_report(report_id, for_update=True).report
        event = report.record_verification(
            actor=actor,
            project=project,
            verified_quantity_t=verified_quantity_t,
            verifier_accredited=accredited,
            at=now,
        )
        uow.save_verification(report)
        uow.add_event(
            PROJECT,
            project_id,
            events_pb2.VerificationRecorded(
                monitoring_report_id=report_id,
                project_id=project_id,
                verifier_organization_id=event.verifier_org_id,
                verified_quantity_t=verified_quantity_t,
                **actor_fields(actor),
            ),
        )
    return report_id
