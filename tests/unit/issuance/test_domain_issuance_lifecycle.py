"""The project state machine: who may move it, from where, and that refusals change nothing."""

from __future__ import annotations

import pytest

from carbon_runtime.errors import ErrorCode
from services.issuance.domain.actor import Actor
from services.issuance.domain.events import (
    ChangesRequested,
    ProjectRegistered,
    ProjectRejected,
    ProjectValidated,
    ProjectWithdrawn,
    ValidationRequested,
    VerifierEngaged,
)
from services.issuance.domain.project import Project, ProjectStatus, ValidationOutcome
from tests.unit.issuance.support import (
    ADMIN,
    PROPONENT,
    PROPONENT_ORG,
    VERIFIER,
    at,
    new_project,
    refused,
    register,
)

OTHER_VERIFIER = Actor("u-v2", "org-other-verifier", frozenset({"VERIFIER"}))
PROPONENT_AS_VERIFIER = Actor("u-pv", PROPONENT_ORG, frozenset({"VERIFIER", "PROPONENT"}))


def _under_validation() -> Project:
    project = new_project()
    project.request_validation(PROPONENT, at(1))
    return project


def test_happy_path_draft_to_registered_records_each_actor_and_time() -> None:
    project = new_project()
    assert isinstance(project.request_validation(PROPONENT, at(1)), ValidationRequested)
    assert isinstance(project.record_validation(VERIFIER, ValidationOutcome.APPROVED, True, at(2)), ProjectValidated)
    assert isinstance(project.register(ADMIN, at(3)), ProjectRegistered)
    assert project.status is ProjectStatus.REGISTERED
    assert [(h.from_status, h.to_status, h.actor_user_id, h.at) for h in project.history[1:]] == [
        (ProjectStatus.DRAFT, ProjectStatus.UNDER_VALIDATION, "u-proponent", at(1)),
        (ProjectStatus.UNDER_VALIDATION, ProjectStatus.VALIDATED, "u-verifier", at(2)),
        (ProjectStatus.VALIDATED, ProjectStatus.REGISTERED, "u-admin", at(3)),
    ]
    assert [e.occurred_at for e in project.events] == [at(0), at(1), at(2), at(3)]


def test_rejected_validation_is_final() -> None:
    project = _under_validation()
    assert isinstance(
        project.record_validation(VERIFIER, ValidationOutcome.REJECTED, True, at(2), "baseline not credible"),
        ProjectRejected,
    )
    assert project.status is ProjectStatus.REJECTED
    refused(project, lambda: project.register(ADMIN, at(3)), ErrorCode.FAILED_PRECONDITION, "INVALID_TRANSITION")
    refused(
        project,
        lambda: project.withdraw(PROPONENT, "x", at(3)),
        ErrorCode.FAILED_PRECONDITION,
        "INVALID_TRANSITION",
    )


def test_request_changes_returns_project_to_draft_for_resubmission() -> None:
    project = _under_validation()
    event = project.request_changes(VERIFIER, "monitoring plan lacks meter calibration", True, at(2))
    assert isinstance(event, ChangesRequested)
    assert project.status is ProjectStatus.DRAFT
    project.request_validation(PROPONENT, at(3))
    assert [h.to_status for h in project.history[-2:]] == [
        ProjectStatus.DRAFT,
        ProjectStatus.UNDER_VALIDATION,
    ]


def test_request_changes_needs_a_comment_and_the_engaged_verifier() -> None:
    project = _under_validation()
    refused(
        project,
        lambda: project.request_changes(VERIFIER, " ", True, at(2)),
        ErrorCode.INVALID_ARGUMENT,
        "REQUIRED_FIELD",
    )
    refused(
        project,
        lambda: project.request_changes(OTHER_VERIFIER, "x", True, at(2)),
        ErrorCode.FORBIDDEN,
        "NOT_ENGAGED_VERIFIER",
    )
    draft = new_project()
    refused(
        draft,
        lambda: draft.request_changes(VERIFIER, "x", True, at(2)),
        ErrorCode.FAILED_PRECONDITION,
        "INVALID_TRANSITION",
    )


def test_request_validation_only_by_proponent_of_the_proponent_org() -> None:
    project = new_project()
    refused(project, lambda: project.request_validation(VERIFIER, at(1)), ErrorCode.FORBIDDEN, "ROLE_REQUIRED")
    stranger = Actor("u-s", "org-elsewhere", frozenset({"PROPONENT"}))
    refused(
        project,
        lambda: project.request_validation(stranger, at(1)),
        ErrorCode.FORBIDDEN,
        "WRONG_ORGANIZATION",
    )


