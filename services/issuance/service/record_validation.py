"""RecordValidation: the engaged, accredited verifier approves or rejects the project design."""

from __future__ import annotations

from services.issuance.domain.actor import Actor
from services.issuance.domain.commands import RecordValidation
from services.issuance.domain.project import Project
from services.issuance.service.ports import Clock, RegistryPort, UnitOfWork
from services.issuance.service.results import ProjectRef
from services.issuance.service.verifiers import is_accredited


def engaged_verifier_accredited(
    project: Project, actor: Actor, token: str | None, registry: RegistryPort, action: str
) -> bool:
    """Refuse a caller who is not the engaged verifier before asking the registry anything (so a
    wrong caller gets FORBIDDEN even when the registry is down), then ask whether it is accredited."""
    project.require_engaged_verifier(actor, True, action)
    assert project.verifier_org_id is not None  # require_engaged_verifier refused otherwise
    return is_accredited(registry, project.verifier_org_id, token)


def handle(cmd: RecordValidation, uow: UnitOfWork, *, registry: RegistryPort, clock: Clock) -> ProjectRef:
    project = uow.projects.get_project(cmd.project_id, for_update=True)
    accredited = engaged_verifier_accredited(project, cmd.actor, cmd.token, registry, "recordValidation")
    project.record_validation(cmd.actor, cmd.outcome, accredited, clock(), cmd.comment)
    uow.projects.save_project(project, cmd.comment)
    return ProjectRef(cmd.project_id)
