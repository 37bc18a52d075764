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
from datetime import date, datetime
from decimal import Decimal

from services.trading.domain.actor import Actor
from services.trading.domain.forwards import MintedBatch
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


# --- forward and offtake contracts (issue 20) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class OfferForward:
    """Offered by a TRADER of the project's proponent, delivering from `seller_account_id`."""

    actor: Actor
    project_id: str
    seller_account_id: str
    buyer_organization_id: str
    quantity_t: int
    price_per_tonne: Decimal
    currency: str
    delivery_deadline: date
    vintage_from: int | None = None
    vintage_to: int | None = None
    prepayment_share: Decimal = Decimal(0)
    idempotency_key: str | None = None

    @property
    def idempotency_scope(self) -> str:
        return self.actor.idempotency_scope


@dataclass(frozen=True, slots=True)
class AcceptForward:
    """Accepted by a TRADER of the buyer: price x quantity of its cash goes into escrow."""

    actor: Actor
    forward_id: str
    delivery_account_id: str
    idempotency_key: str | None = None

    @property
    def idempotency_scope(self) -> str:
        return self.actor.idempotency_scope


@dataclass(frozen=True, slots=True)
class CancelForward:
    """Either party: ends an offer at once; an ACTIVE contract once both parties asked."""

    actor: Actor
    forward_id: str


@dataclass(frozen=True, slots=True)
class RecordProject:
    """issuance.v1.ProjectCreated, consumed: who the project's proponent is (who may offer forwards)."""

    event_id: str
    project_id: str
    proponent_organization_id: str


@dataclass(frozen=True, slots=True)
class DeliverForwards:
    """registry.v1.BatchMinted, consumed: deliver what the batch owes to contracts on its project.
    Applied once per event id and once per batch, whatever the redeliveries."""

    event_id: str
    batch: MintedBatch


@dataclass(frozen=True, slots=True)
class SettleForwardDeliveries:
    """One pass of the forward worker: finish deliveries a crash or an unavailable registry left PENDING."""

    limit: int = 100


@dataclass(frozen=True, slots=True)
class ExpireForwards:
    """One pass of the forward worker: contracts past their deadline with tonnes undelivered fall SHORTFALL."""


__all__ = [
    "AcceptForward",
    "AmendOrder",
    "CancelForward",
    "CancelOrder",
    "CloseTender",
    "CreateInstrument",
    "CreateTender",
    "DeliverForwards",
    "DepositFunds",
    "ExpireForwards",
    "OfferForward",
    "PlaceOrder",
    "RecordProject",
    "ReleasePendingUnlocks",
    "ReportOtcTrade",
    "RunDueSessionSteps",
    "ScheduleSpec",
    "ScheduleStepSpec",
    "SettleForwardDeliveries",
    "SettlePendingTrades",
    "SettleTrade",
    "SubmitBid",
]
