"""CreateProject: who may draft a project, what is checked, what is recorded."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from carbon_runtime.errors import ErrorCode
from services.issuance.adapters import tables
from tests.integration.issuance.support import (
    ADMIN,
    OTHER_PROPONENT,
    PROPONENT,
    PROPONENT_ORG,
    UNACCREDITED_ORG,
    VERIFIER_ORG,
    Env,
    assert_refused,
    create_project,
    events,
    project_command,
    removal_command,
)


def test_create_project_records_a_draft_with_its_history_and_event(env: Env) -> None:
    project_id = create_project(env.deps, PROPONENT, project_command())
    with env.engine.connect() as conn:
        row = conn.execute(select(tables.projects).where(tables.projects.c.project_id == project_id)).one()
        history = conn.execute(select(tables.project_status_history)).all()
    assert (row.status, row.proponent_org_id, row.verifier_org_id) == ("DRAFT", PROPONENT_ORG, VERIFIER_ORG)
    assert row.co_benefits == [7, 13]
    assert [(h.from_status, h.to_status, h.actor_user_id) for h in history] == [(None, "DRAFT", "u-proponent")]
    [event] = events(env.engine)
    assert event.DESCRIPTOR.name == "ProjectCreated"
    assert (event.project_id, event.name, event.program_id, event.country) == (
        project_id,
        "Boiler replacement, Osaka",
        "JCREDIT",
        "JP",
    )
    assert (event.crediting_period_start, event.actor_user_id, event.actor_organization_id) == (
        "2024-01-01",
        "u-proponent",
        PROPONENT_ORG,
    )
    assert list(event.co_benefits) == [7, 13]


def test_create_project_keeps_removal_permanence_and_japan_ties(env: Env) -> None:
    project_id = create_project(env.deps, PROPONENT, removal_command(region="Nagano"))
    with env.engine.connect() as conn:
        row = conn.execute(select(tables.projects).where(tables.projects.c.project_id == project_id)).one()
    assert row.permanence == {"reversal_risk": "MEDIUM", "commitment_years": 100}
    assert row.region == "Nagano"
    assert row.japan_ties["japanese_investment_share"] == "0"


def test_create_project_requires_the_proponent_role(env: Env) -> None:
    assert_refused(env, lambda: create_project(env.deps, ADMIN, project_command()), ErrorCode.FORBIDDEN)


def test_create_project_refuses_a_proponent_of_another_organization(env: Env) -> None:
    assert_refused(
        env,
        lambda: create_project(env.deps, OTHER_PROPONENT, project_command()),
        ErrorCode.FORBIDDEN,
        "WRONG_ORGANIZATION",
    )


def test_create_project_refuses_the_proponent_as_its_own_verifier(env: Env) -> None:
    assert_refused(
        env,
        lambda: create_project(env.deps, PROPONENT, project_command(verifier_id=PROPONENT_ORG)),
        ErrorCode.INVALID_ARGUMENT,
        "VERIFIER_IS_PROPONENT",
    )


def test_create_project_refuses_a_verifier_that_is_not_accredited(env: Env) -> None:
    assert_refused(
        env,
        lambda: create_project(env.deps, PROPONENT, project_command(verifier_id=UNACCREDITED_ORG)),
        ErrorCode.INVALID_ARGUMENT,
        "VERIFIER_NOT_ACCREDITED",
    )


def test_create_project_is_unavailable_while_the_registry_cannot_confirm_the_verifier(env: Env) -> None:
    env.registry.down = True
    assert_refused(env, lambda: create_project(env.deps, PROPONENT, project_command()), ErrorCode.UNAVAILABLE)


def test_create_project_refuses_a_methodology_of_another_program(env: Env) -> None:
    assert_refused(
        env,
        lambda: create_project(env.deps, PROPONENT, project_command(methodology_id="VCS:VM0047")),
        ErrorCode.INVALID_ARGUMENT,
        "METHODOLOGY_NOT_IN_PROGRAM",
    )


def test_create_project_refuses_an_unknown_program(env: Env) -> None:
    assert_refused(
        env,
        lambda: create_project(env.deps, PROPONENT, project_command(program_id="NOPE")),
        ErrorCode.NOT_FOUND,
        "PROGRAM_NOT_FOUND",
    )


def test_create_project_refuses_half_a_crediting_period(env: Env) -> None:
    assert_refused(
        env,
        lambda: create_project(env.deps, PROPONENT, project_command(crediting_period_end=None)),
        ErrorCode.INVALID_ARGUMENT,
        "CREDITING_PERIOD_INCOMPLETE",
    )


def test_create_project_replays_the_same_idempotency_key_without_a_second_project(env: Env) -> None:
    cmd = project_command(idempotency_key="k-1")
    first = create_project(env.deps, PROPONENT, cmd)
    assert create_project(env.deps, PROPONENT, cmd) == first
    with env.engine.connect() as conn:
        assert len(conn.execute(select(tables.projects)).all()) == 1
    assert len(events(env.engine)) == 1


def test_create_project_refuses_an_idempotency_key_reused_with_other_arguments(env: Env) -> None:
    create_project(env.deps, PROPONENT, project_command(idempotency_key="k-1"))
    assert_refused(
        env,
        lambda: create_project(env.deps, PROPONENT, project_command(idempotency_key="k-1", name="Another")),
        ErrorCode.CONFLICT,
        "TRANSACTION_ID_REUSED",
    )


def test_create_project_flags_a_project_bridged_from_the_same_origin_in_another_program(env: Env) -> None:
    vcs = project_command(
        program_id="VCS", methodology_id="VCS:VM0015", country="ID", origin_project_id="VCS-1234", name="REDD Borneo"
    )
    first = create_project(env.deps, PROPONENT, vcs)
    second = create_project(
        env.deps, PROPONENT, replace(vcs, program_id="GS", methodology_id="GS:AMS-I.D", name="Borneo (GS)")
    )
    with env.engine.connect() as conn:
        flags = conn.execute(select(tables.duplicate_flags)).all()
    assert [(f.project_id, f.registration_id, f.basis) for f in flags] == [(second, first, "SAME_ORIGIN_PROJECT")]
