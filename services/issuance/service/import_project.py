"""ImportProject (PROGRAM_ADMIN): a project bridged in from an external registry (Verra, Gold
Standard, ACR, CAR, ART TREES); see import_batch for its batches.

An imported project was validated and registered by its origin registry, so it starts REGISTERED,
with its origin project id. Its methodology is the program's methodology of the same code when the
reference data has it, otherwise one is created for the program (reference data, PROGRAM_ADMIN), so
no record is dropped for want of a methodology.
"""

from __future__ import annotations

import re

from carbon_runtime.errors import invalid
from services.issuance.domain.actor import Role, require_role
from services.issuance.domain.commands import ImportProject
from services.issuance.domain.countries import validate_country
from services.issuance.domain.periods import Period
from services.issuance.domain.project import Project
from services.issuance.domain.reference_data import Methodology, MethodologyFamily, Sector
from services.issuance.service.imports import digest, import_organization_id, methodology_code, normalized
from services.issuance.service.ports import Clock, UnitOfWork
from services.issuance.service.results import ImportedProject


def _methodology_for(existing: list[Methodology], cmd: ImportProject) -> tuple[Methodology, bool]:
    program_id = cmd.program_id
    text = cmd.methodology_code.strip()
    code = methodology_code(text) if text else "UNSPECIFIED"
    wanted = normalized(code)
    for methodology in existing:
        if normalized(methodology.code) == wanted:
            return methodology, False
    try:
        if cmd.credit_type is None or cmd.basis is None:
            raise ValueError("credit type and basis not stated")
        sector = Sector(cmd.sector)
        family = MethodologyFamily(cmd.family)
    except ValueError:
        raise invalid(
            "METHODOLOGY_ATTRIBUTES_REQUIRED",
            f"methodology {code!r} is not in program {program_id}; give credit type, basis, sector and family "
            "so it can be created",
        ) from None
    stated = f"Not stated in the export ({cmd.project_type or 'unknown project type'})"
    title = (text or stated)[:300]
    methodology = Methodology(
        methodology_id=f"{program_id}:{code}",
        program_id=program_id,
        code=code,
        title=title,
        credit_type=cmd.credit_type,
        basis=cmd.basis,
        sector=sector,
        family=family,
    )
    return methodology, True


def _origin_crediting_period(cmd: ImportProject) -> Period | None:
    """The origin registry's first crediting period, so that CORSIA's cut-off (表 9 「2016 年 1 月 1 日登録」)
    reads the activity's dates rather than the day of the import."""
    start, end = cmd.crediting_period_start, cmd.crediting_period_end
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise invalid("CREDITING_PERIOD_INCOMPLETE", "give both ends of the origin crediting period, or neither")
    return Period(start, end)


def handle(cmd: ImportProject, uow: UnitOfWork, *, clock: Clock) -> ImportedProject:
    actor = cmd.actor
    require_role(actor, Role.PROGRAM_ADMIN, "importProject")
    origin_registry = cmd.origin_registry
    if not re.fullmatch(r"[A-Z][A-Z_]{1,19}", origin_registry):
        raise invalid("ORIGIN_REGISTRY_INVALID", "origin_registry must be a registry name such as VERRA or ACR")
    origin_project_id = cmd.origin_project_id.strip()
    if not origin_project_id or len(origin_project_id) > 120:
        raise invalid("ORIGIN_PROJECT_ID_INVALID", "origin_project_id must be 1-120 characters")
    validate_country(cmd.country)
    now = clock()
    settings = uow.reference.get_program(cmd.program_id)
    found = uow.projects.project_by_origin(cmd.program_id, origin_project_id)
    if found is not None:
        project = uow.projects.get_project(found)
        return ImportedProject(found, project.methodology.methodology_id, created=False, methodology_created=False)
    methodology, methodology_created = _methodology_for(list(uow.reference.methodologies_of(cmd.program_id)), cmd)
    if methodology_created:
        uow.reference.save_methodology(methodology, new=True)
    project = Project.imported(
        # Derived from the origin id, so two racing imports of one project collide on the key.
        project_id="IMP" + digest(f"{cmd.program_id}|{origin_project_id}", 29),
        actor=actor,
        at=now,
        name=cmd.name.strip()[:300] or origin_project_id,
        program=settings.program,
        methodology=methodology,
        host_country=cmd.country,
        proponent_org_id=import_organization_id(origin_registry),
        origin_project_id=origin_project_id,
        idempotency_key=cmd.record_key or None,
        crediting_period=_origin_crediting_period(cmd),
    )
    uow.projects.add_project(project, actor.user_id)
    uow.projects.set_registered_on(project.project_id, now.date())
    return ImportedProject(project.project_id, methodology.methodology_id, True, methodology_created)