def test_request_validation_only_from_draft() -> None:
    project = _under_validation()
    refused(
        project,
        lambda: project.request_validation(PROPONENT, at(2)),
        ErrorCode.FAILED_PRECONDITION,
        "INVALID_TRANSITION",
    )


def test_request_validation_requires_an_engaged_verifier() -> None:
    project = new_project(verifier_org_id=None)
    refused(
        project,
        lambda: project.request_validation(PROPONENT, at(1)),
        ErrorCode.FAILED_PRECONDITION,
        "VERIFIER_NOT_ENGAGED",
    )
    assert isinstance(project.engage_verifier(PROPONENT, "org-verifier", at(1)), VerifierEngaged)
    project.request_validation(PROPONENT, at(2))
    assert project.status is ProjectStatus.UNDER_VALIDATION


def test_engage_verifier_refuses_the_proponent_and_non_draft_projects() -> None:
    project = new_project(verifier_org_id=None)
    refused(
        project,
        lambda: project.engage_verifier(PROPONENT, PROPONENT_ORG, at(1)),
        ErrorCode.INVALID_ARGUMENT,
        "VERIFIER_IS_PROPONENT",
    )
    validating = _under_validation()
    refused(
        validating,
        lambda: validating.engage_verifier(PROPONENT, "org-x", at(2)),
        ErrorCode.FAILED_PRECONDITION,
        "INVALID_TRANSITION",
    )


@pytest.mark.parametrize(
    ("actor", "accredited", "reason"),
    [
        (PROPONENT, True, "ROLE_REQUIRED"),
        (ADMIN, True, "ROLE_REQUIRED"),
        (OTHER_VERIFIER, True, "NOT_ENGAGED_VERIFIER"),
        (VERIFIER, False, "VERIFIER_NOT_ACCREDITED"),
    ],
)
def test_record_validation_only_by_the_engaged_accredited_verifier(actor: Actor, accredited: bool, reason: str) -> None:
    project = _under_validation()
    refused(
        project,
        lambda: project.record_validation(actor, ValidationOutcome.APPROVED, accredited, at(2)),
        ErrorCode.FORBIDDEN,
        reason,
    )


def test_record_validation_never_by_a_verifier_of_the_proponent() -> None:
    # Data written around the create-time check (e.g. loaded from storage) must still be refused.
    project = _under_validation()
    project.verifier_org_id = PROPONENT_ORG
    refused(
        project,
        lambda: project.record_validation(PROPONENT_AS_VERIFIER, ValidationOutcome.APPROVED, True, at(2)),
        ErrorCode.FORBIDDEN,
        "VERIFIER_IS_PROPONENT",
    )


def test_record_validation_only_while_under_validation() -> None:
    project = new_project()
    refused(
        project,
        lambda: project.record_validation(VERIFIER, ValidationOutcome.APPROVED, True, at(1)),
        ErrorCode.FAILED_PRECONDITION,
        "INVALID_TRANSITION",
    )


def test_register_requires_program_admin_and_a_validated_project() -> None:
    project = _under_validation()
    refused(project, lambda: project.register(ADMIN, at(2)), ErrorCode.FAILED_PRECONDITION, "INVALID_TRANSITION")
    project.record_validation(VERIFIER, ValidationOutcome.APPROVED, True, at(2))
    refused(project, lambda: project.register(PROPONENT, at(3)), ErrorCode.FORBIDDEN, "ROLE_REQUIRED")


def test_withdraw_by_proponent_or_program_admin_from_any_open_state() -> None:
    registered = register(new_project())
    event = registered.withdraw(PROPONENT, "project discontinued", at(4))
    assert isinstance(event, ProjectWithdrawn)
    assert registered.status is ProjectStatus.WITHDRAWN
    draft = new_project()
    draft.withdraw(ADMIN, "duplicate submission", at(1))
    assert draft.status is ProjectStatus.WITHDRAWN
    refused(
        draft,
        lambda: draft.withdraw(ADMIN, "again", at(2)),
        ErrorCode.FAILED_PRECONDITION,
        "INVALID_TRANSITION",
    )


def test_withdraw_refuses_verifiers_and_missing_reason() -> None:
    project = register(new_project())
    refused(project, lambda: project.withdraw(VERIFIER, "x", at(4)), ErrorCode.FORBIDDEN, "ROLE_REQUIRED")
    refused(project, lambda: project.withdraw(PROPONENT, "", at(4)), ErrorCode.INVALID_ARGUMENT, "REQUIRED_FIELD")
