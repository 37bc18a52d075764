"""EngageVerifier: the proponent names the accredited body that will validate and verify (DRAFT only).

No VerifierEngaged payload exists in carbon.events.v1 yet; ValidationRequested carries the verifier."""

from __future__ import annotations

from services.issuance.domain.actor import Role, require_role_for
from services.issuance.domain.commands import EngageVerifier
from services.issuance.service.ports import Clock, RegistryPort, UnitOfWork
from services.issuance.service.results import ProjectRef
from services.issuance.service.verifiers import require_accredited


def handle(cmd: EngageVerifier, uow: UnitOfWork, *, registry: RegistryPort, clock: Clock) -> ProjectRef:
    proponent = uow.projects.get_project(cmd.project_id).proponent_org_id
    # The caller's role is checked before the registry is asked anything.
    require_role_for(cmd.actor, Role.PROPONENT, proponent, "engageVerifier")
    if cmd.verifier_id != proponent:
        uow.commit()  # no database lock is held while the registry answers
        require_accredited(registry, cmd.verifier_id, cmd.token, refuse_as_invalid=True)
    now = clock()
    project = uow.projects.get_project(cmd.project_id, for_update=True)
    project.engage_verifier(cmd.actor, cmd.verifier_id, now)
    uow.projects.save_project(project)
    return ProjectRef(cmd.project_id)
