"""RunDueSessionSteps: phase changes and call auctions happen on schedule even with no order flow.

The engine runs due steps whenever it handles a command; this use case sends it a journaled
AdvanceClock when a step of an instrument's schedule has come due, so an auction uncrosses at its
time (and its trades settle) without waiting for the next order. Time comes from the injected clock.
"""

from __future__ import annotations

import logging
import threading

from services.trading.domain.orders import AdvanceClock
from services.trading.service.context import Market, PostCommit, TradingContext
from services.trading.service.effects import apply_events

log = logging.getLogger(__name__)


def run_due_steps(ctx: TradingContext) -> list[str]:
    """Advance every scheduled instrument whose next step is due; returns the trade ids made."""
    trade_ids: list[str] = []
    for market in ctx.markets():
        trade_ids.extend(_advance(ctx, market))
    return trade_ids


def _advance(ctx: TradingContext, market: Market) -> list[str]:
    schedule = market.schedule
    if schedule is None or market.next_step_at is None:
        return []
    now = ctx.now()
    if now < market.next_step_at:
        return []
    post = PostCommit()
    with ctx.exclusive(market), ctx.uow() as uow:
        events = ctx.handle(uow, market, AdvanceClock())
        trade_ids = apply_events(uow, market, events, post)
        market.next_step_at = schedule.next_step_after(now)[0]
    ctx.after_commit(post)
    return trade_ids


class SessionWorker:
    """Polls the clock and runs due session steps (a carbon_runtime Worker)."""

    def __init__(self, ctx: TradingContext, interval_ms: int = 500) -> None:
        self.ctx = ctx
        self.interval_s = interval_ms / 1000
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="trading-sessions", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                run_due_steps(self.ctx)
            except Exception:
                log.exception("session step failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
