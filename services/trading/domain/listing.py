"""An instrument as stored: its contract, its session schedule (None: continuous trading), its mode."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.trading.domain.instruments import Instrument
from services.trading.domain.records import ListedInstrument
from services.trading.domain.session import SessionSchedule


@dataclass(frozen=True, slots=True)
class InstrumentRecord:
    instrument: Instrument
    schedule: SessionSchedule | None
    mode: str  # CONTINUOUS, or CALL_AUCTION when a session schedule is configured
    created_at: datetime

    def listing(self) -> ListedInstrument:
        return ListedInstrument(self.instrument, self.mode, self.created_at)
