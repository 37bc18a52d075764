"""WithdrawProject: by the proponent or the program; credits already issued stay valid."""

from __future__ import annotations

from carbon.issuance.v1 import events_pb2

from carbon_runtime.transport.auth import Principal
from services.issuance.service.common import PROJECT, Deps, actor_fields, actor_of


def withdraw_project(deps: Deps, principal: Principal, project_id: str, reason: str) -> str:
    actor = actor_of(principal)
    now = deps.clock()
    with deps.uow() as uow:
        project = uow.get_project(project_id, for_update=True)
        project.withdraw(actor, reason, now)
        uow.save_project(project, reason)
        uow.add_event(
            PROJECT,
            project_id,
            events_pb2.ProjectWithdrawn(project_id=project_id, reason=reason, **actor_fields(actor)),
        )
    return project_id
