"""Account-freezing by strangers (issue 14, item 2): account ids are public and system accounts have
predictable names, so refusals of strangers must never suspend an account. Only members of the
account's organization count; strangers are throttled per caller; system accounts are never
suspended; reinstatement clears the window; a refusal is counted only for a real request (the
referenced batch exists). Registry handlers over the in-memory unit of work."""

from __future__ import annotations

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.vocabulary import TransferStatus
from services.registry.domain import commands as c
from services.registry.domain.actor import Actor
from services.registry.domain.models import AccountStatus
from services.registry.service.check_refusal_budget import TOO_MANY_REFUSED_AUTHORIZATIONS
from tests.support.fake_registry_uow import REGISTRY_ORGANIZATION_ID
from tests.unit.registry.support import World, holder, world

LIMIT = 3


def _transfer(
    w: World, actor: Actor, *, from_account: str | None = None, batch: str | None = None
) -> c.TransferCredits:
    return c.TransferCredits(
        actor=actor,
        from_account_id=from_account or w.proponent_account,
        to_account_id=w.buyer_account,
        batch_id=batch or w.batch,
        quantity_t=1,
        idempotency_key=None,
        idempotency_scope=actor.organization_id or actor.name,
    )


def _refused(w: World, cmd: object) -> DomainError:
    with pytest.raises(DomainError) as err:
        w.bus.handle(cmd)
    return err.value


def test_a_flood_of_stranger_refusals_never_suspends_the_victims_account() -> None:
    w = world(max_failed_authorizations=LIMIT, max_refusals_per_caller=LIMIT)
    balance = w.balance(w.proponent_account)
    strangers = [Actor(f"mallory-{i}", w.buyer, frozenset({"ACCOUNT_HOLDER"})) for i in range(4)]
    for stranger in strangers:
        for _ in range(LIMIT):
            assert _refused(w, _transfer(w, stranger)).code is ErrorCode.FORBIDDEN
    assert w.uow.accounts_by_id[w.proponent_account].status is AccountStatus.OPEN
    assert w.balance(w.proponent_account) == balance
    # The victim still moves its credits.
    assert w.bus.handle(_transfer(w, holder(w.proponent))).status is TransferStatus.COMPLETED


def test_a_stranger_is_throttled_per_caller_after_too_many_refusals() -> None:
    w = world(max_failed_authorizations=LIMIT, max_refusals_per_caller=LIMIT)
    stranger = Actor("mallory", w.buyer, frozenset({"ACCOUNT_HOLDER"}))
    for _ in range(LIMIT):
        assert _refused(w, _transfer(w, stranger)).reason == "NOT_AUTHORIZED"
    throttled = _refused(w, _transfer(w, stranger))
    assert (throttled.code, throttled.reason) == (ErrorCode.FORBIDDEN, TOO_MANY_REFUSED_AUTHORIZATIONS)
    # Even a request it would be allowed (from its own account) waits for the window to pass.
    own = _transfer(w, stranger, from_account=w.buyer_account)
    assert _refused(w, own).reason == TOO_MANY_REFUSED_AUTHORIZATIONS
    # Others are not throttled by it.
    assert w.bus.handle(_transfer(w, holder(w.proponent))).status is TransferStatus.COMPLETED
    w.clock.advance(3601)
    assert _refused(w, _transfer(w, stranger)).reason == "NOT_AUTHORIZED"


def test_system_accounts_are_never_suspended() -> None:
    w = world(max_failed_authorizations=LIMIT, max_refusals_per_caller=LIMIT)
    buffer = w.uow.accounts.ensure_buffer_pool("JCREDIT").id
    # Even a caller of the registry organization (which owns the pools) cannot freeze a buffer pool.
    insiders = [Actor(f"insider-{i}", REGISTRY_ORGANIZATION_ID, frozenset({"TRADER"})) for i in range(3)]
    for insider in insiders:
        for _ in range(LIMIT):
            assert _refused(w, _transfer(w, insider, from_account=buffer)).code is ErrorCode.FORBIDDEN
    assert w.uow.accounts_by_id[buffer].status is AccountStatus.OPEN


def test_a_refusal_about_a_batch_that_does_not_exist_is_not_found_and_not_counted() -> None:
    w = world(max_failed_authorizations=1)
    insider = Actor("mallory", w.proponent, frozenset({"TRADER"}))
    for _ in range(3):
        assert _refused(w, _transfer(w, insider, batch="B-NOPE")).code is ErrorCode.NOT_FOUND
    assert w.uow.failures == []
    assert w.uow.accounts_by_id[w.proponent_account].status is AccountStatus.OPEN
