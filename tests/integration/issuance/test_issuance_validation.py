"""RequestValidation, RecordValidation, RequestChanges, EngageVerifier: only the engaged, accredited
verifier validates, never the proponent; every step records actor and time."""

from __future__ import annotations

from sqlalchemy import select

from carbon_runtime.errors import ErrorCode
from services.issuance.adapters import tables
from services.issuance.domain.project import ValidationOutcome
from tests.integration.issuance.support import (
    OTHER_PROPONENT,
    PROPONENT,
    PROPONENT_AS_VERIFIER,
    UNACCREDITED_ORG,
    UNACCREDITED_VERIFIER,
    VERIFIER,
    VERIFIER_ORG,
    Env,
    assert_refused,
    engage_verifier,
    event_names,
    events,
    new_project,
    project_command,
    record_validation,
    request_changes,
    request_validation,
)


def _status(env: Env, project_id: str) -> str:
    with env.engine.connect() as conn:
        value = conn.execute(select(tables.projects.c.status).where(tables.projects.c.project_id == project_id))
        return str(value.scalar_one())


def _history(env: Env, project_id: str) -> list[tuple[str | None, str, str]]:
    h = tables.project_status_history
    with env.engine.connect() as conn:
        rows = conn.execute(select(h).where(h.c.project_id == project_id).order_by(h.c.seq)).all()
    return [(r.from_status, r.to_status, r.actor_user_id) for r in rows]


def test_request_validation_moves_the_draft_under_validation_and_names_the_verifier(env: Env) -> None:
    project_id = new_project(env)
    request_validation(env.deps, PROPONENT, project_id)
    assert _status(env, project_id) == "UNDER_VALIDATION"
    event = events(env.engine)[-1]
    assert (event.DESCRIPTOR.name, event.verifier_organization_id, event.actor_user_id) == (
        "ValidationRequested",
        VERIFIER_ORG,
        "u-proponent",
    )


def test_request_validation_is_reserved_to_the_proponent_organization(env: Env) -> None:
    project_id = new_project(env)
    assert_refused(env, lambda: request_validation(env.deps, OTHER_PROPONENT, project_id), ErrorCode.FORBIDDEN)


def test_request_validation_needs_an_engaged_verifier(env: Env) -> None:
    project_id = new_project(env, project_command(verifier_id=None))
    assert_refused(
        env,
        lambda: request_validation(env.deps, PROPONENT, project_id),
        ErrorCode.FAILED_PRECONDITION,
        "VERIFIER_NOT_ENGAGED",
    )


def test_request_validation_refuses_a_project_already_under_validation(env: Env) -> None:
    project_id = new_project(env)
    request_validation(env.deps, PROPONENT, project_id)
    assert_refused(
        env,
        lambda: request_validation(env.deps, PROPONENT, project_id),
        ErrorCode.FAILED_PRECONDITION,
        "INVALID_TRANSITION",
    )


def test_request_validation_of_an_unknown_project_is_not_found(env: Env) -> None:
    assert_refused(env, lambda: request_validation(env.deps, PROPONENT, "nope"), ErrorCode.NOT_FOUND)


def test_record_validation_approves_with_history_and_event(env: Env) -> None:
    project_id = new_project(env)
    request_validation(env.deps, PROPONENT, project_id)
    record_validation(env.deps, VERIFIER, project_id, ValidationOutcome.APPROVED, "sound")
    assert _status(env, project_id) == "VALIDATED"
    assert _history(env, project_id)[-1] == ("UNDER_VALIDATION", "VALIDATED", "u-verifier")
    event = events(env.engine)[-1]
    assert (event.DESCRIPTOR.name, event.verifier_organization_id, event.comment) == (
        "ProjectValidated",
        VERIFIER_ORG,
        "sound",
    )


def test_record_validation_rejection_is_terminal_and_emits_project_rejected(env: Env) -> None:
    project_id = new_project(env)
    request_validation(env.deps, PROPONENT, project_id)
    record_validation(env.deps, VERIFIER, project_id, ValidationOutcome.REJECTED, "baseline not credible")
    assert _status(env, project_id) == "REJECTED"
    assert event_names(env.engine)[-1] == "ProjectRejected"
    assert_refused(
        env,
        lambda: request_validation(env.deps, PROPONENT, project_id),
        ErrorCode.FAILED_PRECONDITION,
        "INVALID_TRANSITION",
    )


