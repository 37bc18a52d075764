"""IssueCredits against the in-memory registry port: one issuance per report, safe to retry."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from carbon_runtime.errors import DomainError, ErrorCode
from services.issuance.adapters import tables
from services.issuance.domain.duplicates import RegistrationStatus
from tests.integration.issuance.support import (
    ADMIN,
    HOLDING_ACCOUNT,
    PROPONENT,
    PROPONENT_ORG,
    VERIFIER,
    Y2025,
    Env,
    IssueCredits,
    assert_refused,
    clear_duplicate_flag,
    event_names,
    events,
    issue_credits,
    new_project,
    project_command,
    register_project,
    registered_project,
    removal_command,
    removal_report_overrides,
    report_command,
    submit_monitoring_report,
    validated_project,
    verified_report,
)


def _batch(env: Env) -> dict[str, object]:
    with env.engine.connect() as conn:
        return dict(conn.execute(select(tables.credit_batches)).one()._mapping)


def test_issue_credits_mints_the_verified_tonnes_and_records_credits_issued(env: Env) -> None:
    project_id = registered_project(env)
    report_id = verified_report(env, project_id, 600)
    batch_id = issue_credits(env.deps, ADMIN, IssueCredits(report_id, HOLDING_ACCOUNT, "iss-1"))
    batch = _batch(env)
    assert (batch["id"], batch["state"], batch["issued_quantity"], batch["buffer_quantity"]) == (
        batch_id,
        "ISSUED",
        600,
        0,
    )
    assert (batch["category"], batch["credit_type"], batch["basis"], batch["corresponding_adjustment"]) == (
        "NDC_CONTRIBUTING",
        "REDUCTION",
        "TECHNOLOGY",
        False,
    )
    [(order, result)] = env.registry.minted.values()
    assert (order.holder_account_id, order.issued_quantity_t, order.batch_id) == (HOLDING_ACCOUNT, 600, batch_id)
    assert (batch["serial_start"], batch["serial_end"]) == (result.serial_start, result.serial_end)
    event = events(env.engine)[-1]
    assert event.DESCRIPTOR.name == "CreditsIssued"
    assert (event.batch_id, event.monitoring_report_id, event.issued_quantity_t, event.buffer_quantity_t) == (
        batch_id,
        report_id,
        600,
        0,
    )
    assert (event.project_name, event.program_name, event.methodology_title) == (
        "Boiler replacement, Osaka",
        "J-Credit Scheme",
        "Installation of boilers",
    )
    a = event.attributes
    assert (a.project_id, a.program_id, a.country, a.vintage_start, a.vintage_end) == (
        project_id,
        "JCREDIT",
        "JP",
        "2024-01-01",
        "2024-12-31",
    )
    assert (list(a.co_benefits), a.issuer_organization_id, event.idempotency_key) == ([7, 13], PROPONENT_ORG, "iss-1")
    assert (event.serial_start, event.holder_account_id, event.actor_user_id) == (
        result.serial_start,
        HOLDING_ACCOUNT,
        "u-admin",
    )


def test_issue_credits_sets_the_buffer_share_of_a_removal_aside(env: Env) -> None:
    project_id = registered_project(env, removal_command())
    report_id = verified_report(env, project_id, 95, **removal_report_overrides("100"))
    issue_credits(env.deps, ADMIN, IssueCredits(report_id, HOLDING_ACCOUNT))
    batch = _batch(env)
    # MEDIUM reversal risk: 15 % of 95 t = 14.25 t, rounded up so the pool is never short.
    assert (batch["issued_quantity"], batch["buffer_quantity"], batch["credit_type"]) == (95, 15, "REMOVAL")
    [(order, _)] = env.registry.minted.values()
    assert order.buffer_quantity_t == 15


def test_issue_credits_requires_the_program_admin_role(env: Env) -> None:
    report_id = verified_report(env, registered_project(env))
    for caller in (PROPONENT, VERIFIER):
        assert_refused(
            env,
            lambda c=caller: issue_credits(env.deps, c, IssueCredits(report_id, HOLDING_ACCOUNT)),
            ErrorCode.FORBIDDEN,
        )
    assert env.registry.mint_calls == 0


def test_issue_credits_refuses_a_report_that_is_not_verified(env: Env) -> None:
    project_id = registered_project(env)
    report_id = submit_monitoring_report(env.deps, PROPONENT, report_command(project_id))
    assert_refused(
        env,
        lambda: issue_credits(env.deps, ADMIN, IssueCredits(report_id, HOLDING_ACCOUNT)),
        ErrorCode.FAILED_PRECONDITION,
        "NOT_VERIFIED",
    )


def test_issue_credits_repeated_for_the_same_report_returns_the_same_batch(env: Env) -> None:
    report_id = verified_report(env, registered_project(env))
    first = issue_credits(env.deps, ADMIN, IssueCredits(report_id, HOLDING_ACCOUNT, "iss-1"))
    assert issue_credits(env.deps, ADMIN, IssueCredits(report_id, HOLDING_ACCOUNT, "iss-1")) == first
    assert issue_credits(env.deps, ADMIN, IssueCredits(report_id, HOLDING_ACCOUNT)) == first
    assert (env.registry.mint_calls, event_names(env.engine).count("CreditsIssued")) == (1, 1)


def test_issue_credits_refuses_a_second_issuance_for_the_same_report(env: Env) -> None:
    report_id = verified_report(env, registered_project(env))
    issue_credits(env.deps, ADMIN, IssueCredits(report_id, HOLDING_ACCOUNT, "iss-1"))
    assert_refused(
        env,
        lambda: issue_credits(env.deps, ADMIN, IssueCredits(report_id, "acct-elsewhere", "iss-2")),
        ErrorCode.CONFLICT,
        "ALREADY_ISSUED",
    )
    assert_refused(
        env,
        lambda: issue_credits(env.deps, ADMIN, IssueCredits(report_id, HOLDING_ACCOUNT, "iss-2")),
        ErrorCode.CONFLICT,
        "ALREADY_ISSUED",
    )
    assert env.registry.mint_calls == 1


def test_issue_credits_refuses_an_idempotency_key_reused_for_another_report(env: Env) -> None:
    project_id = registered_project(env)
    first = verified_report(env, project_id)
    second = verified_report(env, project_id, period=Y2025)
    issue_credits(env.deps, ADMIN, IssueCredits(first, HOLDING_ACCOUNT, "iss-1"))
    assert_refused(
        env,
        lambda: issue_credits(env.deps, ADMIN, IssueCredits(second, HOLDING_ACCOUNT, "iss-1")),
        ErrorCode.CONFLICT,
        "TRANSACTION_ID_REUSED",
    )


def test_issue_credits_while_the_registry_is_down_is_unavailable_and_a_retry_issues_exactly_once(env: Env) -> None:
    report_id = verified_report(env, registered_project(env))
    env.registry.down = True
    with pytest.raises(DomainError) as info:
        issue_credits(env.deps, ADMIN, IssueCredits(report_id, HOLDING_ACCOUNT, "iss-1"))
    assert info.value.code == ErrorCode.UNAVAILABLE
    pending = _batch(env)
    # The decision is kept (nothing lost) but nothing was issued: no serials, no event, not visible.
    assert (pending["state"], pending["serial_start"]) == ("PENDING", None)
    assert "CreditsIssued" not in event_names(env.engine)
    env.registry.down = False
    batch_id = issue_credits(env.deps, ADMIN, IssueCredits(report_id, HOLDING_ACCOUNT, "iss-1"))
    assert batch_id == pending["id"]
    assert _batch(env)["state"] == "ISSUED"
    assert (len(env.registry.minted), event_names(env.engine).count("CreditsIssued")) == (1, 1)
    [(order, _)] = env.registry.minted.values()
    assert order.issuance_id == pending["issuance_id"]


def test_issue_credits_is_held_while_the_project_is_flagged_as_a_duplicate(env: Env) -> None:
    origin = {"program_id": "VCS", "methodology_id": "VCS:VM0015", "country": "ID", "origin_project_id": "VCS-9"}
    new_project(env, project_command(name="REDD Borneo (VCS)", **origin))
    gs = project_command(name="Borneo (GS)", **{**origin, "program_id": "GS", "methodology_id": "GS:AMS-I.D"})
    project_id = registered_project(env, gs)
    report_id = verified_report(env, project_id)
    assert_refused(
        env,
        lambda: issue_credits(env.deps, ADMIN, IssueCredits(report_id, HOLDING_ACCOUNT)),
        ErrorCode.FAILED_PRECONDITION,
        "DUPLICATE_REGISTRATION",
    )
    with env.engine.connect() as conn:
        other = conn.execute(select(tables.duplicate_flags.c.registration_id)).scalar_one()
    clear_duplicate_flag(env.deps, ADMIN, project_id, other, RegistrationStatus.CANCELLED)
    assert issue_credits(env.deps, ADMIN, IssueCredits(report_id, HOLDING_ACCOUNT))


def test_register_project_screens_again_and_flags_the_earlier_registration(env: Env) -> None:
    origin = {"program_id": "VCS", "methodology_id": "VCS:VM0015", "country": "ID", "origin_project_id": "VCS-9"}
    first = validated_project(env, project_command(name="REDD Borneo (VCS)", **origin))
    new_project(
        env, project_command(name="Borneo (GS)", **{**origin, "program_id": "GS", "methodology_id": "GS:AMS-I.D"})
    )
    register_project(env.deps, ADMIN, first)
    with env.engine.connect() as conn:
        flagged = conn.execute(
            select(tables.duplicate_flags.c.project_id).where(tables.duplicate_flags.c.project_id == first)
        ).all()
    assert len(flagged) == 1
