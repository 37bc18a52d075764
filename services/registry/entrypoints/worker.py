"""The held-transfer worker: a process worker (start/stop) that periodically sends
CompleteDueHeldTransfers through the bus, so a transfer completes when its hold ends whether or not
anybody reads it (reads never write)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from services.registry.domain.commands import CompleteDueHeldTransfers
from services.registry.service.handlers import RegistryBus

log = logging.getLogger(__name__)


class HeldTransferWorker:
    def __init__(self, bus: RegistryBus, interval_ms: int, any_due: Callable[[], bool] | None = None) -> None:
        self.bus = bus
        # A read-only probe, so an idle round takes no write lock (SQLite serializes writers).
        self.any_due = any_due
        self.interval_s = interval_ms / 1000
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """One round: how many held transfers completed."""
        if self.any_due is not None and not self.any_due():
            return 0
        return int(self.bus.handle(CompleteDueHeldTransfers()).completed)

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="held-transfers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.run_once()
            except Exception:  # the worker must outlive a database hiccup; the next round retries
                log.exception("completing held transfers failed")
