"""RegisterProject: the program registers a validated project (certification step 3), after screening
it once more against every other registration this service knows."""

from __future__ import annotations

from carbon.issuance.v1 import events_pb2

from carbon_runtime.transport.auth import Principal
from services.issuance.service.common import PROJECT, Deps, actor_fields, actor_of


def register_project(deps: Deps, principal: Principal, project_id: str) -> str:
    actor = actor_of(principal)
    now = deps.clock()
    with deps.uow() as uow:
        project = uow.get_project(project_id, for_update=True)
        project.register(actor, now)
        # Flags do not block registration; they hold issuance until a program admin resolves them.
        project.screen_for_duplicates(uow.other_registrations(project_id), actor, now)
        uow.save_project(project)
        registered_on = now.date()
        uow.set_registered_on(project_id, registered_on)
        uow.add_event(
            PROJECT,
            project_id,
            events_pb2.ProjectRegistered(
                project_id=project_id,
                program_id=project.program.program_id,
                registered_on=registered_on.isoformat(),
                **actor_fields(actor),
            ),
        )
    return project_id
