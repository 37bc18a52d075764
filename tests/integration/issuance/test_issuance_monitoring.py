"""SubmitMonitoringReport and RecordVerification."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from carbon_runtime.errors import ErrorCode
from services.issuance.adapters import tables
from tests.integration.issuance.support import (
    OTHER_PROPONENT,
    PROPONENT,
    PROPONENT_AS_VERIFIER,
    VERIFIER,
    VERIFIER_ORG,
    Env,
    assert_refused,
    events,
    new_project,
    record_verification,
    registered_project,
    removal_command,
    removal_report_overrides,
    report_command,
    submit_monitoring_report,
)


def test_submit_monitoring_report_claims_the_floor_of_the_net_reduction(env: Env) -> None:
    project_id = registered_project(env)
    report_id = submit_monitoring_report(env.deps, PROPONENT, report_command(project_id))
    with env.engine.connect() as conn:
        row = conn.execute(select(tables.monitoring_reports)).one()
    # 1000.9 - 400.2 - 0.5 = 600.2 -> 600 whole tonnes.
    assert (row.report_id, row.claimed_quantity_t, row.net_quantity, row.baseline_emissions) == (
        report_id,
        600,
        "600.2",
        "1000.9",
    )
    event = events(env.engine)[-1]
    assert (event.DESCRIPTOR.name, event.claimed_quantity_t, event.baseline_emissions_decimal) == (
        "MonitoringReportSubmitted",
        600,
        "1000.9",
    )
    assert (event.period_start, event.period_end) == ("2024-01-01", "2024-12-31")


def test_submit_monitoring_report_refuses_an_overlapping_period(env: Env) -> None:
    project_id = registered_project(env)
    submit_monitoring_report(env.deps, PROPONENT, report_command(project_id))
    overlapping = report_command(project_id, (date(2024, 7, 1), date(2025, 3, 31)))
    assert_refused(
        env,
        lambda: submit_monitoring_report(env.deps, PROPONENT, overlapping),
        ErrorCode.FAILED_PRECONDITION,
        "MONITORING_PERIOD_OVERLAPS",
    )


def test_submit_monitoring_report_refuses_a_project_that_is_not_registered(env: Env) -> None:
    project_id = new_project(env)
    assert_refused(
        env,
        lambda: submit_monitoring_report(env.deps, PROPONENT, report_command(project_id)),
        ErrorCode.FAILED_PRECONDITION,
        "PROJECT_NOT_REGISTERED",
    )


def test_submit_monitoring_report_is_reserved_to_the_proponent_organization(env: Env) -> None:
    project_id = registered_project(env)
    assert_refused(
        env,
        lambda: submit_monitoring_report(env.deps, OTHER_PROPONENT, report_command(project_id)),
        ErrorCode.FORBIDDEN,
    )


def test_submit_monitoring_report_refuses_a_period_outside_the_crediting_period(env: Env) -> None:
    project_id = registered_project(env)
    assert_refused(
        env,
        lambda: submit_monitoring_report(
            env.deps, PROPONENT, report_command(project_id, (date(2023, 1, 1), date(2023, 12, 31)))
        ),
        ErrorCode.INVALID_ARGUMENT,
        "PERIOD_OUTSIDE_CREDITING_PERIOD",
    )


def test_submit_monitoring_report_of_a_removal_project_requires_removals(env: Env) -> None:
    project_id = registered_project(env, removal_command())
    assert_refused(
        env,
        lambda: submit_monitoring_report(env.deps, PROPONENT, report_command(project_id)),
        ErrorCode.INVALID_ARGUMENT,
        "REMOVALS_REQUIRED",
    )
    report_id = submit_monitoring_report(
        env.deps, PROPONENT, report_command(project_id, **removal_report_overrides("250.7"))
    )
    with env.engine.connect() as conn:
        row = conn.execute(select(tables.monitoring_reports)).one()
    assert (row.report_id, row.credit_type, row.claimed_quantity_t, row.project_removals) == (
        report_id,
        "REMOVAL",
        250,
        "250.7",
    )


def test_submit_monitoring_report_replays_its_idempotency_key(env: Env) -> None:
    project_id = registered_project(env)
    cmd = report_command(project_id, idempotency_key="mr-key")
    first = submit_monitoring_report(env.deps, PROPONENT, cmd)
    assert submit_monitoring_report(env.deps, PROPONENT, cmd) == first
    assert_refused(
        env,
        lambda: submit_monitoring_report(
            env.deps, PROPONENT, report_command(project_id, idempotency_key="mr-key", baseline_emissions=Decimal(900))
        ),
        ErrorCode.CONFLICT,
        "TRANSACTION_ID_REUSED",
    )


def test_record_verification_records_the_verifier_and_the_verified_tonnes(env: Env) -> None:
    project_id = registered_project(env)
    report_id = submit_monitoring_report(env.deps, PROPONENT, report_command(project_id))
    record_verification(env.deps, VERIFIER, report_id, 550)
    with env.engine.connect() as conn:
        row = conn.execute(select(tables.verifications)).one()
        status = conn.execute(select(tables.monitoring_reports.c.status)).scalar_one()
    assert (row.report_id, row.verifier_org_id, row.verified_quantity_t, row.verified_by, status) == (
        report_id,
        VERIFIER_ORG,
        550,
        "u-verifier",
        "VERIFIED",
    )
    event = events(env.engine)[-1]
    assert (event.DESCRIPTOR.name, event.verified_quantity_t, event.verifier_organization_id) == (
        "VerificationRecorded",
        550,
        VERIFIER_ORG,
    )


def test_record_verification_refuses_more_than_was_claimed(env: Env) -> None:
    project_id = registered_project(env)
    report_id = submit_monitoring_report(env.deps, PROPONENT, report_command(project_id))
    assert_refused(
        env,
        lambda: record_verification(env.deps, VERIFIER, report_id, 601),
        ErrorCode.INVALID_ARGUMENT,
        "VERIFIED_EXCEEDS_CLAIMED",
    )


def test_record_verification_refuses_the_proponent_as_verifier(env: Env) -> None:
    project_id = registered_project(env)
    report_id = submit_monitoring_report(env.deps, PROPONENT, report_command(project_id))
    assert_refused(
        env,
        lambda: record_verification(env.deps, PROPONENT_AS_VERIFIER, report_id, 600),
        ErrorCode.FORBIDDEN,
        "NOT_ENGAGED_VERIFIER",
    )


def test_record_verification_refuses_a_second_verification(env: Env) -> None:
    project_id = registered_project(env)
    report_id = submit_monitoring_report(env.deps, PROPONENT, report_command(project_id))
    record_verification(env.deps, VERIFIER, report_id, 600)
    assert_refused(
        env,
        lambda: record_verification(env.deps, VERIFIER, report_id, 500),
        ErrorCode.FAILED_PRECONDITION,
        "ALREADY_VERIFIED",
    )


def test_record_verification_of_an_unknown_report_is_not_found(env: Env) -> None:
    assert_refused(
        env,
        lambda: record_verification(env.deps, VERIFIER, "nope", 1),
        ErrorCode.NOT_FOUND,
        "MONITORING_REPORT_NOT_FOUND",
    )
