"""The projection handlers over the in-memory unit of work: each event lands once, by its natural key,
whatever the order or how often it is delivered; an event a reader must reject changes nothing."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest

from carbon_runtime.vocabulary import AccountKind
from services.reporting.domain import events as ev
from services.reporting.domain.commands import ClearReadModel, ProjectEvents
from services.reporting.domain.events import MalformedEventError
from services.reporting.service.queries import ReportQueries
from tests.support.fake_reporting_uow import FakeReadModel, FakeReportingUnitOfWork, bus_over
from tests.unit.reporting.support import (
    BATCH,
    BUYER,
    T0,
    block,
    buffer_cancelled,
    credits_issued,
    credits_retired,
    event,
)


@pytest.fixture
def uow() -> FakeReportingUnitOfWork:
    return FakeReportingUnitOfWork()


def test_a_duplicate_event_changes_nothing(uow: FakeReportingUnitOfWork) -> None:
    bus = bus_over(uow)
    retired = event(credits_retired())
    assert bus.handle(retired) is True
    before = copy.deepcopy(uow.projection)

    assert bus.handle(retired) is False

    assert uow.projection == before
    assert uow.projection.progress["registry"].applied_events == 1
    assert list(uow.projection.retirements) == ["ret-1"]


def test_the_same_fact_under_a_new_event_id_is_stored_once(uow: FakeReportingUnitOfWork) -> None:
    # A producer that re-publishes a fact (e.g. after a replay with new envelope ids) must not double it.
    bus = bus_over(uow)
    bus.handle(event(credits_retired(quantity_t=100)))
    bus.handle(event(credits_retired(quantity_t=999)))
    assert uow.projection.retirements["ret-1"].quantity_t == 100


def test_an_event_reporting_does_not_project_is_still_claimed_and_counted(uow: FakeReportingUnitOfWork) -> None:
    bus = bus_over(uow)
    assert bus.handle(event(None, source="issuance", event_id="withdrawn-1")) is True
    assert uow.projection.claims == {"withdrawn-1"}
    assert uow.projection.progress["issuance"].applied_events == 1


def test_a_retirement_without_a_retirement_year_is_rejected_without_effect(uow: FakeReportingUnitOfWork) -> None:
    with pytest.raises(MalformedEventError):
        bus_over(uow).handle(event(credits_retired(retirement_year=0)))
    assert uow.projection.retirements == {}
    assert uow.projection.claims == set()
    assert uow.projection.progress == {}


def test_a_reversal_of_no_tonnes_is_rejected(uow: FakeReportingUnitOfWork) -> None:
    reversal = ev.ReversalReported("rev-0", "proj-forest", BATCH, 0, date(2024, 9, 10), "nothing")
    with pytest.raises(MalformedEventError):
        bus_over(uow).handle(event(reversal, source="issuance"))
    assert uow.projection.reversals == {}


def test_a_trade_without_a_price_is_rejected(uow: FakeReportingUnitOfWork) -> None:
    trade = ev.TradeExecuted("trade-1", "inst-1", None, 20, BUYER, "org-seller", T0)
    with pytest.raises(MalformedEventError):
        bus_over(uow).handle(event(trade, source="trading"))
    assert uow.projection.trades == {}


def test_buffer_cancellation_whose_blocks_do_not_add_up_is_rejected(uow: FakeReportingUnitOfWork) -> None:
    bad = buffer_cancelled("bufcan-bad", [block(BATCH, 1, 10)], quantity_t=99, batch_id=BATCH)
    with pytest.raises(MalformedEventError):
        bus_over(uow).handle(event(bad))
    assert uow.projection.buffer_cancellations == {}


def test_buffer_cancellation_naming_neither_batch_nor_blocks_is_rejected(uow: FakeReportingUnitOfWork) -> None:
    with pytest.raises(MalformedEventError):
        bus_over(uow).handle(event(buffer_cancelled("bufcan-none", [], quantity_t=5)))


def test_pool_wide_buffer_cancellation_is_stored_once_per_batch_its_blocks_name(
    uow: FakeReportingUnitOfWork,
) -> None:
    pool_wide = buffer_cancelled("bufcan-pool", [block("b-1", 1, 10), block("b-2", 1, 5)], quantity_t=15)
    bus_over(uow).handle(event(pool_wide))
    rows = uow.projection.buffer_cancellations
    assert {key: (r.quantity_t, r.serial_ranges) for key, r in rows.items()} == {
        ("bufcan-pool", "b-1"): (10, ("B-1-000001-B-1-000010",)),
        ("bufcan-pool", "b-2"): (5, ("B-2-000001-B-2-000005",)),
    }


def test_buffer_cancellation_without_blocks_is_the_named_batchs_whole_quantity(uow: FakeReportingUnitOfWork) -> None:
    bus_over(uow).handle(event(buffer_cancelled("bufcan-1", [], quantity_t=20, batch_id=BATCH)))
    assert uow.projection.buffer_cancellations[("bufcan-1", BATCH)].quantity_t == 20


def test_a_settlement_records_one_transfer_per_delivered_batch_with_its_serials(uow: FakeReportingUnitOfWork) -> None:
    settled = ev.CreditsSettled(
        settlement_id="set-1",
        trade_id="trade-1",
        from_account_id="acc-prop",
        from_organization_id="org-proponent",
        to_account_id="acc-buyer",
        to_organization_id=BUYER,
        deliveries=(
            ev.TransferAccounting("b-1", 10, issuer_onset=True, onset_fiscal_year=2024),
            ev.TransferAccounting("b-2", 5),
        ),
        blocks=(block("b-1", 1, 10), block("b-2", 6, 10)),
        settled_at=T0,
    )
    bus_over(uow).handle(event(settled))
    transfers = uow.projection.transfers
    assert sorted(transfers) == ["set-1:b-1", "set-1:b-2"]
    first = transfers["set-1:b-1"]
    assert (first.kind, first.trade_id, first.quantity_t, first.issuer_onset) == ("SETTLEMENT", "trade-1", 10, True)
    assert transfers["set-1:b-2"].serial_ranges == ("B-2-000006-B-2-000010",)


def test_project_created_and_registered_fill_one_row_in_either_order() -> None:
    created = ev.ProjectCreated("proj-solar", "Rooftop Solar Osaka", "JP", "org-proponent", date(2022, 4, 1))
    registered = ev.ProjectRegistered("proj-solar", date(2022, 3, 1))
    rows = []
    for order in ((created, registered), (registered, created)):
        uow = FakeReportingUnitOfWork()
        bus = bus_over(uow)
        for payload in order:
            bus.handle(event(payload, source="issuance"))
        rows.append(uow.projection.projects)
    assert rows[0] == rows[1]
    assert rows[0]["proj-solar"]["registered_on"] == date(2022, 3, 1)


def test_replaying_an_applied_event_still_moves_the_replayed_position_forward(uow: FakeReportingUnitOfWork) -> None:
    bus = bus_over(uow)
    opened = ev.AccountOpened("acc-1", BUYER, AccountKind.HOLDING)
    bus.handle(event(opened, event_id="e-1"))
    assert bus.handle(event(opened, event_id="e-1", position=7)) is False
    progress = uow.projection.progress["registry"]
    assert (progress.applied_events, progress.replayed_position) == (1, 7)


def test_last_occurred_only_moves_forward_when_an_old_event_arrives_late(uow: FakeReportingUnitOfWork) -> None:
    bus = bus_over(uow)
    old = event(ev.AccountOpened("acc-old", BUYER, AccountKind.HOLDING))
    new = event(ev.AccountOpened("acc-new", BUYER, AccountKind.HOLDING))
    assert old.occurred_at < new.occurred_at
    bus.handle(new)
    bus.handle(old)
    # A late redelivery of an old event must not make the lag look worse.
    assert uow.projection.progress["registry"].last_occurred_at == new.occurred_at


def test_a_batch_of_events_with_one_malformed_event_changes_nothing(uow: FakeReportingUnitOfWork) -> None:
    run = ProjectEvents((event(credits_issued()), event(credits_retired(retirement_year=0))))
    with pytest.raises(MalformedEventError):
        bus_over(uow).handle(run)
    assert uow.projection.batches_issued == {}
    assert uow.projection.claims == set()


def test_a_batch_of_events_counts_only_the_events_applied_now(uow: FakeReportingUnitOfWork) -> None:
    bus = bus_over(uow)
    issued = event(credits_issued(), source="issuance")
    bus.handle(issued)
    assert bus.handle(ProjectEvents((issued, event(credits_retired())))) == 1


def test_clearing_the_read_model_forgets_facts_and_claims(uow: FakeReportingUnitOfWork) -> None:
    bus = bus_over(uow)
    retired = event(credits_retired())
    bus.handle(retired)
    bus.handle(ClearReadModel())
    assert uow.projection.retirements == {} and uow.projection.claims == set()
    assert bus.handle(retired) is True


def test_a_retirement_arriving_before_its_batch_joins_once_the_batch_arrives(uow: FakeReportingUnitOfWork) -> None:
    bus = bus_over(uow)
    queries = ReportQueries(FakeReadModel(uow))
    bus.handle(event(credits_retired()))
    assert queries.eligibility(BATCH) == ()
    bus.handle(event(credits_issued(), source="issuance"))
    assert queries.eligibility(BATCH) != ()
    with queries.read_model.read() as facts:
        assert facts.out_of_circulation_by_batch() == {BATCH: 100}
        assert facts.retirements()[0].offset_emissions_tco2e == Decimal("99.5")
