"""RequestChanges: the verifier sends the design back to the proponent (UNDER_VALIDATION -> DRAFT).

carbon.events.v1 has no ChangesRequested payload yet, so the step is kept in the status history
(with the verifier's comment) and published once the event exists."""

from __future__ import annotations

from carbon_runtime.transport.auth import Principal
from services.issuance.service.common import Deps, actor_of
from services.issuance.service.record_validation import engaged_verifier_precheck


def request_changes(deps: Deps, principal: Principal, project_id: str, comment: str) -> str:
    actor = actor_of(principal)
    accredited = engaged_verifier_precheck(deps, principal, project_id, "requestChanges")
    now = deps.clock()
    with deps.uow() as uow:
        project = uow.get_project(project_id, for_update=True)
        project.request_changes(actor, comment, accredited, now)
        uow.save_project(project, comment)
    return project_id
