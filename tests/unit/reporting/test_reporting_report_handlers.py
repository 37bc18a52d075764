"""The report commands over the in-memory unit of work: who may generate which report, and the audit
events they record (ReportGenerated, ReconciliationCompleted) through the outbox."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.vocabulary import UnitStatus
from services.reporting.domain.actor import ANONYMOUS, Actor
from services.reporting.domain.commands import GenerateDisclosureReport, GenerateShkReport, ReconcileBatches
from services.reporting.domain.events import ReconciliationCompleted, ReportGenerated
from services.reporting.domain.reconciliation import Measure, Source
from services.reporting.domain.shk import ShkInput
from services.reporting.service.queries import ReportQueries
from tests.support.fake_reporting_uow import FakeReadModel, FakeReportingUnitOfWork, bus_over
from tests.unit.reporting.support import (
    BATCH,
    BUYER,
    FakePeers,
    credits_issued,
    credits_retired,
    event,
)

MEMBER = Actor(user_id="user-1", organization_id=BUYER, roles=frozenset({"ACCOUNT_HOLDER"}))
OUTSIDER = Actor(user_id="user-2", organization_id="org-other", roles=frozenset({"ACCOUNT_HOLDER"}))
AUDITOR = Actor(user_id="auditor", organization_id=None, roles=frozenset({"AUDITOR"}))


@pytest.fixture
def uow() -> FakeReportingUnitOfWork:
    uow = FakeReportingUnitOfWork()
    bus = bus_over(uow)
    bus.handle(event(credits_issued(), source="issuance"))
    bus.handle(event(credits_retired("ret-1", quantity_t=100)))
    bus.handle(event(credits_retired("ret-2", quantity_t=20, retirement_year=2023)))
    uow.events.clear()
    uow.messages.clear()
    return uow


def test_disclosure_report_lists_the_years_retirements_and_records_report_generated(
    uow: FakeReportingUnitOfWork,
) -> None:
    report = bus_over(uow).handle(GenerateDisclosureReport(MEMBER, BUYER, 2024))
    assert [line.retirement_id for line in report.lines] == ["ret-1"]
    assert report.total_quantity_t == 100
    assert uow.events == [
        ReportGenerated("id-1", "DISCLOSURE", BUYER, 2024, 100, actor_user_id="user-1", actor_organization_id=BUYER)
    ]
    assert [m.payload.DESCRIPTOR.full_name for m in uow.messages] == ["carbon.reporting.v1.ReportGenerated"]


@pytest.mark.parametrize(("actor", "code"), [(OUTSIDER, ErrorCode.FORBIDDEN), (ANONYMOUS, ErrorCode.UNAUTHENTICATED)])
def test_disclosure_report_is_refused_to_outsiders_and_records_nothing(
    uow: FakeReportingUnitOfWork, actor: Actor, code: ErrorCode
) -> None:
    with pytest.raises(DomainError) as refused:
        bus_over(uow).handle(GenerateDisclosureReport(actor, BUYER, 2024))
    assert refused.value.code is code
    assert uow.events == [] and uow.messages == []


def test_an_auditor_may_generate_any_organizations_shk_report(uow: FakeReportingUnitOfWork) -> None:
    shk_input = ShkInput(organization_id=BUYER, fiscal_year=2024, reported_emissions_tco2=Decimal("1000"))
    report = bus_over(uow).handle(GenerateShkReport(AUDITOR, shk_input))
    assert report.deducted_retirement_ids == ("ret-1",)
    assert report.adjusted_emissions_tco2 == Decimal("900")
    assert [(e.report_kind, e.total_quantity_t) for e in uow.events if isinstance(e, ReportGenerated)] == [("SHK", 100)]


def test_reconciliation_is_unavailable_without_peers(uow: FakeReportingUnitOfWork) -> None:
    with pytest.raises(DomainError) as refused:
        bus_over(uow).handle(ReconcileBatches(AUDITOR))
    assert refused.value.code is ErrorCode.UNAVAILABLE


def test_reconciliation_needs_an_auditor_or_registry_admin(uow: FakeReportingUnitOfWork) -> None:
    peers = FakePeers()
    with pytest.raises(DomainError) as refused:
        bus_over(uow, issuance=peers, registry=peers).handle(ReconcileBatches(MEMBER))
    assert refused.value.code is ErrorCode.FORBIDDEN


def test_reconciliation_records_the_batches_where_registry_disagrees_with_issuance(
    uow: FakeReportingUnitOfWork,
) -> None:
    peers = FakePeers(
        issued={BATCH: 1000},
        registry={BATCH: {UnitStatus.HELD: 882, UnitStatus.RETIRED: 120}},
    )
    service = Actor(user_id=None, organization_id=None, roles=frozenset({"SERVICE"}))
    result = bus_over(uow, issuance=peers, registry=peers).handle(ReconcileBatches(service))
    assert result.batches_checked == 1
    assert [(d.measure, d.left_source, d.right_source, d.left_t, d.right_t) for d in result.discrepancies] == [
        (Measure.ISSUED, Source.ISSUANCE, Source.REGISTRY, 1000, 1002)
    ]
    assert uow.events == [ReconciliationCompleted(result.reconciliation_id, 1, (BATCH,))]


def test_article6_report_needs_an_auditor_or_registry_admin_and_writes_nothing(uow: FakeReportingUnitOfWork) -> None:
    queries = ReportQueries(FakeReadModel(uow))
    with pytest.raises(DomainError) as refused:
        queries.article6_report(MEMBER, "JP", 2024)
    assert refused.value.code is ErrorCode.FORBIDDEN
    assert queries.article6_report(AUDITOR, "JP", 2024).reporting_party == "JP"
    assert uow.commits == 3  # the fixture's three events; the queries opened no transaction
