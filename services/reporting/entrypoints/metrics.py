"""Read-model lag as OpenTelemetry metrics (exported at /metrics in Prometheus format):
`reporting_read_model_pending_events{source}` (events the producer logged that are not applied yet) and
`reporting_read_model_seconds_since_last_event{source}` (age of the newest applied event)."""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterable
from typing import Any

from carbon_runtime.ops import telemetry
from services.reporting.service.lag import LagMonitor

log = logging.getLogger(__name__)

_monitors: weakref.WeakSet[LagMonitor] = weakref.WeakSet()
_lock = threading.Lock()
_registered = False


def _pending(options: Any) -> Iterable[Any]:
    from opentelemetry.metrics import Observation

    out: list[Any] = []
    for monitor in list(_monitors):
        try:
            out.extend(Observation(lag.pending_events, {"source": lag.source}) for lag in monitor.lag())
        except Exception:
            log.debug("lag metric unavailable", exc_info=True)
    return out


def _age(options: Any) -> Iterable[Any]:
    from opentelemetry.metrics import Observation

    out: list[Any] = []
    for monitor in list(_monitors):
        try:
            ages = monitor.seconds_since_last_event()
        except Exception:
            log.debug("lag metric unavailable", exc_info=True)
            continue
        out.extend(Observation(age, {"source": source}) for source, age in ages.items())
    return out


def register_lag_metrics(monitor: LagMonitor) -> None:
    """Expose `monitor` through the process's meter; the instruments are created once per process."""
    global _registered
    with _lock:
        _monitors.add(monitor)
        if _registered:
            return
        meter = telemetry.meter()
        meter.create_observable_gauge(
            "reporting_read_model_pending_events",
            callbacks=[_pending],
            unit="{event}",
            description="Events in the producer's log not yet applied to the reporting read model",
        )
        meter.create_observable_gauge(
            "reporting_read_model_seconds_since_last_event",
            callbacks=[_age],
            unit="s",
            description="Seconds since the newest event applied from the producer occurred",
        )
        _registered = True
