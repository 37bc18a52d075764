"""AmendOrder: change the price and/or the open quantity. A sell cannot grow (its credits are locked
for the original quantity); a buy that grows or reprices locks or releases the cash difference."""

from __future__ import annotations

from collections.abc import Callable

from carbon_runtime.errors import insufficient, invalid
from services.trading.domain import orders as engine
from services.trading.domain.commands import AmendOrder
from services.trading.domain.orders import Side
from services.trading.domain.session import Clock
from services.trading.service.bounds import require_money_in_range
from services.trading.service.cancel_order import own_open_order
from services.trading.service.effects import PostCommit, apply_events
from services.trading.service.markets import Markets
from services.trading.service.place_order import PlacedOrder, placed
from services.trading.service.ports import RegistryPort, UnitOfWork
from services.trading.service.settlement import Wake, after_commit


def handle(
    cmd: AmendOrder,
    uow: UnitOfWork,
    *,
    markets: Markets,
    registry: RegistryPort,
    clock: Clock,
    service_token: Callable[[], str],
    wake_settlement: Wake,
) -> PlacedOrder:
    organization_id, order = own_open_order(uow, cmd.actor, cmd.order_id)
    market = markets.get(order.instrument_id, uow)
    new_price, new_remaining_t = cmd.new_price, cmd.new_remaining_t
    new_price_ticks = (
        market.instrument.price_to_ticks(require_money_in_range(new_price, "price", "PRICE_OUTSIDE_LIMITS"))
        if new_price is not None
        else None
    )
    if new_remaining_t is not None:
        market.instrument.validate_quantity(new_remaining_t)
        if order.side is Side.SELL and new_remaining_t > order.remaining_t:
            raise invalid(
                "SELL_QUANTITY_CANNOT_GROW", "a sell order's quantity cannot grow: place a new order for more credits"
            )
    post = PostCommit()
    with markets.exclusive(uow, market):
        if order.side is Side.BUY:
            current = uow.orders.get(cmd.order_id, for_update=True)
            assert current is not None
            remaining = current.remaining_t if new_remaining_t is None else new_remaining_t
            needed = (new_price if new_price is not None else current.price) * remaining - current.locked_cash
            cash = uow.cash.get(organization_id, market.instrument.currency, for_update=True)
            if needed > cash.available:
                raise insufficient("CASH_NOT_AVAILABLE", f"the amendment needs {needed} more cash than is available")
        step = engine.AmendOrder(cmd.order_id, organization_id, new_price_ticks, new_remaining_t)
        events = markets.step(uow, market, step)
        apply_events(uow, market, events, post, actor_user_id=cmd.actor.name, actor_organization_id=organization_id)
    after_commit(
        uow, post, registry=registry, clock=clock, service_token=service_token, wake_settlement=wake_settlement
    )
    return placed(uow, cmd.order_id, post.trade_ids)
