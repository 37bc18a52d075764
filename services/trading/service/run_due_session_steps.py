"""RunDueSessionSteps: phase changes and call auctions happen on schedule even with no order flow.

The engine runs due steps whenever it handles a command; this use case sends it a journaled
AdvanceClock when a step of an instrument's schedule has come due, so an auction uncrosses at its
time (and its trades settle) without waiting for the next order. Time comes from the injected clock.
"""

from __future__ import annotations

from collections.abc import Callable

from services.trading.domain.commands import RunDueSessionSteps
from services.trading.domain.orders import AdvanceClock
from services.trading.domain.session import Clock
from services.trading.service.effects import PostCommit, apply_events
from services.trading.service.markets import Market, Markets
from services.trading.service.ports import RegistryPort, UnitOfWork
from services.trading.service.settlement import Wake, after_commit


def handle(
    cmd: RunDueSessionSteps,
    uow: UnitOfWork,
    *,
    markets: Markets,
    registry: RegistryPort,
    clock: Clock,
    service_token: Callable[[], str],
    wake_settlement: Wake,
) -> list[str]:
    """Advance every scheduled instrument whose next step is due; returns the trade ids made."""
    markets.sync(uow)
    trade_ids: list[str] = []
    for market in markets.all():
        post = PostCommit()
        trade_ids.extend(_advance(uow, markets, market, clock, post))
        after_commit(
            uow, post, registry=registry, clock=clock, service_token=service_token, wake_settlement=wake_settlement
        )
    return trade_ids


def _advance(uow: UnitOfWork, markets: Markets, market: Market, clock: Clock, post: PostCommit) -> list[str]:
    schedule = market.schedule
    if schedule is None or market.next_step_at is None:
        return []
    now = clock.now()
    if now < market.next_step_at:
        return []
    with markets.exclusive(uow, market):
        events = markets.step(uow, market, AdvanceClock())
        trade_ids = apply_events(uow, market, events, post)
        market.next_step_at = schedule.next_step_after(now)[0]
    return trade_ids
