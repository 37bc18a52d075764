"""CreateProject: a proponent drafts a project (certification step 1), screened for duplicates."""

from __future__ import annotations

from datetime import date

from carbon_runtime.errors import invalid
from services.issuance.domain.actor import Role, require_role_for
from services.issuance.domain.commands import CreateProject
from services.issuance.domain.periods import Period
from services.issuance.domain.project import Project
from services.issuance.service.ports import Clock, IdGenerator, RegistryPort, UnitOfWork
from services.issuance.service.results import ProjectRef
from services.issuance.service.verifiers import require_accredited


def crediting_period(start: date | None, end: date | None) -> Period | None:
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise invalid(
            "CREDITING_PERIOD_INCOMPLETE", "give both creditingPeriodStart and creditingPeriodEnd, or neither"
        )
    return Period(start, end)


def handle(
    cmd: CreateProject, uow: UnitOfWork, *, registry: RegistryPort, clock: Clock, new_id: IdGenerator
) -> ProjectRef:
    actor = cmd.actor
    require_role_for(actor, Role.PROPONENT, cmd.proponent_id, "createProject")
    period = crediting_period(cmd.crediting_period_start, cmd.crediting_period_end)
    if cmd.verifier_id is not None and cmd.verifier_id != cmd.proponent_id:
        # Only an accredited body may be engaged; asked of the registry before anything is written,
        # outside any transaction (the bus's key lookup ends here), so no lock waits on the registry.
        uow.commit()
        require_accredited(registry, cmd.verifier_id, cmd.token, refuse_as_invalid=True)
    now = clock()
    program = uow.reference.get_program(cmd.program_id).program
    methodology = uow.reference.get_methodology(cmd.methodology_id)
    project = Project.create(
        project_id=new_id(),
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
        idempotency_key=cmd.idempotency_key,
    )
    project.screen_for_duplicates(uow.projects.other_registrations(project.project_id), actor, now)
    uow.projects.add_project(project, actor.user_id)
    return ProjectRef(project.project_id)
