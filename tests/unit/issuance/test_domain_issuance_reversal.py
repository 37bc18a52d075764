"""Reversals on removal projects: the buffer pays first, a shortfall holds issuance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from carbon_runtime.errors import ErrorCode
from services.issuance.domain.events import ReversalAssessed, ReversalShortfallMadeGood
from services.issuance.domain.monitoring import MonitoringReport, RemovalQuantification
from services.issuance.domain.periods import Period
from services.issuance.domain.project import Project
from tests.unit.issuance.support import (
    ADMIN,
    PROPONENT,
    VERIFIER,
    at,
    new_project,
    new_removal_project,
    refused,
    register,
)


def _verified_report(project: Project) -> MonitoringReport:
    report = MonitoringReport.submit(
        report_id="mr-1",
        project=project,
        actor=PROPONENT,
        period=Period(date(2024, 1, 1), date(2024, 12, 31)),
        quantification=RemovalQuantification(Decimal(200), Decimal(0)),
        earlier_reports=(),
        at=at(10),
    )
    report.record_verification(
        actor=VERIFIER, project=project, verified_quantity_t=200, verifier_accredited=True, at=at(11)
    )
    return report


def test_reversal_covered_by_buffer_requests_cancellation_and_does_not_hold_issuance() -> None:
    project = register(new_removal_project())
    event = project.report_reversal(PROPONENT, 50, 80, at(5))
    assert isinstance(event, ReversalAssessed)
    assert (event.buffer_cancellation_t, event.shortfall_t, event.outstanding_shortfall_t) == (50, 0, 0)
    report = _verified_report(project)
    assert report.issue(actor=ADMIN, project=project, at=at(12)).issued_quantity_t == 200


def test_reversal_beyond_buffer_records_shortfall_and_holds_issuance_until_made_good() -> None:
    project = register(new_removal_project())
    event = project.report_reversal(ADMIN, 100, 30, at(5))
    assert (event.buffer_cancellation_t, event.shortfall_t, event.outstanding_shortfall_t) == (30, 70, 70)
    report = _verified_report(project)
    error = refused(
        report,
        lambda: report.issue(actor=ADMIN, project=project, at=at(12)),
        ErrorCode.FAILED_PRECONDITION,
        "ISSUANCE_HELD_FOR_REVERSAL",
    )
    assert error.details["outstanding_shortfall_t"] == 70
    partial = project.make_good_reversal_shortfall(ADMIN, 60, at(13))
    assert isinstance(partial, ReversalShortfallMadeGood)
    assert partial.outstanding_shortfall_t == 10
    refused(
        report,
        lambda: report.issue(actor=ADMIN, project=project, at=at(14)),
        ErrorCode.FAILED_PRECONDITION,
        "ISSUANCE_HELD_FOR_REVERSAL",
    )
    project.make_good_reversal_shortfall(ADMIN, 10, at(15))
    assert report.issue(actor=ADMIN, project=project, at=at(16)).buffer_quantity_t == 30


def test_shortfalls_accumulate_across_reversals() -> None:
    project = register(new_removal_project())
    project.report_reversal(PROPONENT, 10, 0, at(5))
    assert project.report_reversal(PROPONENT, 5, 2, at(6)).outstanding_shortfall_t == 13


def test_reversal_only_on_registered_or_withdrawn_removal_projects() -> None:
    reduction = register(new_project())
    refused(
        reduction,
        lambda: reduction.report_reversal(PROPONENT, 1, 10, at(5)),
        ErrorCode.FAILED_PRECONDITION,
        "NOT_A_REMOVAL_PROJECT",
    )
    draft = new_removal_project()
    refused(
        draft,
        lambda: draft.report_reversal(PROPONENT, 1, 10, at(5)),
        ErrorCode.FAILED_PRECONDITION,
        "INVALID_TRANSITION",
    )
    withdrawn = register(new_removal_project())
    withdrawn.withdraw(PROPONENT, "stand sold", at(4))
    assert withdrawn.report_reversal(PROPONENT, 5, 0, at(5)).shortfall_t == 5


def test_reversal_refuses_non_positive_quantity_negative_buffer_and_outsiders() -> None:
    project = register(new_removal_project())
    refused(
        project,
        lambda: project.report_reversal(PROPONENT, 0, 10, at(5)),
        ErrorCode.INVALID_ARGUMENT,
        "INVALID_QUANTITY",
    )
    refused(
        project,
        lambda: project.report_reversal(PROPONENT, 5, -1, at(5)),
        ErrorCode.INVALID_ARGUMENT,
        "INVALID_QUANTITY",
    )
    refused(project, lambda: project.report_reversal(VERIFIER, 5, 10, at(5)), ErrorCode.FORBIDDEN, "ROLE_REQUIRED")


def test_making_good_needs_program_admin_and_cannot_exceed_outstanding_shortfall() -> None:
    project = register(new_removal_project())
    project.report_reversal(PROPONENT, 20, 0, at(5))
    refused(
        project,
        lambda: project.make_good_reversal_shortfall(PROPONENT, 5, at(6)),
        ErrorCode.FORBIDDEN,
        "ROLE_REQUIRED",
    )
    refused(
        project,
        lambda: project.make_good_reversal_shortfall(ADMIN, 21, at(6)),
        ErrorCode.INVALID_ARGUMENT,
        "EXCEEDS_SHORTFALL",
    )
    refused(
        project,
        lambda: project.make_good_reversal_shortfall(ADMIN, 0, at(6)),
        ErrorCode.INVALID_ARGUMENT,
        "INVALID_QUANTITY",
    )
