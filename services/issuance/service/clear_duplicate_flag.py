"""ClearDuplicateFlag: a program admin records that the other registration was cancelled or moved here,
which lifts the hold on issuance."""

from __future__ import annotations

from services.issuance.domain.commands import ClearDuplicateFlag
from services.issuance.service.ports import Clock, UnitOfWork
from services.issuance.service.results import ProjectRef


def handle(cmd: ClearDuplicateFlag, uow: UnitOfWork, *, clock: Clock) -> ProjectRef:
    now = clock()
    project = uow.projects.get_project(cmd.project_id, for_update=True)
    project.record_other_registration_closed(cmd.actor, cmd.registration_id, cmd.status, now)
    uow.projects.save_project(project)
    return ProjectRef(cmd.project_id)
