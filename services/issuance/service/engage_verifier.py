"""EngageVerifier: the proponent names the accredited body that will validate and verify (DRAFT only).

No VerifierEngaged payload exists in carbon.events.v1 yet; ValidationRequested carries the verifier."""

from __future__ import annotations

from carbon_runtime.transport.auth import Principal
from services.issuance.domain.actor import Role, require_role_for
from services.issuance.service.common import Deps, actor_of
from services.issuance.service.verifiers import require_accredited


def engage_verifier(deps: Deps, principal: Principal, project_id: str, verifier_id: str) -> str:
    actor = actor_of(principal)
    with deps.uow() as uow:
        proponent = uow.get_project(project_id).proponent_org_id
    require_role_for(actor, Role.PROPONENT, proponent, "engageVerifier")
    if verifier_id != proponent:
        require_accredited(deps, verifier_id, principal, refuse_as_invalid=True)
    now = deps.clock()
    with deps.uow() as uow:
        project = uow.get_project(project_id, for_update=True)
        project.engage_verifier(actor, verifier_id, now)
        uow.save_project(project)
    return project_id
