"""How far the read models trail each producer's event log (a read-only query; it never writes)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from services.reporting.service.ports import EventLogHead, ReadModel

log = logging.getLogger(__name__)

PROJECTION = "credit_read_model"


@dataclass(frozen=True, slots=True)
class SourceLag:
    source: str
    projection: str
    applied_position: int
    head_position: int
    pending_events: int
    lag_ms: int
    last_applied_occurred_at: datetime | None
    head_known: bool


class LagMonitor:
    """How far the read models trail each producer's log.

    Kafka records carry no log position, so the applied position is the number of distinct events applied
    from that producer (every event is claimed and counted, projected or not), or the last replayed
    position when that is further. Heads come from EventLog.Head; the last head seen is kept for when
    a producer is unreachable.
    """

    def __init__(self, read_model: ReadModel, logs: Mapping[str, EventLogHead]) -> None:
        self.read_model = read_model
        self.logs = dict(logs)
        self._heads: dict[str, int] = {}
        self._lock = threading.Lock()

    def refresh_heads(self) -> None:
        for source, log_port in self.logs.items():
            try:
                head = log_port.head()
            except Exception:
                log.debug("event log head of %s unavailable", source, exc_info=True)
                continue
            with self._lock:
                self._heads[source] = head

    def heads(self) -> dict[str, int]:
        with self._lock:
            return dict(self._heads)

    def lag(self, *, now: datetime | None = None) -> list[SourceLag]:
        now = now or datetime.now(UTC)
        with self.read_model.read() as facts:
            progress = facts.source_progress()
        heads = self.heads()
        out: list[SourceLag] = []
        for source in sorted(set(self.logs) | set(progress)):
            row = progress.get(source)
            applied = 0 if row is None else max(row.applied_events, row.replayed_position)
            last = None if row is None else row.last_occurred_at
            head_known = source in heads
            head = heads.get(source, applied)
            pending = max(0, head - applied)
            lag_ms = 0
            if pending > 0:
                # Behind: the lag is the age of the newest event applied (or unknown-as-large when none was).
                lag_ms = int((now - last).total_seconds() * 1000) if last is not None else 0
            out.append(SourceLag(source, PROJECTION, applied, head, pending, max(0, lag_ms), last, head_known))
        return out

    def seconds_since_last_event(self, *, now: datetime | None = None) -> dict[str, float]:
        now = now or datetime.now(UTC)
        return {
            lag.source: (now - lag.last_applied_occurred_at).total_seconds()
            for lag in self.lag(now=now)
            if lag.last_applied_occurred_at is not None
        }
