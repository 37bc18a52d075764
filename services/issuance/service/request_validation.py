"""RequestValidation: the proponent freezes the design and asks the engaged verifier to validate it."""

from __future__ import annotations

from carbon.issuance.v1 import events_pb2

from carbon_runtime.transport.auth import Principal
from services.issuance.service.common import PROJECT, Deps, actor_fields, actor_of


def request_validation(deps: Deps, principal: Principal, project_id: str) -> str:
    actor = actor_of(principal)
    now = deps.clock()
    with deps.uow() as uow:
        project = uow.get_project(project_id, for_update=True)
        event = project.request_validation(actor, now)
        uow.save_project(project)
        uow.add_event(
            PROJECT,
            project_id,
            events_pb2.ValidationRequested(
                project_id=project_id, verifier_organization_id=event.verifier_org_id, **actor_fields(actor)
            ),
        )
    return project_id
