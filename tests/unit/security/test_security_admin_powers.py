"""Admin-only gRPC powers need a business object behind them (issue 14, item 9): Settle delivers
locked units only for the exchange, which settles the trades its engine executed; an EXCHANGE_ADMIN
or another service calling Settle directly is refused and nothing moves."""

from __future__ import annotations

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from services.registry.domain import commands as c
from services.registry.domain.actor import Actor
from tests.unit.registry.support import ISSUANCE, World, holder, world

EXCHANGE_ADMIN = Actor("ops@exchange", None, frozenset({"EXCHANGE_ADMIN"}))
EXCHANGE = Actor("service:trading", None, frozenset({"SERVICE"}))


def _settle(w: World, actor: Actor) -> c.SettleCredits:
    return c.SettleCredits(actor=actor, lock_id="order-1", quantity_t=10, to_account_id=w.buyer_account, trade_id="t-1")


@pytest.mark.parametrize("actor", [EXCHANGE_ADMIN, ISSUANCE], ids=["exchange admin", "another service"])
def test_settle_without_a_trade_of_the_exchange_is_refused(actor: Actor) -> None:
    w = world()
    w.bus.handle(c.LockCredits(actor=holder(w.proponent), account_id=w.proponent_account, quantity_t=10,
                               lock_id="order-1"))  # fmt: skip
    before = (w.balance(w.proponent_account), w.balance(w.buyer_account), len(w.uow.events))
    with pytest.raises(DomainError) as err:
        w.bus.handle(_settle(w, actor))
    assert err.value.code is ErrorCode.FORBIDDEN
    assert (w.balance(w.proponent_account), w.balance(w.buyer_account), len(w.uow.events)) == before
    # The exchange settles its trade.
    w.bus.handle(_settle(w, EXCHANGE))
    assert w.balance(w.buyer_account) == 10
