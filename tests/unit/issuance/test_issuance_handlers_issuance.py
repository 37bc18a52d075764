"""Monitoring, issuance and reversal handlers over the in-memory unit of work: the sagas commit
their decision before calling the registry, resume after an outage, and publish exactly once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from carbon.issuance.v1 import events_pb2, types_pb2

from carbon_runtime.errors import DomainError, ErrorCode
from services.issuance.domain import commands
from services.issuance.domain.monitoring import MonitoringReportStatus
from services.issuance.domain.values import Permanence, ReversalRisk
from services.issuance.service.results import BatchRef, ReversalRef
from tests.unit.issuance.support import ADMIN, PROPONENT, Handlers

HOLDING = "acct-holding"


def issue(h: Handlers, report_id: str, key: str | None = None, account_id: str = HOLDING) -> commands.IssueCredits:
    return commands.IssueCredits(
        actor=ADMIN, monitoring_report_id=report_id, account_id=account_id, idempotency_key=key
    )


def test_submit_monitoring_report_publishes_the_figures_as_submitted() -> None:
    h = Handlers()
    project_id = h.registered()
    h.verified_report(project_id, 600, idempotency_key="mr-1")
    submitted = h.uow.messages[-2].payload
    assert isinstance(submitted, events_pb2.MonitoringReportSubmitted)
    assert h.uow.messages[-2].aggregate_id == project_id
    assert (
        submitted.baseline_emissions_decimal,
        submitted.project_emissions_decimal,
        submitted.leakage_emissions_decimal,
    ) == ("1000.9", "400.2", "0.5")
    assert submitted.claimed_quantity_t == 600
    assert submitted.idempotency_key == "mr-1"
    assert h.uow.published()[-1] == "VerificationRecorded"


def test_submit_monitoring_report_rejects_a_figure_beyond_a_trillion_tonnes() -> None:
    h = Handlers()
    project_id = h.registered()
    h.refused(
        commands.SubmitMonitoringReport(
            actor=PROPONENT,
            project_id=project_id,
            period_start=date(2024, 1, 1),
            period_end=date(2024, 12, 31),
            baseline_emissions=Decimal("1e13"),
            project_emissions=Decimal(0),
        ),
        ErrorCode.INVALID_ARGUMENT,
        "FIGURE_OUT_OF_RANGE",
    )


def test_issue_credits_mints_once_and_publishes_credits_issued_with_the_serials() -> None:
    h = Handlers()
    report_id = h.verified_report(h.registered(), 600)
    batch: BatchRef = h.handle(issue(h, report_id, "iss-1"))
    assert h.uow.batch_rows[batch.batch_id].state == "ISSUED"
    assert h.registry.mint_calls == 1
    issued = h.uow.messages[-1].payload
    assert isinstance(issued, events_pb2.CreditsIssued)
    assert issued.batch_id == batch.batch_id
    assert issued.issued_quantity_t == 600
    assert issued.serial_end.endswith("-600")
    assert issued.idempotency_key == "iss-1"
    assert issued.attributes.credit_type == types_pb2.CREDIT_TYPE_REDUCTION
    assert issued.attributes.authorization == types_pb2.AUTHORIZATION_NONE


def test_issue_credits_commits_the_pending_batch_before_calling_the_registry() -> None:
    h = Handlers()
    report_id = h.verified_report(h.registered(), 600)
    h.registry.down = True
    with pytest.raises(DomainError) as info:
        h.handle(issue(h, report_id, "iss-1"))
    assert info.value.code is ErrorCode.UNAVAILABLE
    # The decision survived the outage: the report is spent and its batch waits to be minted.
    [pending] = h.uow.batch_rows.values()
    assert pending.state == "PENDING"
    assert h.uow.report_rows[report_id].report.status is MonitoringReportStatus.ISSUED
    assert "CreditsIssued" not in h.uow.published()
    assert h.uow.idempotency == {}


def test_issue_credits_resumes_after_an_outage_with_the_same_order_and_publishes_once() -> None:
    h = Handlers()
    report_id = h.verified_report(h.registered(), 600)
    h.registry.down = True
    with pytest.raises(DomainError):
        h.handle(issue(h, report_id, "iss-1"))
    h.registry.down = False
    batch: BatchRef = h.handle(issue(h, report_id, "iss-1"))
    assert [b.batch_id for b in h.uow.batch_rows.values()] == [batch.batch_id]
    assert h.uow.published().count("CreditsIssued") == 1
    # A replay of the key answers the stored result without the registry.
    h.registry.down = True
    assert h.handle(issue(h, report_id, "iss-1")) == batch


def test_issue_credits_rejects_a_second_issuance_for_another_account() -> None:
    h = Handlers()
    report_id = h.verified_report(h.registered(), 600)
    h.handle(issue(h, report_id))
    h.refused(issue(h, report_id, account_id="acct-elsewhere"), ErrorCode.CONFLICT, "ALREADY_ISSUED")


def test_issue_credits_requires_a_program_admin() -> None:
    h = Handlers()
    report_id = h.verified_report(h.registered(), 600)
    h.refused(
        commands.IssueCredits(actor=PROPONENT, monitoring_report_id=report_id, account_id=HOLDING),
        ErrorCode.FORBIDDEN,
        "ROLE_REQUIRED",
    )
    assert h.registry.calls.count("mint_batch") == 0


def removal_batch(h: Handlers) -> tuple[str, str]:
    project_id = h.registered(
        name="Forest management, Nagano", methodology_id="JCREDIT:FO-001", permanence=Permanence(ReversalRisk.MEDIUM)
    )
    report_id = h.verified_report(
        project_id,
        1000,
        baseline_emissions=Decimal(0),
        project_emissions=Decimal(0),
        leakage_emissions=Decimal(0),
        project_removals=Decimal(1000),
        baseline_removals=Decimal(0),
    )
    batch: BatchRef = h.handle(issue(h, report_id))
    return project_id, batch.batch_id


def reversal(project_id: str, quantity_t: int, key: str | None = "rev-1") -> commands.ReportReversal:
    return commands.ReportReversal(
        actor=PROPONENT,
        project_id=project_id,
        quantity_t=quantity_t,
        occurred_on=date(2025, 8, 1),
        description="forest fire",
        idempotency_key=key,
    )


def test_report_reversal_cancels_from_the_buffer_and_publishes_reversal_reported() -> None:
    h = Handlers()
    project_id, _ = removal_batch(h)
    result: ReversalRef = h.handle(reversal(project_id, 100))
    [cancellation] = h.registry.cancellations.values()
    assert cancellation.quantity_t == 100
    assert h.uow.reversal_rows[result.reversal_id].state == "RECORDED"
    reported = h.uow.messages[-1].payload
    assert isinstance(reported, events_pb2.ReversalReported)
    assert (reported.reversal_id, reported.reversed_quantity_t) == (result.reversal_id, 100)


def test_report_reversal_beyond_the_buffer_holds_issuance_for_the_shortfall() -> None:
    h = Handlers()
    project_id, _ = removal_batch(h)  # 15 % of 1000 t went to the buffer
    h.handle(reversal(project_id, 400))
    assert h.uow.project_rows[project_id].reversal_shortfall_t == 250


def test_report_reversal_resumes_after_an_outage_without_deciding_twice() -> None:
    h = Handlers()
    project_id, _ = removal_batch(h)
    h.registry.down = True
    with pytest.raises(DomainError):
        h.handle(reversal(project_id, 100))
    [pending] = h.uow.reversal_rows.values()
    assert pending.state == "PENDING"
    h.registry.down = False
    h.handle(reversal(project_id, 100))
    assert h.uow.project_rows[project_id].reversal_shortfall_t == 0
    assert h.uow.published().count("ReversalReported") == 1


def test_report_reversal_rejects_a_pending_key_reused_for_another_quantity() -> None:
    h = Handlers()
    project_id, _ = removal_batch(h)
    h.registry.down = True
    with pytest.raises(DomainError):
        h.handle(reversal(project_id, 100))
    h.registry.down = False
    h.refused(reversal(project_id, 90), ErrorCode.CONFLICT, "TRANSACTION_ID_REUSED")
