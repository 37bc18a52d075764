"""Orders and the commands that the matching engine persists and replays.

Prices here are integer ticks of the instrument (`Instrument.price_to_ticks` converts at the edge) and
quantities are whole tonnes, so matching is exact integer arithmetic.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Side(enum.StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class TimeInForce(enum.StrEnum):
    DAY = "DAY"  # rests until filled, cancelled or the trading day's close
    GTC = "GTC"  # good till cancelled: survives the close
    IOC = "IOC"  # immediate or cancel: fills what it can now, the rest is cancelled
    FOK = "FOK"  # fill or kill: fills completely now or not at all


@dataclass(slots=True, eq=False)
class Order:
    """A resting limit order. Mutable on purpose: fills decrement `remaining_quantity` in place on
    the hot path. `sequence` is the time-priority key; a larger number means later in the queue."""

    order_id: str
    participant_id: str
    account_id: str
    side: Side
    price_ticks: int
    remaining_quantity: int
    time_in_force: TimeInForce
    sequence: int
    filled_quantity: int = 0


# --- commands (what the service persists; `Engine.replay` feeds them back) ----------------------------


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    order_id: str
    participant_id: str
    account_id: str
    side: Side
    price_ticks: int
    quantity: int
    time_in_force: TimeInForce = TimeInForce.GTC


@dataclass(frozen=True, slots=True)
class CancelOrder:
    order_id: str
    participant_id: str


@dataclass(frozen=True, slots=True)
class AmendOrder:
    """Change the price and/or the open (remaining) quantity. Reducing the quantity at the same
    price keeps time priority; a price change or a quantity increase sends the order to the back."""

    order_id: str
    participant_id: str
    new_price_ticks: int | None = None
    new_quantity: int | None = None


@dataclass(frozen=True, slots=True)
class AdvanceClock:
    """Let time pass with no order flow, so scheduled phase changes and auctions run on time."""


Command = PlaceOrder | CancelOrder | AmendOrder | AdvanceClock


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A command with the engine-clock instant it was handled at: the unit of persistence."""

    at: datetime
    command: Command
