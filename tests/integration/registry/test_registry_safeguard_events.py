"""The transfer safeguards publish their state changes through the outbox, in the transaction of the
change: each operation records exactly one event of its own type (read from the registry's
event_log), and a refused operation records none."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from carbon.events.v1.envelope_pb2 import EventEnvelope
from carbon.registry.v1 import registry_pb2, types_pb2
from sqlalchemy import func, select

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.transport.auth import Principal
from services.registry.adapters import tables as t
from services.registry.domain.safeguards import SafeguardPolicy
from tests.integration.registry.support import (
    ADMIN,
    Registry,
    add_trusted_account,
    approve_transfer,
    call,
    cancel_transfer,
    reinstate_account,
    remove_trusted_account,
)

HOUR = 3600
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def guarded(registry: Registry, **policy: Any) -> Registry:
    return Registry(dataclasses.replace(registry.deps, safeguards=SafeguardPolicy(**policy), clock=lambda: NOW))


def head(registry: Registry) -> int:
    with registry.deps.engine.connect() as conn:
        return int(conn.execute(select(func.max(t.outbox.event_log.c.position))).scalar() or 0)


def events_after(registry: Registry, position: int) -> list[EventEnvelope]:
    log = t.outbox.event_log
    with registry.deps.engine.connect() as conn:
        rows = conn.execute(select(log.c.envelope).where(log.c.position > position).order_by(log.c.position))
        return [EventEnvelope.FromString(row.envelope) for row in rows]


def only_event(registry: Registry, position: int, payload: str) -> Any:
    """The single event recorded since `position`, which must carry `payload`."""
    envelopes = events_after(registry, position)
    assert [e.WhichOneof("payload") for e in envelopes] == [payload]
    return getattr(envelopes[0], payload)


def refused_without_events(registry: Registry, code: ErrorCode, action: Callable[..., Any], *args: Any) -> None:
    before = head(registry)
    with pytest.raises(DomainError) as error:
        action(*args)
    assert error.value.code is code, error.value
    assert events_after(registry, before) == []


def second_holder(organization_id: str) -> Principal:
    return Principal(f"second-{organization_id}", organization_id, frozenset({"ACCOUNT_HOLDER"}))


def test_held_transfer_records_one_transfer_held_event_with_its_hold(registry: Registry, world: dict[str, str]) -> None:
    reg = guarded(registry, untrusted_transfer_delay_s=26 * HOUR)
    before = head(reg)
    response = reg.transfer(
        Registry.holder(world["proponent"]),
        world["proponent_account"],
        world["buyer_account"],
        world["batch"],
        300,
        key="held-1",
    )
    held = only_event(reg, before, "transfer_held")
    assert held.transfer_id == response.transfer_id
    assert (held.from_account_id, held.to_account_id) == (world["proponent_account"], world["buyer_account"])
    assert (held.from_organization_id, held.to_organization_id) == (world["proponent"], world["buyer"])
    assert held.batch_id == world["batch"] and held.quantity_t == 300
    assert held.status == types_pb2.TRANSFER_STATUS_HELD
    assert held.completes_at.ToDatetime(tzinfo=UTC) == NOW + timedelta(hours=26)
    assert sum(b.quantity_t for b in held.blocks) == 300
    assert all(b.status == types_pb2.UNIT_STATUS_LOCKED for b in held.blocks)
    assert held.idempotency_key == "held-1" and held.actor_organization_id == world["proponent"]


def test_transfer_above_the_threshold_records_transfer_held_pending_approval(
    registry: Registry, world: dict[str, str]
) -> None:
    reg = guarded(registry, four_eyes_threshold_t=100)
    before = head(reg)
    reg.transfer(
        Registry.holder(world["proponent"]), world["proponent_account"], world["buyer_account"], world["batch"], 101
    )
    held = only_event(reg, before, "transfer_held")
    assert held.status == types_pb2.TRANSFER_STATUS_PENDING_APPROVAL
    assert held.completes_at.ToDatetime(tzinfo=UTC) == NOW


def test_immediate_transfer_records_no_transfer_held_event(registry: Registry, world: dict[str, str]) -> None:
    before = head(registry)
    registry.transfer(
        Registry.holder(world["proponent"]), world["proponent_account"], world["buyer_account"], world["batch"], 5
    )
    only_event(registry, before, "credits_transferred")


def test_approval_records_one_transfer_approved_event_and_the_transfer_stays_held(
    registry: Registry, world: dict[str, str]
) -> None:
    reg = guarded(registry, four_eyes_threshold_t=10, untrusted_transfer_delay_s=HOUR)
    initiator = Registry.holder(world["proponent"])
    response = reg.transfer(initiator, world["proponent_account"], world["buyer_account"], world["batch"], 20)
    refused_without_events(reg, ErrorCode.FORBIDDEN, approve_transfer, reg.deps, initiator, response.transfer_id)
    before = head(reg)
    approver = second_holder(world["proponent"])
    approve_transfer(reg.deps, approver, response.transfer_id)
    approved = only_event(reg, before, "transfer_approved")
    assert approved.transfer_id == response.transfer_id and approved.batch_id == world["batch"]
    assert (approved.from_account_id, approved.to_account_id) == (world["proponent_account"], world["buyer_account"])
    assert approved.quantity_t == 20 and approved.status == types_pb2.TRANSFER_STATUS_HELD
    assert approved.completes_at.ToDatetime(tzinfo=UTC) == NOW + timedelta(hours=1)
    assert approved.requested_by_user_id == initiator.user_id and approved.actor_user_id == approver.user_id
    refused_without_events(
        reg, ErrorCode.FAILED_PRECONDITION, approve_transfer, reg.deps, approver, response.transfer_id
    )


def test_approval_that_completes_the_transfer_records_approved_then_transferred(
    registry: Registry, world: dict[str, str]
) -> None:
    reg = guarded(registry, four_eyes_threshold_t=10)
    response = reg.transfer(
        Registry.holder(world["proponent"]), world["proponent_account"], world["buyer_account"], world["batch"], 20
    )
    before = head(reg)
    approve_transfer(reg.deps, second_holder(world["proponent"]), response.transfer_id)
    envelopes = events_after(reg, before)
    assert [e.WhichOneof("payload") for e in envelopes] == ["transfer_approved", "credits_transferred"]
    assert envelopes[0].transfer_approved.status == types_pb2.TRANSFER_STATUS_COMPLETED
    assert envelopes[1].credits_transferred.transfer_id == response.transfer_id


def test_cancellation_records_one_transfer_cancelled_event_with_the_released_units(
    registry: Registry, world: dict[str, str]
) -> None:
    reg = guarded(registry, untrusted_transfer_delay_s=HOUR)
    who = Registry.holder(world["proponent"])
    response = reg.transfer(who, world["proponent_account"], world["buyer_account"], world["batch"], 300)
    outsider = Registry.holder(world["buyer"])
    refused_without_events(reg, ErrorCode.FORBIDDEN, cancel_transfer, reg.deps, outsider, response.transfer_id)
    before = head(reg)
    cancel_transfer(reg.deps, who, response.transfer_id)
    cancelled = only_event(reg, before, "transfer_cancelled")
    assert cancelled.transfer_id == response.transfer_id and cancelled.batch_id == world["batch"]
    assert (cancelled.from_account_id, cancelled.to_account_id) == (world["proponent_account"], world["buyer_account"])
    assert cancelled.quantity_t == 300 and cancelled.actor_user_id == who.user_id
    assert sum(b.quantity_t for b in cancelled.blocks) == 300
    assert all(b.status == types_pb2.UNIT_STATUS_HELD for b in cancelled.blocks)
    refused_without_events(reg, ErrorCode.FAILED_PRECONDITION, cancel_transfer, reg.deps, who, response.transfer_id)


def test_suspension_records_one_account_suspended_event_with_the_failures_and_window(
    registry: Registry, world: dict[str, str]
) -> None:
    reg = guarded(registry, max_failed_authorizations=3, failed_authorization_window_s=HOUR)
    intruder = Principal("mallory", world["proponent"], frozenset({"TRADER"}))
    before = head(reg)
    for _ in range(3):
        with pytest.raises(DomainError):
            reg.retire(intruder, world["proponent_account"], world["batch"], 1)
    suspended = only_event(reg, before, "account_suspended")
    assert suspended.account_id == world["proponent_account"]
    assert suspended.organization_id == world["proponent"]
    assert suspended.failed_authorizations == 3 and suspended.failure_window_s == HOUR
    assert suspended.operation == "Retire" and suspended.suspended_at.ToDatetime(tzinfo=UTC) == NOW
    assert suspended.actor_user_id == intruder.user_id and suspended.actor_organization_id == world["proponent"]


def test_reinstatement_records_one_account_reinstated_event(registry: Registry, world: dict[str, str]) -> None:
    reg = guarded(registry, max_failed_authorizations=1)
    account = world["proponent_account"]
    refused_without_events(reg, ErrorCode.FAILED_PRECONDITION, reinstate_account, reg.deps, ADMIN, account)
    with pytest.raises(DomainError):
        reg.retire(Principal("mallory", world["proponent"], frozenset({"TRADER"})), account, world["batch"], 1)
    owner = Registry.holder(world["proponent"])
    refused_without_events(reg, ErrorCode.FORBIDDEN, reinstate_account, reg.deps, owner, account)
    before = head(reg)
    reinstate_account(reg.deps, ADMIN, account)
    reinstated = only_event(reg, before, "account_reinstated")
    assert reinstated.account_id == account and reinstated.organization_id == world["proponent"]
    assert reinstated.reinstated_at.ToDatetime(tzinfo=UTC) == NOW and reinstated.actor_user_id == ADMIN.user_id


def test_adding_a_trusted_account_records_one_event_with_its_effective_time_and_re_adding_none(
    registry: Registry, world: dict[str, str]
) -> None:
    reg = guarded(registry, trusted_account_delay_s=24 * HOUR)
    who = Registry.holder(world["proponent"])
    args = (world["proponent_account"], world["buyer_account"])
    refused_without_events(
        reg, ErrorCode.FORBIDDEN, add_trusted_account, reg.deps, Registry.holder(world["buyer"]), *args
    )
    before = head(reg)
    add_trusted_account(reg.deps, who, *args)
    added = only_event(reg, before, "trusted_account_added")
    assert (added.account_id, added.trusted_account_id) == args
    assert (added.organization_id, added.trusted_organization_id) == (world["proponent"], world["buyer"])
    assert added.added_at.ToDatetime(tzinfo=UTC) == NOW
    assert added.effective_at.ToDatetime(tzinfo=UTC) == NOW + timedelta(hours=24)
    again = head(reg)
    add_trusted_account(reg.deps, who, *args)
    assert events_after(reg, again) == []


def test_removing_a_trusted_account_records_one_event_and_removing_an_unlisted_one_none(
    registry: Registry, world: dict[str, str]
) -> None:
    reg = guarded(registry)
    who = Registry.holder(world["proponent"])
    args = (world["proponent_account"], world["buyer_account"])
    add_trusted_account(reg.deps, who, *args)
    before = head(reg)
    remove_trusted_account(reg.deps, who, *args)
    removed = only_event(reg, before, "trusted_account_removed")
    assert (removed.account_id, removed.trusted_account_id) == args
    assert removed.organization_id == world["proponent"] and removed.actor_user_id == who.user_id
    refused_without_events(reg, ErrorCode.NOT_FOUND, remove_trusted_account, reg.deps, who, *args)


def test_replaying_an_approval_with_its_key_returns_the_first_response_and_records_nothing(
    registry: Registry, world: dict[str, str]
) -> None:
    reg = guarded(registry, four_eyes_threshold_t=10, untrusted_transfer_delay_s=HOUR)
    response = reg.transfer(
        Registry.holder(world["proponent"]), world["proponent_account"], world["buyer_account"], world["batch"], 20
    )
    approver = second_holder(world["proponent"])
    request = registry_pb2.ApproveTransferRequest(idempotency_key="approve-1", transfer_id=response.transfer_id)
    first = call(reg.deps, approver, request)
    before = head(reg)
    assert call(reg.deps, approver, request) == first
    assert events_after(reg, before) == []
