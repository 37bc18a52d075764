"""The trading service's background workers (carbon_runtime Workers): each sends the bus a command
on a timer, like any other entrypoint. Settlement retries pending settlements and registry unlocks;
the session worker runs due phase changes and call auctions; the forward worker finishes forward
deliveries and ends contracts past their deadline."""

from __future__ import annotations

import logging
import threading
from typing import Any

from carbon_runtime.messaging.bus import MessageBus
from services.trading.domain.commands import (
    ExpireForwards,
    RunDueSessionSteps,
    SettleForwardDeliveries,
    SettlePendingTrades,
)

log = logging.getLogger(__name__)


class SettlementWorker:
    def __init__(self, bus: MessageBus[Any], interval_ms: int = 1000, *, wake: threading.Event | None = None) -> None:
        self.bus = bus
        self.interval_s = interval_ms / 1000
        self._stop = threading.Event()
        #: Set by a command whose settlement was deferred: retry now rather than at the next interval.
        self._wake = wake or threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="trading-settlement", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.bus.handle(SettlePendingTrades())
            except Exception:
                log.exception("settlement pass failed")
            self._wake.wait(self.interval_s)
            self._wake.clear()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


class SessionWorker:
    def __init__(self, bus: MessageBus[Any], interval_ms: int = 500) -> None:
        self.bus = bus
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
                self.bus.handle(RunDueSessionSteps())
            except Exception:
                log.exception("session step failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


class ForwardWorker:
    """Forward contracts' background work on a timer: deliveries left PENDING (a crash, or the registry
    unavailable) are finished, and contracts past their deadline fall SHORTFALL. The clock is the
    bus's (bootstrap injects it), so a test moves time and sends the same commands."""

    def __init__(self, bus: MessageBus[Any], interval_ms: int = 1000) -> None:
        self.bus = bus
        self.interval_s = interval_ms / 1000
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="trading-forwards", daemon=True)
        self._thread.start()

    def tick(self) -> None:
        self.bus.handle(SettleForwardDeliveries())
        self.bus.handle(ExpireForwards())

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.tick()
            except Exception:
                log.exception("forward pass failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
