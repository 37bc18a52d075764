"""RegisterProject: the program registers a validated project (certification step 3), after screening
it once more against every other registration this service knows."""

from __future__ import annotations

from services.issuance.domain.commands import RegisterProject
from services.issuance.service.ports import Clock, UnitOfWork
from services.issuance.service.results import ProjectRef


def handle(cmd: RegisterProject, uow: UnitOfWork, *, clock: Clock) -> ProjectRef:
    now = clock()
    project = uow.projects.get_project(cmd.project_id, for_update=True)
    registered = project.register(cmd.actor, now)
    # Flags do not block registration; they hold issuance until a program admin resolves them.
    project.screen_for_duplicates(uow.projects.other_registrations(cmd.project_id), cmd.actor, now)
    uow.projects.save_project(project)
    uow.projects.set_registered_on(cmd.project_id, registered.registered_on)
    return ProjectRef(cmd.project_id)
