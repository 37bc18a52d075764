"""ClearDuplicateFlag: a program admin records that the other registration was cancelled or moved here,
which lifts the hold on issuance."""

from __future__ import annotations

from carbon_runtime.transport.auth import Principal
from services.issuance.domain.duplicates import RegistrationStatus
from services.issuance.service.common import Deps, actor_of


def clear_duplicate_flag(
    deps: Deps, principal: Principal, project_id: str, registration_id: str, status: RegistrationStatus
) -> str:
    actor = actor_of(principal)
    now = deps.clock()
    with deps.uow() as uow:
        project = uow.get_project(project_id, for_update=True)
        project.record_other_registration_closed(actor, registration_id, status, now)
        uow.save_project(project)
    return project_id
