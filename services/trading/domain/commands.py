"""What callers ask the exchange to do (orders, in the imperative). GraphQL and gRPC build the same
commands; the message bus runs each in a unit of work with its handler in `service/`.

Domain values only: Decimal prices and cash, whole tonnes, enums. The caller travels as an `Actor`.
A command that takes an idempotency key scopes it to the caller's organization (`idempotency_scope`);
the bus stores the key with the handler's result, so a retry answers the first result.

The matching engine has its own, smaller commands (domain/orders.py: PlaceOrder, CancelOrder,
AmendOrder, AdvanceClock): those are what the engine journals; these are what a participant asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from services.trading.domain.actor import Actor
from services.trading.domain.instruments import InstrumentCriteria, PriceLimit
from services.trading.domain.orders import Side, TimeInForce


@dataclass(frozen=True, slots=True)
class ScheduleStepSpec:
    """One daily step as the caller wrote it: local "HH:MM", a phase name and, for AUCTION, the next."""

    at: str
    phase: str
    then: str | None = None


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    steps: tuple[ScheduleStepSpec, ...]
    utc_offset_minutes: int = 540  # JST


@dataclass(frozen=True, slots=True)
class CreateInstrument:
    actor: Actor
    name: str
    currency: str
    tick_size: Decimal
    criteria: InstrumentCriteria
    lot_size_t: int = 1
    reference_price: Decimal | None = None
    price_limit: PriceLimit | None = None
    schedule: ScheduleSpec | None = None
    idempotency_key: str | None = None

    @property
    def idempotency_scope(self) -> str:
        return self.actor.idempotency_scope


@dataclass(frozen=True, slots=True)
class DepositFunds:
    actor: Actor
    organization_id: str
    currency: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    actor: Actor
    instrument_id: str
    side: Side
    price: Decimal
    quantity_t: int
    account_id: str
    time_in_force: TimeInForce = TimeInForce.GTC
    idempotency_key: str | None = None

    @property
    def idempotency_scope(self) -> str:
        return self.actor.idempotency_scope


@dataclass(frozen=True, slots=True)
class CancelOrder:
    actor: Actor
    order_id: str


@dataclass(frozen=True, slots=True)
class AmendOrder:
    """Change the price and/or the open quantity of a resting order."""

    actor: Actor
    order_id: str
    new_price: Decimal | None = None
    new_remaining_t: int | None = None


@dataclass(frozen=True, slots=True)
class CreateTender:
    actor: Actor
    instrument_id: str
    seller_account_id: str
    offered_quantity_t: int
    minimum_price: Decimal
    closes_at: datetime


@dataclass(frozen=True, slots=True)
class SubmitBid:
    actor: Actor
    tender_id: str
    account_id: str
    price: Decimal
    quantity_t: int


@dataclass(frozen=True, slots=True)
class CloseTender:
    actor: Actor
    tender_id: str


@dataclass(frozen=True, slots=True)
class ReportOtcTrade:
    """Reported by a TRADER of the seller's organization."""

    actor: Actor
    instrument_id: str
    seller_account_id: str
    buyer_account_id: str
    price: Decimal
    quantity_t: int
    traded_at: datetime | None = None
    batch_id: str | None = None
    settle_in_registry: bool = False


# --- the exchange's own work (the settlement and session workers send these) ---------------------


@dataclass(frozen=True, slots=True)
class SettleTrade:
    """Delivery versus payment for one trade; safe to repeat any number of times."""

    trade_id: str


@dataclass(frozen=True, slots=True)
class SettlePendingTrades:
    """One pass of the settlement worker: registry unlocks owed, then pending trades."""

    limit: int = 100


@dataclass(frozen=True, slots=True)
class ReleasePendingUnlocks:
    """Give back registry locks the exchange owes (cancellations, refused orders, unsold tenders)."""


@dataclass(frozen=True, slots=True)
class RunDueSessionSteps:
    """Phase changes and call auctions of every scheduled instrument whose step has come due."""


__all__ = [
    "AmendOrder",
    "CancelOrder",
    "CloseTender",
    "CreateInstrument",
    "CreateTender",
    "DepositFunds",
    "PlaceOrder",
    "ReleasePendingUnlocks",
    "ReportOtcTrade",
    "RunDueSessionSteps",
    "ScheduleSpec",
    "ScheduleStepSpec",
    "SettlePendingTrades",
    "SettleTrade",
    "SubmitBid",
]
