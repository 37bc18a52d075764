"""RecordValidation: the engaged, accredited verifier approves or rejects the project design."""

from __future__ import annotations

from carbon.issuance.v1 import events_pb2

from carbon_runtime.transport.auth import Principal
from services.issuance.domain.events import ProjectRejected
from services.issuance.domain.project import ValidationOutcome
from services.issuance.service.common import PROJECT, Deps, actor_fields, actor_of
from services.issuance.service.verifiers import is_accredited


def engaged_verifier_precheck(deps: Deps, principal: Principal, project_id: str, action: str) -> bool:
    """Refuse a caller who is not the engaged verifier before asking the registry anything (so a
    wrong caller gets FORBIDDEN even when the registry is down), then ask whether it is accredited."""
    actor = actor_of(principal)
    with deps.uow() as uow:
        project = uow.get_project(project_id)
        project.require_engaged_verifier(actor, True, action)
        verifier_org_id = project.verifier_org_id
    assert verifier_org_id is not None  # require_engaged_verifier refused otherwise
    return is_accredited(deps, verifier_org_id, principal)


def record_validation(
    deps: Deps, principal: Principal, project_id: str, outcome: ValidationOutcome, comment: str | None
) -> str:
    actor = actor_of(principal)
    accredited = engaged_verifier_precheck(deps, principal, project_id, "recordValidation")
    now = deps.clock()
    with deps.uow() as uow:
        project = uow.get_project(project_id, for_update=True)
        event = project.record_validation(actor, outcome, accredited, now, comment)
        uow.save_project(project, comment)
        fields = {
            "project_id": project_id,
            "verifier_organization_id": event.verifier_org_id,
            "comment": comment or "",
            **actor_fields(actor),
        }
        payload = events_pb2.ProjectRejected(**fields) if isinstance(event, ProjectRejected) else None
        uow.add_event(PROJECT, project_id, payload or events_pb2.ProjectValidated(**fields))
    return project_id
