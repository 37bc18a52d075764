"""WithdrawProject: by the proponent or the program; credits already issued stay valid."""

from __future__ import annotations

from services.issuance.domain.commands import WithdrawProject
from services.issuance.service.ports import Clock, UnitOfWork
from services.issuance.service.results import ProjectRef


def handle(cmd: WithdrawProject, uow: UnitOfWork, *, clock: Clock) -> ProjectRef:
    now = clock()
    project = uow.projects.get_project(cmd.project_id, for_update=True)
    project.withdraw(cmd.actor, cmd.reason, now)
    uow.projects.save_project(project, cmd.reason)
    return ProjectRef(cmd.project_id)
