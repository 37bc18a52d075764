"""The exchange must not bypass the transfer safeguards (issue 14, item 3). A stolen TRADER login
crossing orders with an accomplice: selling (the registry Lock of the delivering account) needs the
ACCOUNT_HOLDER right; what is locked for sale counts toward the same rolling four-eyes sum as
transfers; and four-eyes sums a rolling window instead of looking at each transfer alone.
Registry handlers over the in-memory unit of work."""

from __future__ import annotations

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.vocabulary import TransferStatus
from services.registry.domain import commands as c
from services.registry.domain.actor import Actor
from services.registry.domain.safeguards import FOUR_EYES_REQUIRED
from services.registry.settings import RegistrySettings
from tests.unit.registry.support import World, holder, world

THRESHOLD = 100


def _guarded() -> World:
    from dataclasses import replace

    from services.registry.bootstrap import build_bus
    from services.registry.domain.safeguards import SafeguardPolicy

    w = world()
    policy = replace(SafeguardPolicy(four_eyes_threshold_t=THRESHOLD), sell_requires_account_holder=True)
    ids = (f"X{i:06d}" for i in range(10**6))
    w.bus = build_bus(lambda: w.uow, safeguards=policy, clock=w.clock, ids=lambda: next(ids))
    return w


def _lock(w: World, actor: Actor, quantity: int, lock_id: str) -> c.LockCredits:
    return c.LockCredits(actor=actor, account_id=w.proponent_account, quantity_t=quantity, lock_id=lock_id)


def _refused(w: World, cmd: object) -> DomainError:
    before = (w.balance(w.proponent_account), dict(w.uow.locks), len(w.uow.events))
    with pytest.raises(DomainError) as err:
        w.bus.handle(cmd)
    assert (w.balance(w.proponent_account), dict(w.uow.locks), len(w.uow.events)) == before
    return err.value


def test_a_stolen_trader_login_cannot_sell_the_organizations_credits() -> None:
    w = _guarded()
    stolen = Actor("trader@victim", w.proponent, frozenset({"TRADER"}))
    assert _refused(w, _lock(w, stolen, 10, "order-1")).code is ErrorCode.FORBIDDEN
    assert w.balance(w.proponent_account) == 1000


def test_sales_count_toward_the_rolling_four_eyes_sum() -> None:
    w = _guarded()
    seller = holder(w.proponent)  # ACCOUNT_HOLDER and TRADER
    w.bus.handle(_lock(w, seller, 60, "order-1"))
    error = _refused(w, _lock(w, seller, 60, "order-2"))
    assert (error.code, error.reason) == (ErrorCode.FAILED_PRECONDITION, FOUR_EYES_REQUIRED)
    # After the window, selling up to the threshold is possible again.
    w.clock.advance(24 * 3600 + 1)
    w.bus.handle(_lock(w, seller, 60, "order-2"))


def test_four_eyes_counts_transfers_split_under_the_threshold() -> None:
    w = _guarded()
    owner = holder(w.proponent)

    def transfer(quantity: int) -> c.TransferCredits:
        return c.TransferCredits(
            actor=owner, from_account_id=w.proponent_account, to_account_id=w.buyer_account,
            batch_id=w.batch, quantity_t=quantity,
        )  # fmt: skip

    assert w.bus.handle(transfer(60)).status is TransferStatus.COMPLETED
    # Each piece is under the threshold; together they are above it: the second one waits.
    assert w.bus.handle(transfer(60)).status is TransferStatus.PENDING_APPROVAL
    assert w.balance(w.buyer_account) == 60


def test_production_turns_the_sellers_account_holder_rule_on() -> None:
    assert RegistrySettings().safeguard_policy().sell_requires_account_holder is False
    assert RegistrySettings(sell_requires_account_holder=True).safeguard_policy().sell_requires_account_holder