def test_record_validation_refuses_the_proponent_even_with_the_verifier_role(env: Env) -> None:
    project_id = new_project(env)
    request_validation(env.deps, PROPONENT, project_id)
    assert_refused(
        env,
        lambda: record_validation(env.deps, PROPONENT_AS_VERIFIER, project_id, ValidationOutcome.APPROVED, None),
        ErrorCode.FORBIDDEN,
        "NOT_ENGAGED_VERIFIER",
    )


def test_record_validation_refuses_a_verifier_that_is_not_engaged(env: Env) -> None:
    project_id = new_project(env)
    request_validation(env.deps, PROPONENT, project_id)
    assert_refused(
        env,
        lambda: record_validation(env.deps, UNACCREDITED_VERIFIER, project_id, ValidationOutcome.APPROVED, None),
        ErrorCode.FORBIDDEN,
        "NOT_ENGAGED_VERIFIER",
    )


def test_record_validation_refuses_an_engaged_verifier_whose_accreditation_lapsed(env: Env) -> None:
    project_id = new_project(env)
    request_validation(env.deps, PROPONENT, project_id)
    env.registry.organizations[VERIFIER_ORG] = env.registry.organizations[UNACCREDITED_ORG]
    assert_refused(
        env,
        lambda: record_validation(env.deps, VERIFIER, project_id, ValidationOutcome.APPROVED, None),
        ErrorCode.FORBIDDEN,
        "VERIFIER_NOT_ACCREDITED",
    )


def test_record_validation_refuses_a_draft(env: Env) -> None:
    project_id = new_project(env)
    assert_refused(
        env,
        lambda: record_validation(env.deps, VERIFIER, project_id, ValidationOutcome.APPROVED, None),
        ErrorCode.FAILED_PRECONDITION,
        "INVALID_TRANSITION",
    )


def test_record_validation_by_a_wrong_caller_is_forbidden_even_while_the_registry_is_down(env: Env) -> None:
    project_id = new_project(env)
    request_validation(env.deps, PROPONENT, project_id)
    env.registry.down = True
    assert_refused(
        env,
        lambda: record_validation(env.deps, PROPONENT, project_id, ValidationOutcome.APPROVED, None),
        ErrorCode.FORBIDDEN,
    )
    assert_refused(
        env,
        lambda: record_validation(env.deps, VERIFIER, project_id, ValidationOutcome.APPROVED, None),
        ErrorCode.UNAVAILABLE,
    )


def test_request_changes_sends_the_design_back_to_draft_with_the_comment(env: Env) -> None:
    project_id = new_project(env)
    request_validation(env.deps, PROPONENT, project_id)
    request_changes(env.deps, VERIFIER, project_id, "add the leakage analysis")
    assert _status(env, project_id) == "DRAFT"
    h = tables.project_status_history
    with env.engine.connect() as conn:
        last = conn.execute(select(h).where(h.c.project_id == project_id).order_by(h.c.seq.desc())).first()
    assert last is not None
    assert (last.to_status, last.actor_user_id, last.comment) == ("DRAFT", "u-verifier", "add the leakage analysis")


def test_request_changes_is_reserved_to_the_engaged_verifier(env: Env) -> None:
    project_id = new_project(env)
    request_validation(env.deps, PROPONENT, project_id)
    assert_refused(env, lambda: request_changes(env.deps, PROPONENT, project_id, "please"), ErrorCode.FORBIDDEN)


def test_engage_verifier_names_an_accredited_body_on_a_draft(env: Env) -> None:
    project_id = new_project(env, project_command(verifier_id=None))
    engage_verifier(env.deps, PROPONENT, project_id, VERIFIER_ORG)
    request_validation(env.deps, PROPONENT, project_id)
    assert events(env.engine)[-1].verifier_organization_id == VERIFIER_ORG


def test_engage_verifier_refuses_a_body_that_is_not_accredited(env: Env) -> None:
    project_id = new_project(env, project_command(verifier_id=None))
    assert_refused(
        env,
        lambda: engage_verifier(env.deps, PROPONENT, project_id, UNACCREDITED_ORG),
        ErrorCode.INVALID_ARGUMENT,
        "VERIFIER_NOT_ACCREDITED",
    )
