"""RecordValidation: the engaged, accredited verifier approves or rejects the project design."""

from __future__ import annotations

from services.issuance.domain.actor import Actor
from services.issuance.domain.commands import RecordValidation
from services.issuance.service.ports import Clock, RegistryPort, UnitOfWork
from services.issuance.service.results import ProjectRef
from services.issuance.service.verifiers import is_accredited


def engaged_verifier_accredited(
    uow: UnitOfWork, project_id: str, actor: Actor, token: str | None, registry: RegistryPort, action: str
) -> bool:
    """Refuse a caller who is not the engaged verifier before asking the registry anything (so a
    wrong caller gets FORBIDDEN even when the registry is down), then ask whether it is accredited.
    The read's transaction ends before the call, so no database lock is held while the registry
    answers; the caller re-reads the project for update afterwards."""
    project = uow.projects.get_project(project_id)
    verifier_org_id = project.require_engaged_verifier(actor, True, action)
    uow.commit()
    return is_accredited(registry, verifier_org_id, token)


def handle(cmd: RecordValidation, uow: UnitOfWork, *, registry: RegistryPort, clock: Clock) -> ProjectRef:
    accredited = engaged_verifier_accredited(uow, cmd.project_id, cmd.actor, cmd.token, registry, "recordValidation")
    now = clock()
    project = uow.projects.get_project(cmd.project_id, for_update=True)
    project.record_validation(cmd.actor, cmd.outcome, accredited, now, cmd.comment)
    uow.projects.save_project(project, cmd.comment)
    return ProjectRef(cmd.project_id)
