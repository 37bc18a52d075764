"""Retirement, cancellation and NDC use: permanent, certified, idempotent, and refused cleanly."""

from __future__ import annotations

import pytest
from carbon.events.v1.envelope_pb2 import EventEnvelope
from carbon.registry.v1 import registry_pb2, types_pb2
from sqlalchemy import select

from carbon_runtime.errors import DomainError, ErrorCode
from services.registry.adapters import tables as t
from services.registry.domain.blocks import UnitStatus
from services.registry.domain.serials import parse_serial
from tests.integration.registry.support import ADMIN, Registry, call


def test_retire_moves_units_to_the_retirement_account_as_retired(registry: Registry, world: dict[str, str]) -> None:
    who = Registry.holder(world["proponent"])
    response = registry.retire(who, world["proponent_account"], world["batch"], 250)
    sink = registry.sink(world["proponent"], "RETIREMENT")
    assert [(b.account_id, b.status, b.quantity_t) for b in response.blocks] == [
        (sink, types_pb2.UNIT_STATUS_RETIRED, 250)
    ]
    assert parse_serial(response.serial_ranges[0]).quantity == 250
    assert registry.balance(world["proponent_account"]) == 750
    assert registry.deps.reads.retired_quantity(world["batch"]) == 250
    registry.assert_invariants()


def test_retired_units_never_move_again(registry: Registry, world: dict[str, str]) -> None:
    who = Registry.holder(world["proponent"])
    registry.retire(who, world["proponent_account"], world["batch"], 1000)
    retired = [b for b in registry.blocks(world["batch"]) if b.status is UnitStatus.RETIRED]
    with pytest.raises(DomainError) as error:
        registry.retire(who, world["proponent_account"], world["batch"], 1)
    assert error.value.code is ErrorCode.INSUFFICIENT_BALANCE
    sink = registry.sink(world["proponent"], "RETIREMENT")
    for attempt in (
        lambda: registry.transfer(who, sink, world["buyer_account"], world["batch"], 1),
        lambda: registry.retire(who, sink, world["batch"], 1),
        lambda: registry.cancel(who, sink, world["batch"], 1),
        lambda: registry.lock(who, sink, 1, "sell-retired"),
    ):
        with pytest.raises(DomainError):
            attempt()
    assert [b for b in registry.blocks(world["batch"]) if b.status is UnitStatus.RETIRED] == retired


def test_retire_rejects_quantity_above_balance(registry: Registry, world: dict[str, str]) -> None:
    with pytest.raises(DomainError) as error:
        registry.retire(Registry.holder(world["proponent"]), world["proponent_account"], world["batch"], 1001)
    assert error.value.code is ErrorCode.INSUFFICIENT_BALANCE


def test_retire_is_idempotent_per_key(registry: Registry, world: dict[str, str]) -> None:
    who = Registry.holder(world["proponent"])
    first = registry.retire(who, world["proponent_account"], world["batch"], 10, key="r-1")
    snapshot = registry.snapshot()
    assert registry.retire(who, world["proponent_account"], world["batch"], 10, key="r-1") == first
    assert registry.snapshot() == snapshot
    with pytest.raises(DomainError) as error:
        registry.retire(who, world["proponent_account"], world["batch"], 11, key="r-1")
    assert error.value.code is ErrorCode.CONFLICT


def test_retire_is_forbidden_outside_the_owning_organization(registry: Registry, world: dict[str, str]) -> None:
    before = registry.snapshot()
    with pytest.raises(DomainError) as error:
        registry.retire(Registry.holder(world["buyer"]), world["proponent_account"], world["batch"], 1)
    assert error.value.code is ErrorCode.FORBIDDEN
    assert registry.snapshot() == before


def test_retire_rejects_an_implausible_retirement_year(registry: Registry, world: dict[str, str]) -> None:
    with pytest.raises(DomainError) as error:
        registry.retire(Registry.holder(world["proponent"]), world["proponent_account"], world["batch"], 1, year=12)
    assert error.value.code is ErrorCode.INVALID_ARGUMENT


