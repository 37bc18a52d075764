"""Monitoring reports, verification and the issuance decision."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from services.issuance.domain.actor import Actor
from services.issuance.domain.category import CreditCategory
from services.issuance.domain.events import IssuanceDecided, MonitoringReportSubmitted, VerificationRecorded
from services.issuance.domain.monitoring import (
    MonitoringReport,
    MonitoringReportStatus,
    ReductionQuantification,
    RemovalQuantification,
    buffer_tonnes,
    claimable_tonnes,
)
from services.issuance.domain.periods import Period
from services.issuance.domain.project import Project
from services.issuance.domain.reference_data import CreditBasis, CreditType, ExchangeCategory
from services.issuance.domain.values import Permanence, ReversalRisk
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

Y2024 = Period(date(2024, 1, 1), date(2024, 12, 31))
Y2025 = Period(date(2025, 1, 1), date(2025, 12, 31))


def _reduction(baseline: str, project: str, leakage: str = "0") -> ReductionQuantification:
    return ReductionQuantification(Decimal(baseline), Decimal(project), Decimal(leakage))


def _submit(
    project: Project,
    period: Period = Y2024,
    quantification: ReductionQuantification | RemovalQuantification | None = None,
    earlier: tuple[MonitoringReport, ...] = (),
    report_id: str = "mr-1",
) -> MonitoringReport:
    return MonitoringReport.submit(
        report_id=report_id,
        project=project,
        actor=PROPONENT,
        period=period,
        quantification=quantification or _reduction("1000.9", "400.2", "0.5"),
        earlier_reports=earlier,
        at=at(10),
    )


def _verified(
    project: Project, verified_t: int, quantification: RemovalQuantification | None = None
) -> MonitoringReport:
    report = _submit(project, quantification=quantification)
    report.record_verification(
        actor=VERIFIER, project=project, verified_quantity_t=verified_t, verifier_accredited=True, at=at(11)
    )
    return report


# ---- quantification ----------------------------------------------------------------------------


def test_reduction_claim_is_baseline_minus_project_minus_leakage_rounded_down() -> None:
    report = _submit(register(new_project()))
    assert report.net_quantity_t == Decimal("600.2")
    assert report.claimed_quantity_t == 600
    event = report.events[0]
    assert isinstance(event, MonitoringReportSubmitted)
    assert (event.claimed_quantity_t, event.period) == (600, Y2024)


def test_removal_claim_is_project_minus_baseline_removals_minus_leakage_rounded_down() -> None:
    project = register(new_removal_project())
    report = _submit(project, quantification=RemovalQuantification(Decimal("500.99"), Decimal("100"), Decimal("0")))
    assert report.claimed_quantity_t == 400


@pytest.mark.parametrize(
    ("net", "tonnes"),
    [("0.999", 0), ("1", 1), ("41.5", 41), ("-3.2", 0), ("0", 0), ("123456789012.7", 123456789012)],
)
def test_claimable_tonnes_floors_and_treats_negative_as_zero(net: str, tonnes: int) -> None:
    assert claimable_tonnes(Decimal(net)) == tonnes


def test_negative_net_result_is_recorded_with_zero_claim() -> None:
    report = _submit(register(new_project()), quantification=_reduction("100", "120", "1"))
    assert (report.net_quantity_t, report.claimed_quantity_t) == (Decimal("-21"), 0)


@pytest.mark.parametrize("bad", [Decimal("-1"), Decimal("Infinity"), Decimal("NaN")])
def test_quantification_refuses_negative_or_non_finite_figures(bad: Decimal) -> None:
    with pytest.raises(DomainError) as info:
        ReductionQuantification(bad, Decimal(0))
    assert (info.value.code, info.value.reason) == (ErrorCode.INVALID_ARGUMENT, "INVALID_QUANTITY")


def test_quantification_refuses_floats() -> None:
    with pytest.raises(DomainError):
        RemovalQuantification(1.5, Decimal(0))  # type: ignore[arg-type]


# ---- submission --------------------------------------------------------------------------------


def test_monitoring_report_requires_registered_project() -> None:
    project = new_project()
    with pytest.raises(DomainError) as info:
        _submit(project)
    assert (info.value.code, info.value.reason) == (ErrorCode.FAILED_PRECONDITION, "PROJECT_NOT_REGISTERED")


def test_monitoring_report_requires_proponent_of_the_project() -> None:
    project = register(new_project())
    with pytest.raises(DomainError) as info:
        MonitoringReport.submit(
            report_id="mr-1",
            project=project,
            actor=Actor("u-x", "org-x", frozenset({"PROPONENT"})),
            period=Y2024,
            quantification=_reduction("10", "1"),
            earlier_reports=(),
            at=at(10),
        )
    assert (info.value.code, info.value.reason) == (ErrorCode.FORBIDDEN, "WRONG_ORGANIZATION")


def test_monitoring_period_must_lie_inside_crediting_period() -> None:
    project = register(new_project())
    with pytest.raises(DomainError) as info:
        _submit(project, period=Period(date(2023, 12, 1), date(2024, 3, 31)))
    assert (info.value.code, info.value.reason) == (
        ErrorCode.INVALID_ARGUMENT,
        "PERIOD_OUTSIDE_CREDITING_PERIOD",
    )


def test_monitoring_requires_a_crediting_period() -> None:
    project = register(new_project(crediting_period=None))
    with pytest.raises(DomainError) as info:
        _submit(project)
    assert (info.value.code, info.value.reason) == (ErrorCode.FAILED_PRECONDITION, "CREDITING_PERIOD_NOT_SET")


def test_monitoring_periods_of_a_project_never_overlap() -> None:
    project = register(new_project())
    first = _submit(project)
    with pytest.raises(DomainError) as info:
        _submit(project, period=Period(date(2024, 12, 31), date(2025, 3, 31)), earlier=(first,), report_id="mr-2")
    assert (info.value.code, info.value.reason) == (
        ErrorCode.FAILED_PRECONDITION,
        "MONITORING_PERIOD_OVERLAPS",
    )
    # The next period that has already ended (the clock is 2025-04-01) is accepted.
    q1_2025 = Period(date(2025, 1, 1), date(2025, 3, 31))
    second = _submit(project, period=q1_2025, earlier=(first,), report_id="mr-2")
    assert second.period == q1_2025


def test_quantification_must_match_the_methodology_credit_type() -> None:
    project = register(new_project())
    with pytest.raises(DomainError) as info:
        _submit(project, quantification=RemovalQuantification(Decimal(5), Decimal(1)))
    assert (info.value.code, info.value.reason) == (
        ErrorCode.INVALID_ARGUMENT,
        "QUANTIFICATION_TYPE_MISMATCH",
    )


# ---- verification ------------------------------------------------------------------------------


def test_verification_by_engaged_verifier_records_quantity() -> None:
    project = register(new_project())
    report = _submit(project)
    event = report.record_verification(
        actor=VERIFIER, project=project, verified_quantity_t=590, verifier_accredited=True, at=at(11)
    )
    assert isinstance(event, VerificationRecorded)
    assert (report.status, report.verified_quantity_t, report.verifier_org_id) == (
        MonitoringReportStatus.VERIFIED,
        590,
        "org-verifier",
    )


@pytest.mark.parametrize(
    ("actor", "accredited", "reason"),
    [
        (PROPONENT, True, "ROLE_REQUIRED"),
        (Actor("u-v2", "org-v2", frozenset({"VERIFIER"})), True, "NOT_ENGAGED_VERIFIER"),
        (VERIFIER, False, "VERIFIER_NOT_ACCREDITED"),
    ],
)
def test_verification_only_by_engaged_accredited_verifier(actor: Actor, accredited: bool, reason: str) -> None:
    project = register(new_project())
    report = _submit(project)
    refused(
        report,
        lambda: report.record_verification(
            actor=actor, project=project, verified_quantity_t=1, verifier_accredited=accredited, at=at(11)
        ),
        ErrorCode.FORBIDDEN,
        reason,
    )


def test_verified_quantity_cannot_exceed_claim_or_be_negative() -> None:
    project = register(new_project())
    report = _submit(project)
    for quantity, reason in ((601, "VERIFIED_EXCEEDS_CLAIMED"), (-1, "INVALID_QUANTITY")):
        refused(
            report,
            lambda q=quantity: report.record_verification(  # type: ignore[misc]
                actor=VERIFIER, project=project, verified_quantity_t=q, verifier_accredited=True, at=at(11)
            ),
            ErrorCode.INVALID_ARGUMENT,
            reason,
        )


def test_a_report_is_verified_once() -> None:
    project = register(new_project())
    report = _verified(project, 600)
    refused(
        report,
        lambda: report.record_verification(
            actor=VERIFIER, project=project, verified_quantity_t=1, verifier_accredited=True, at=at(12)
        ),
        ErrorCode.FAILED_PRECONDITION,
        "ALREADY_VERIFIED",
    )


def test_report_is_checked_against_its_own_project() -> None:
    project = register(new_project())
    report = _submit(project)
    other = register(new_project(project_id="prj-2"))
    refused(
        report,
        lambda: report.record_verification(
            actor=VERIFIER, project=other, verified_quantity_t=1, verifier_accredited=True, at=at(11)
        ),
        ErrorCode.INVALID_ARGUMENT,
        "WRONG_PROJECT",
    )


# ---- issuance ----------------------------------------------------------------------------------


def test_reduction_issuance_plan_carries_all_batch_attributes_and_no_buffer() -> None:
    project = register(new_project())
    report = _verified(project, 590)
    plan = report.issue(actor=ADMIN, project=project, at=at(12))
    assert (plan.issued_quantity_t, plan.buffer_quantity_t, plan.proponent_quantity_t) == (590, 0, 590)
    assert plan.vintage == Y2024
    assert (plan.credit_type, plan.basis, plan.category) == (
        CreditType.REDUCTION,
        CreditBasis.TECHNOLOGY,
        CreditCategory.NDC_CONTRIBUTING,
    )
    assert plan.exchange_category is ExchangeCategory.ENERGY_SAVING
    assert (plan.corresponding_adjustment, plan.authorization) == (False, None)
    assert report.status is MonitoringReportStatus.ISSUED
    assert isinstance(report.events[-1], IssuanceDecided)


@pytest.mark.parametrize(
    ("risk", "verified", "buffer"),
    [
        (ReversalRisk.LOW, 95, 10),
        (ReversalRisk.MEDIUM, 100, 15),
        (ReversalRisk.HIGH, 1, 1),
        (ReversalRisk.VERY_HIGH, 7, 3),
    ],
)
def test_removal_issuance_sets_aside_buffer_rounded_up(risk: ReversalRisk, verified: int, buffer: int) -> None:
    project = register(new_removal_project(permanence=Permanence(risk)))
    report = _verified(project, verified, RemovalQuantification(Decimal(1000), Decimal(0)))
    plan = report.issue(actor=ADMIN, project=project, at=at(12))
    assert (plan.issued_quantity_t, plan.buffer_quantity_t) == (verified, buffer)
    assert plan.proponent_quantity_t == verified - buffer


def test_buffer_tonnes_never_leave_the_pool_short() -> None:
    for issued in range(0, 500):
        for percent in (10, 15, 25, 40):
            assert buffer_tonnes(issued, percent) * 100 >= issued * percent
            assert (buffer_tonnes(issued, percent) - 1) * 100 < issued * percent


def test_one_issuance_per_monitoring_report() -> None:
    project = register(new_project())
    report = _verified(project, 590)
    report.issue(actor=ADMIN, project=project, at=at(12))
    refused(
        report,
        lambda: report.issue(actor=ADMIN, project=project, at=at(13)),
        ErrorCode.CONFLICT,
        "ALREADY_ISSUED",
    )


def test_issuance_requires_program_admin_and_verification() -> None:
    project = register(new_project())
    report = _submit(project)
    refused(
        report,
        lambda: report.issue(actor=PROPONENT, project=project, at=at(12)),
        ErrorCode.FORBIDDEN,
        "ROLE_REQUIRED",
    )
    refused(
        report,
        lambda: report.issue(actor=ADMIN, project=project, at=at(12)),
        ErrorCode.FAILED_PRECONDITION,
        "NOT_VERIFIED",
    )


def test_zero_verified_tonnes_cannot_be_issued() -> None:
    project = register(new_project())
    report = _verified(project, 0)
    refused(
        report,
        lambda: report.issue(actor=ADMIN, project=project, at=at(12)),
        ErrorCode.FAILED_PRECONDITION,
        "NOTHING_TO_ISSUE",
    )


def test_withdrawn_project_cannot_issue() -> None:
    project = register(new_project())
    report = _verified(project, 10)
    project.withdraw(PROPONENT, "closed", at(12))
    refused(
        report,
        lambda: report.issue(actor=ADMIN, project=project, at=at(13)),
        ErrorCode.FAILED_PRECONDITION,
        "PROJECT_NOT_REGISTERED",
    )
