"""RequestChanges: the verifier sends the design back to the proponent (UNDER_VALIDATION -> DRAFT).

carbon.events.v1 has no ChangesRequested payload yet, so the step is kept in the status history
(with the verifier's comment) and published once the event exists."""

from __future__ import annotations

from services.issuance.domain.commands import RequestChanges
from services.issuance.service.ports import Clock, RegistryPort, UnitOfWork
from services.issuance.service.record_validation import engaged_verifier_accredited
from services.issuance.service.results import ProjectRef


def handle(cmd: RequestChanges, uow: UnitOfWork, *, registry: RegistryPort, clock: Clock) -> ProjectRef:
    accredited = engaged_verifier_accredited(uow, cmd.project_id, cmd.actor, cmd.token, registry, "requestChanges")
    now = clock()
    project = uow.projects.get_project(cmd.project_id, for_update=True)
    project.request_changes(cmd.actor, cmd.comment, accredited, now)
    uow.projects.save_project(project, cmd.comment)
    return ProjectRef(cmd.project_id)