def test_retirement_issues_a_certificate_that_verifies_against_the_journal(
    registry: Registry, world: dict[str, str]
) -> None:
    response = registry.retire(Registry.holder(world["proponent"]), world["proponent_account"], world["batch"], 5)
    view = registry.deps.reads.retirement_view(response.retirement_id)
    assert view is not None and view.serial_ranges == list(response.serial_ranges)
    body = registry.deps.reads.certificate(view.certificate_id)
    assert body is not None and body["quantity"] == 5 and body["beneficiary"] == "Example K.K."
    assert registry.deps.reads.verify_certificate(view.certificate_id).valid
    assert not registry.deps.reads.verify_certificate("RC-NOPE").valid


def test_cancel_moves_units_to_the_cancellation_account(registry: Registry, world: dict[str, str]) -> None:
    who = Registry.holder(world["proponent"])
    response = registry.cancel(who, world["proponent_account"], world["batch"], 30)
    assert {b.status for b in response.blocks} == {types_pb2.UNIT_STATUS_CANCELLED}
    assert {b.account_id for b in response.blocks} == {registry.sink(world["proponent"], "CANCELLATION")}
    view = registry.deps.reads.cancellation_view(response.cancellation_id)
    assert view is not None and view.purpose == "OTHER_INTERNATIONAL_SCHEME" and view.quantity == 30
    assert registry.deps.reads.retired_quantity(world["batch"]) == 30
    registry.assert_invariants()


def test_cancel_rejects_quantity_above_balance_and_changes_nothing(registry: Registry, world: dict[str, str]) -> None:
    before = registry.snapshot()
    with pytest.raises(DomainError) as error:
        registry.cancel(Registry.holder(world["proponent"]), world["proponent_account"], world["batch"], 2000)
    assert error.value.code is ErrorCode.INSUFFICIENT_BALANCE
    assert registry.snapshot() == before


def _ndc(registry: Registry, world: dict[str, str], who: object) -> registry_pb2.UseForNdcResponse:
    response: registry_pb2.UseForNdcResponse = call(
        registry.deps,
        who,  # type: ignore[arg-type]
        registry_pb2.UseForNdcRequest(
            account_id=world["proponent_account"],
            batch_id=world["batch"],
            quantity_t=7,
            ndc_country="JP",
            ndc_year=2030,
        ),
    )
    return response


def test_use_for_ndc_is_reserved_to_the_registry_admin(registry: Registry, world: dict[str, str]) -> None:
    with pytest.raises(DomainError) as error:
        _ndc(registry, world, Registry.holder(world["proponent"]))
    assert error.value.code is ErrorCode.FORBIDDEN
    response = _ndc(registry, world, ADMIN)
    assert {b.status for b in response.blocks} == {types_pb2.UNIT_STATUS_NDC_USED}
    assert registry.deps.reads.retired_quantity(world["batch"]) == 7
    registry.assert_invariants()


@pytest.mark.parametrize(
    ("program", "vintage", "expected"),
    [("JCM", "2022", True), ("JCM", "2019", False), ("JCREDIT", "2022", False)],
)
def test_retirement_of_jcm_credits_from_2021_counts_toward_japans_ndc(
    registry: Registry, program: str, vintage: str, expected: bool
) -> None:
    org = registry.org("JCM Holder")
    account = registry.account(org)
    batch = registry.mint(org, account, 100, program=program, vintage=vintage)
    response = registry.retire(Registry.holder(org), account, batch, 10)
    view = registry.deps.reads.retirement_view(response.retirement_id)
    assert view is not None
    assert view.counts_toward_japan_ndc is expected
    with registry.deps.engine.connect() as conn:
        row = conn.execute(select(t.outbox.event_log.c.envelope).order_by(t.outbox.event_log.c.position.desc())).first()
    assert row is not None
    assert EventEnvelope.FromString(row[0]).credits_retired.counts_toward_japan_ndc is expected
