"""CancelOrder: the open quantity leaves the book; a buy's locked cash is released at once, a sell's
credits are unlocked in the registry (owed until the registry confirms)."""

from __future__ import annotations

from collections.abc import Callable

from carbon_runtime.errors import forbidden, not_found, precondition
from services.trading.domain import orders as engine
from services.trading.domain.actor import Actor, trader_organization
from services.trading.domain.commands import CancelOrder
from services.trading.domain.records import OrderRecord
from services.trading.domain.session import Clock
from services.trading.service.effects import PostCommit, apply_events
from services.trading.service.markets import Markets
from services.trading.service.ports import RegistryPort, UnitOfWork
from services.trading.service.settlement import Wake, after_commit


def own_open_order(uow: UnitOfWork, actor: Actor, order_id: str) -> tuple[str, OrderRecord]:
    """(the trader's organization, its order) when the order is the trader's and still open."""
    organization_id = trader_organization(actor)
    order = uow.orders.get(order_id)
    if order is None:
        raise not_found("ORDER_NOT_FOUND", f"no order {order_id!r}")
    if order.organization_id != organization_id:
        raise forbidden("NOT_ORDER_OWNER", "the order belongs to another organization")
    if order.status not in ("OPEN", "PARTIALLY_FILLED"):
        raise precondition("ORDER_NOT_OPEN", f"the order is {order.status}", status=order.status)
    return organization_id, order


def handle(
    cmd: CancelOrder,
    uow: UnitOfWork,
    *,
    markets: Markets,
    registry: RegistryPort,
    clock: Clock,
    service_token: Callable[[], str],
    wake_settlement: Wake,
) -> OrderRecord:
    organization_id, order = own_open_order(uow, cmd.actor, cmd.order_id)
    market = markets.get(order.instrument_id, uow)
    post = PostCommit()
    with markets.exclusive(uow, market):
        events = markets.step(uow, market, engine.CancelOrder(cmd.order_id, organization_id))
        apply_events(uow, market, events, post, actor_user_id=cmd.actor.name, actor_organization_id=organization_id)
    after_commit(
        uow, post, registry=registry, clock=clock, service_token=service_token, wake_settlement=wake_settlement
    )
    cancelled = uow.orders.get(cmd.order_id)
    assert cancelled is not None
    return cancelled
