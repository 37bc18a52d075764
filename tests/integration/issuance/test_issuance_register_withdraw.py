"""RegisterProject and WithdrawProject."""

from __future__ import annotations

from sqlalchemy import select

from carbon_runtime.errors import ErrorCode
from services.issuance.adapters import tables
from tests.integration.issuance.support import (
    ADMIN,
    OTHER_PROPONENT,
    PROPONENT,
    VERIFIER,
    Env,
    assert_refused,
    events,
    new_project,
    register_project,
    validated_project,
    withdraw_project,
)


def test_register_project_registers_a_validated_project_with_its_registration_date(env: Env) -> None:
    project_id = validated_project(env)
    register_project(env.deps, ADMIN, project_id)
    with env.engine.connect() as conn:
        row = conn.execute(select(tables.projects).where(tables.projects.c.project_id == project_id)).one()
    assert row.status == "REGISTERED"
    assert row.registered_on is not None
    event = events(env.engine)[-1]
    assert (event.DESCRIPTOR.name, event.program_id, event.registered_on, event.actor_user_id) == (
        "ProjectRegistered",
        "JCREDIT",
        row.registered_on.isoformat(),
        "u-admin",
    )


def test_register_project_requires_the_program_admin_role(env: Env) -> None:
    project_id = validated_project(env)
    for caller in (PROPONENT, VERIFIER):
        assert_refused(env, lambda c=caller: register_project(env.deps, c, project_id), ErrorCode.FORBIDDEN)


def test_register_project_refuses_a_project_that_is_not_validated(env: Env) -> None:
    project_id = new_project(env)
    assert_refused(
        env, lambda: register_project(env.deps, ADMIN, project_id), ErrorCode.FAILED_PRECONDITION, "INVALID_TRANSITION"
    )


def test_withdraw_project_by_the_proponent_is_terminal_and_emits_project_withdrawn(env: Env) -> None:
    project_id = new_project(env)
    withdraw_project(env.deps, PROPONENT, project_id, "financing fell through")
    event = events(env.engine)[-1]
    assert (event.DESCRIPTOR.name, event.reason) == ("ProjectWithdrawn", "financing fell through")
    assert_refused(
        env,
        lambda: withdraw_project(env.deps, ADMIN, project_id, "again"),
        ErrorCode.FAILED_PRECONDITION,
        "INVALID_TRANSITION",
    )


def test_withdraw_project_by_another_organization_is_forbidden(env: Env) -> None:
    project_id = new_project(env)
    assert_refused(env, lambda: withdraw_project(env.deps, OTHER_PROPONENT, project_id, "no"), ErrorCode.FORBIDDEN)


def test_withdraw_project_needs_a_reason(env: Env) -> None:
    project_id = new_project(env)
    assert_refused(
        env,
        lambda: withdraw_project(env.deps, PROPONENT, project_id, "  "),
        ErrorCode.INVALID_ARGUMENT,
        "REQUIRED_FIELD",
    )
