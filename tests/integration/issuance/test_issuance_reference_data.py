"""Programs and methodologies: seeded by the migration, edited by PROGRAM_ADMINs only."""

from __future__ import annotations

from sqlalchemy import func, select

from carbon_runtime.errors import ErrorCode
from carbon_runtime.persistence.db import make_engine
from carbon_runtime.persistence.migrations import upgrade
from services.issuance.adapters import tables
from services.issuance.domain.reference_data import (
    METHODOLOGIES,
    PROGRAMS,
    CreditBasis,
    CreditType,
    MethodologyFamily,
    ProgramScope,
    Sector,
)
from tests.integration.issuance.support import (
    ADMIN,
    PROPONENT,
    Env,
    MethodologyChange,
    ProgramChange,
    assert_refused,
    create_methodology,
    create_program,
    new_project,
    update_methodology,
    update_program,
)

NEW_PROGRAM = ProgramChange("PURO", "Puro.earth", "Puro.earth Oy", ProgramScope.INTERNATIONAL, icroa_endorsed=True)
NEW_METHODOLOGY = MethodologyChange(
    "",
    program_id="PURO",
    code="BIOCHAR-2022",
    title="Biochar carbon removal",
    credit_type=CreditType.REMOVAL,
    basis=CreditBasis.TECHNOLOGY,
    sector=Sector.CARBON_DIOXIDE_REMOVAL,
    family=MethodologyFamily.BIOCHAR,
)


def test_migration_creates_the_schema_and_seeds_every_program_and_methodology(database_url: str) -> None:
    upgrade("issuance", database_url)
    engine = make_engine(database_url)
    with engine.connect() as conn:
        programs = conn.execute(select(func.count()).select_from(tables.programs)).scalar_one()
        methodologies = conn.execute(select(func.count()).select_from(tables.methodologies)).scalar_one()
        jcm = conn.execute(select(tables.programs).where(tables.programs.c.program_id == "JCM")).one()
    engine.dispose()
    assert (programs, methodologies) == (len(PROGRAMS), len(METHODOLOGIES))
    assert "MN" in jcm.allowed_host_countries
    assert jcm.corresponding_adjustment_possible


def test_program_admin_creates_a_program_and_a_methodology(env: Env) -> None:
    assert create_program(env.deps, ADMIN, NEW_PROGRAM) == "PURO"
    assert create_methodology(env.deps, ADMIN, NEW_METHODOLOGY) == "PURO:BIOCHAR-2022"
    with env.engine.connect() as conn:
        m = conn.execute(
            select(tables.methodologies).where(tables.methodologies.c.methodology_id == "PURO:BIOCHAR-2022")
        ).one()
    assert (m.program_id, m.credit_type, m.basis, m.family) == ("PURO", "REMOVAL", "TECHNOLOGY", "BIOCHAR")


def test_program_admin_updates_a_program_and_sets_its_buffer_account(env: Env) -> None:
    update_program(env.deps, ADMIN, ProgramChange("JCREDIT", name="J-Credit", buffer_account_id="acct-buffer"))
    with env.engine.connect() as conn:
        row = conn.execute(select(tables.programs).where(tables.programs.c.program_id == "JCREDIT")).one()
    assert (row.name, row.buffer_account_id, row.allowed_host_countries) == ("J-Credit", "acct-buffer", ["JP"])


def test_reference_data_edits_require_the_program_admin_role(env: Env) -> None:
    assert_refused(env, lambda: create_program(env.deps, PROPONENT, NEW_PROGRAM), ErrorCode.FORBIDDEN)
    assert_refused(
        env, lambda: update_program(env.deps, PROPONENT, ProgramChange("JCREDIT", name="x")), ErrorCode.FORBIDDEN
    )


def test_create_program_refuses_an_existing_id(env: Env) -> None:
    assert_refused(
        env,
        lambda: create_program(env.deps, ADMIN, ProgramChange("VCS", "Verra", "Verra", ProgramScope.INTERNATIONAL)),
        ErrorCode.CONFLICT,
        "PROGRAM_EXISTS",
    )


def test_create_program_refuses_an_unknown_host_country(env: Env) -> None:
    bad = ProgramChange("XX", "X", "X", ProgramScope.DOMESTIC, allowed_host_countries=("JPN",))
    assert_refused(env, lambda: create_program(env.deps, ADMIN, bad), ErrorCode.INVALID_ARGUMENT, "INVALID_COUNTRY")


def test_update_methodology_refuses_to_retype_a_methodology_in_use(env: Env) -> None:
    new_project(env)
    retype = MethodologyChange("JCREDIT:EN-S-001", credit_type=CreditType.REMOVAL)
    assert_refused(
        env, lambda: update_methodology(env.deps, ADMIN, retype), ErrorCode.FAILED_PRECONDITION, "METHODOLOGY_IN_USE"
    )
    update_methodology(env.deps, ADMIN, MethodologyChange("JCREDIT:EN-S-001", title="Boiler installation"))
    with env.engine.connect() as conn:
        title = conn.execute(
            select(tables.methodologies.c.title).where(tables.methodologies.c.methodology_id == "JCREDIT:EN-S-001")
        ).scalar_one()
    assert title == "Boiler installation"
