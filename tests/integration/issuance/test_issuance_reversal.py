"""ReportReversal: the program's buffer pool pays first (CancelFromBuffer); a shortfall holds issuance."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from carbon_runtime.errors import DomainError, ErrorCode
from services.issuance.adapters import tables
from tests.integration.issuance.support import (
    ADMIN,
    HOLDING_ACCOUNT,
    OTHER_PROPONENT,
    PROPONENT,
    Y2025,
    Env,
    IssueCredits,
    ReportReversal,
    assert_refused,
    events,
    issue_credits,
    registered_project,
    removal_command,
    removal_report_overrides,
    report_reversal,
    verified_report,
)


def _issued_removal(env: Env) -> tuple[str, str]:
    """A MEDIUM-risk removal project with 100 t issued, 15 t of them in the JCREDIT buffer pool."""
    project_id = registered_project(env, removal_command())
    report_id = verified_report(env, project_id, 100, **removal_report_overrides("100"))
    return project_id, issue_credits(env.deps, ADMIN, IssueCredits(report_id, HOLDING_ACCOUNT))


def _fire(project_id: str, quantity_t: int, key: str | None = None) -> ReportReversal:
    return ReportReversal(project_id, quantity_t, date(2025, 8, 1), "forest fire", idempotency_key=key)


def test_report_reversal_within_the_buffer_cancels_buffer_credits_and_leaves_no_shortfall(env: Env) -> None:
    project_id, _ = _issued_removal(env)
    reversal_id = report_reversal(env.deps, PROPONENT, _fire(project_id, 10))
    [order] = env.registry.cancellations.values()
    assert (order.reversal_id, order.quantity_t, order.program_id) == (reversal_id, 10, "JCREDIT")
    with env.engine.connect() as conn:
        row = conn.execute(select(tables.reversals)).one()
        shortfall = conn.execute(select(tables.projects.c.reversal_shortfall_t)).scalar_one()
    assert (row.state, row.buffer_cancellation_t, row.shortfall_t, shortfall) == ("RECORDED", 10, 0, 0)
    event = events(env.engine)[-1]
    assert (event.DESCRIPTOR.name, event.reversed_quantity_t, event.project_id, event.occurred_on) == (
        "ReversalReported",
        10,
        project_id,
        "2025-08-01",
    )


def test_report_reversal_beyond_the_buffer_records_a_shortfall_that_holds_issuance(env: Env) -> None:
    project_id, _ = _issued_removal(env)
    report_reversal(env.deps, ADMIN, _fire(project_id, 40))
    [order] = env.registry.cancellations.values()
    assert order.quantity_t == 15
    with env.engine.connect() as conn:
        assert conn.execute(select(tables.projects.c.reversal_shortfall_t)).scalar_one() == 25
    next_report = verified_report(env, project_id, 50, period=Y2025, **removal_report_overrides("50"))
    assert_refused(
        env,
        lambda: issue_credits(env.deps, ADMIN, IssueCredits(next_report, HOLDING_ACCOUNT)),
        ErrorCode.FAILED_PRECONDITION,
        "ISSUANCE_HELD_FOR_REVERSAL",
    )


def test_report_reversal_takes_only_what_is_left_in_the_pool(env: Env) -> None:
    project_id, _ = _issued_removal(env)
    report_reversal(env.deps, PROPONENT, _fire(project_id, 10))
    report_reversal(env.deps, PROPONENT, _fire(project_id, 10))
    assert sorted(o.quantity_t for o in env.registry.cancellations.values()) == [5, 10]


def test_report_reversal_refuses_a_reduction_project(env: Env) -> None:
    project_id = registered_project(env)
    assert_refused(
        env,
        lambda: report_reversal(env.deps, PROPONENT, _fire(project_id, 1)),
        ErrorCode.FAILED_PRECONDITION,
        "NOT_A_REMOVAL_PROJECT",
    )


def test_report_reversal_by_another_organization_is_forbidden(env: Env) -> None:
    project_id, _ = _issued_removal(env)
    assert_refused(env, lambda: report_reversal(env.deps, OTHER_PROPONENT, _fire(project_id, 1)), ErrorCode.FORBIDDEN)


def test_report_reversal_while_the_registry_is_down_resumes_with_the_same_key(env: Env) -> None:
    project_id, _ = _issued_removal(env)
    env.registry.down = True
    with pytest.raises(DomainError) as info:
        report_reversal(env.deps, PROPONENT, _fire(project_id, 10, "rev-1"))
    assert info.value.code == ErrorCode.UNAVAILABLE
    assert "ReversalReported" not in [e.DESCRIPTOR.name for e in events(env.engine)]
    env.registry.down = False
    first = report_reversal(env.deps, PROPONENT, _fire(project_id, 10, "rev-1"))
    assert report_reversal(env.deps, PROPONENT, _fire(project_id, 10, "rev-1")) == first
    assert [e.DESCRIPTOR.name for e in events(env.engine)].count("ReversalReported") == 1
    assert len(env.registry.cancellations) == 1
    assert_refused(
        env,
        lambda: report_reversal(env.deps, PROPONENT, _fire(project_id, 11, "rev-1")),
        ErrorCode.CONFLICT,
        "TRANSACTION_ID_REUSED",
    )
