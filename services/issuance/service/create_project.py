"""CreateProject: a proponent drafts a project (certification step 1), screened for duplicates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from carbon_runtime.errors import invalid
from carbon_runtime.transport.auth import Principal
from services.issuance.domain.actor import Role, require_role_for
from services.issuance.domain.periods import Period
from services.issuance.domain.project import Project
from services.issuance.domain.values import (
    Additionality,
    Article6Authorization,
    JapanTies,
    Permanence,
    ProjectDocument,
    Site,
)
from services.issuance.service.common import PROJECT, Deps, actor_of, project_created_event, run_idempotent
from services.issuance.service.verifiers import require_accredited


@dataclass(frozen=True)
class CreateProject:
    name: str
    program_id: str
    methodology_id: str
    country: str
    proponent_id: str
    verifier_id: str | None = None
    crediting_period_start: date | None = None
    crediting_period_end: date | None = None
    co_benefits: tuple[int, ...] = ()
    idempotency_key: str | None = None
    region: str | None = None
    permanence: Permanence | None = None
    additionality: Additionality | None = None
    japan_ties: JapanTies | None = None
    authorization: Article6Authorization | None = None
    program_type: bool = False
    sites: tuple[Site, ...] = field(default=())
    documents: tuple[ProjectDocument, ...] = field(default=())
    origin_project_id: str | None = None


def crediting_period(start: date | None, end: date | None) -> Period | None:
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise invalid(
            "CREDITING_PERIOD_INCOMPLETE", "give both creditingPeriodStart and creditingPeriodEnd, or neither"
        )
    return Period(start, end)


def create_project(deps: Deps, principal: Principal, cmd: CreateProject) -> str:
    actor = actor_of(principal)
    require_role_for(actor, Role.PROPONENT, cmd.proponent_id, "createProject")
    period = crediting_period(cmd.crediting_period_start, cmd.crediting_period_end)
    if cmd.verifier_id is not None and cmd.verifier_id != cmd.proponent_id:
        # Only an accredited body may be engaged; asked of the registry before anything is written.
        require_accredited(deps, cmd.verifier_id, principal, refuse_as_invalid=True)
    now = deps.clock()
    args = {k: v for k, v in cmd.__dict__.items() if k != "idempotency_key"}

    with deps.uow() as uow:

        def effect() -> str:
            program = uow.get_program(cmd.program_id).program
            methodology = uow.get_methodology(cmd.methodology_id)
            project = Project.create(
                project_id=deps.new_id(),
                actor=actor,
                at=now,
                name=cmd.name,
                program=program,
                methodology=methodology,
                host_country=cmd.country,
                proponent_org_id=cmd.proponent_id,
                region=cmd.region,
                verifier_org_id=cmd.verifier_id,
                crediting_period=period,
                co_benefits=cmd.co_benefits,
                additionality=cmd.additionality,
                permanence=cmd.permanence,
                japan_ties=cmd.japan_ties,
                authorization=cmd.authorization,
                program_type=cmd.program_type,
                sites=cmd.sites,
                documents=cmd.documents,
                origin_project_id=cmd.origin_project_id,
            )
            project.screen_for_duplicates(uow.other_registrations(project.project_id), actor, now)
            uow.add_project(project, actor.user_id)
            uow.add_event(PROJECT, project.project_id, project_created_event(project, actor, cmd.idempotency_key))
            return project.project_id

        return run_idempotent(uow, actor, cmd.idempotency_key, "createProject", args, effect)
