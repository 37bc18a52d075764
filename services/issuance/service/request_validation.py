"""RequestValidation: the proponent freezes the design and asks the engaged verifier to validate it."""

from __future__ import annotations

from services.issuance.domain.commands import RequestValidation
from services.issuance.service.ports import Clock, UnitOfWork
from services.issuance.service.results import ProjectRef


def handle(cmd: RequestValidation, uow: UnitOfWork, *, clock: Clock) -> ProjectRef:
    now = clock()
    project = uow.projects.get_project(cmd.project_id, for_update=True)
    project.request_validation(cmd.actor, now)
    uow.projects.save_project(project)
    return ProjectRef(cmd.project_id)
