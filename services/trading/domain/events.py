"""Events the matching engine emits (past tense). Prices are ticks; quantities are whole tonnes.

Events are `NamedTuple`s: immutable, typed, matched with `isinstance`, and cheap to make. The engine
makes one per accepted order and per trade, and builds them with `tuple.__new__(EventType, fields)`,
which skips the generated Python `__new__` (about 3x cheaper than a slotted dataclass's `__init__`).
Equality is by type and fields (a tuple alone would let two event types with equal fields, or a
plain tuple, compare equal).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from services.trading.domain.forwards import ForwardDeliveryRecord, ForwardRecord
from services.trading.domain.instruments import Instrument
from services.trading.domain.orders import Side, TimeInForce
from services.trading.domain.records import AwardRecord, OrderRecord, TradeRecord


class Phase(enum.StrEnum):
    PRE_OPEN = "PRE_OPEN"  # orders accumulate without matching, for the next call auction
    AUCTION = "AUCTION"  # the call auction (itayose) is uncrossing; instantaneous
    CONTINUOUS = "CONTINUOUS"  # incoming orders match immediately (price-time priority)
    CLOSED = "CLOSED"  # no new orders; cancels still accepted so participants can free locked assets


class RejectReason(enum.StrEnum):
    DUPLICATE_ORDER_ID = "DUPLICATE_ORDER_ID"
    PRICE_NOT_POSITIVE = "PRICE_NOT_POSITIVE"
    PRICE_OUTSIDE_LIMITS = "PRICE_OUTSIDE_LIMITS"
    QUANTITY_NOT_POSITIVE = "QUANTITY_NOT_POSITIVE"
    QUANTITY_NOT_LOT_MULTIPLE = "QUANTITY_NOT_LOT_MULTIPLE"
    MARKET_CLOSED = "MARKET_CLOSED"
    TIME_IN_FORCE_NOT_ALLOWED_IN_PHASE = "TIME_IN_FORCE_NOT_ALLOWED_IN_PHASE"
    ORDER_NOT_FOUND = "ORDER_NOT_FOUND"
    NOT_ORDER_OWNER = "NOT_ORDER_OWNER"
    AMEND_NO_CHANGE = "AMEND_NO_CHANGE"


class CancelReason(enum.StrEnum):
    BY_PARTICIPANT = "BY_PARTICIPANT"
    SELF_TRADE_PREVENTED = "SELF_TRADE_PREVENTED"
    IOC_REMAINDER = "IOC_REMAINDER"
    FOK_NOT_FILLABLE = "FOK_NOT_FILLABLE"
    DAY_EXPIRED = "DAY_EXPIRED"


def _same_event(self: tuple[object, ...], other: object) -> bool:
    return type(self) is type(other) and tuple.__eq__(self, other)


def _other_event(self: tuple[object, ...], other: object) -> bool:
    return not _same_event(self, other)


def _event_hash(self: tuple[object, ...]) -> int:
    return hash((type(self).__name__, tuple.__hash__(self)))


class OrderAccepted(NamedTuple):
    order_id: str
    participant_id: str
    account_id: str
    side: Side
    price_ticks: int
    quantity: int
    time_in_force: TimeInForce
    sequence: int
    at: datetime


class OrderRejected(NamedTuple):
    order_id: str
    reason: RejectReason
    at: datetime


class CancelRejected(NamedTuple):
    order_id: str
    reason: RejectReason
    at: datetime


class AmendRejected(NamedTuple):
    order_id: str
    reason: RejectReason
    at: datetime


class OrderCancelled(NamedTuple):
    order_id: str
    participant_id: str
    side: Side
    cancelled_quantity: int  # the open quantity that will never trade (unlock this much)
    filled_quantity: int
    reason: CancelReason
    at: datetime


class OrderAmended(NamedTuple):
    order_id: str
    price_ticks: int
    remaining_quantity: int
    quantity_delta: int  # new open quantity minus old: negative unlocks, positive must be locked
    sequence: int
    priority_kept: bool
    at: datetime


class TradeExecuted(NamedTuple):
    trade_seq: int  # per-engine sequence; with the instrument id it identifies the trade
    price_ticks: int
    quantity: int
    buy_order_id: str
    sell_order_id: str
    buyer_participant_id: str
    seller_participant_id: str
    buy_account_id: str
    sell_account_id: str
    aggressor_side: Side | None  # None for trades made by a call auction
    at: datetime


class AuctionCleared(NamedTuple):
    price_ticks: int | None  # None when nothing crossed
    volume: int
    buy_surplus: int  # demand minus supply at the clearing price (negative: sell surplus)
    at: datetime


class PhaseChanged(NamedTuple):
    phase: Phase
    at: datetime


Event = (
    OrderAccepted
    | OrderRejected
    | CancelRejected
    | AmendRejected
    | OrderCancelled
    | OrderAmended
    | TradeExecuted
    | AuctionCleared
    | PhaseChanged
)


for _event_type in (
    OrderAccepted,
    OrderRejected,
    CancelRejected,
    AmendRejected,
    OrderCancelled,
    OrderAmended,
    TradeExecuted,
    AuctionCleared,
    PhaseChanged,
):
    # Set after class creation: a NamedTuple body may only declare fields as far as mypy is
    # concerned, and a plain assignment to a method is refused too.
    setattr(_event_type, "__eq__", _same_event)  # noqa: B010
    setattr(_event_type, "__ne__", _other_event)  # noqa: B010
    setattr(_event_type, "__hash__", _event_hash)  # noqa: B010


# --- Published events ------------------------------------------------------------------------------
# What the exchange records in its outbox after a command (service/messages.py maps each to its
# carbon.trading.v1 event). Named apart from the engine's events above, which stay inside a command.


@dataclass(frozen=True, slots=True)
class InstrumentCreated:
    """-> InstrumentCreated."""

    instrument: Instrument
    mode: str
    idempotency_key: str
    actor_user_id: str
    actor_organization_id: str


@dataclass(frozen=True, slots=True)
class OrderPlaced:
    """-> OrderAccepted: the order rests on (or traded against) the book, its locks taken."""

    order: OrderRecord
    idempotency_key: str
    actor_user_id: str
    actor_organization_id: str


@dataclass(frozen=True, slots=True)
class OrderRefused:
    """-> OrderRejected: recorded for audit; nothing else changed (a registry lock was given back)."""

    order_id: str
    instrument_id: str
    organization_id: str
    side: Side
    price: Decimal
    quantity_t: int
    error_code: str
    reason: str
    message: str
    idempotency_key: str
    actor_user_id: str
    actor_organization_id: str


@dataclass(frozen=True, slots=True)
class TradeBooked:
    """-> TradeExecuted: a trade stored as PENDING settlement, with both orders' new status."""

    trade: TradeRecord
    buy_order_status: str
    sell_order_status: str


@dataclass(frozen=True, slots=True)
class OrderWithdrawn:
    """-> OrderCancelled: by the participant, or by the engine (self-trade, IOC/FOK, day end)."""

    order_id: str
    instrument_id: str
    side: Side
    filled_quantity_t: int
    cancelled_quantity_t: int
    released_cash: Decimal
    actor_user_id: str
    actor_organization_id: str


@dataclass(frozen=True, slots=True)
class AuctionUncrossed:
    """-> AuctionCleared."""

    auction_id: str
    instrument_id: str
    clearing_price: Decimal | None
    cleared_quantity_t: int
    trade_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TenderClosed:
    """-> TenderClosed: the awards (each a trade) and what stayed unsold."""

    tender_id: str
    instrument_id: str
    offered_quantity_t: int
    awarded_quantity_t: int
    reserve_price: Decimal
    awards: tuple[AwardRecord, ...]


@dataclass(frozen=True, slots=True)
class TradeSettled:
    """-> TradeSettled: credits delivered and the seller paid (delivery versus payment)."""

    trade_id: str
    instrument_id: str
    settlement_id: str
    deliveries: tuple[tuple[str, int], ...]
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class ForwardOffered:
    """-> ForwardOffered."""

    forward: ForwardRecord
    idempotency_key: str
    actor_user_id: str
    actor_organization_id: str


@dataclass(frozen=True, slots=True)
class ForwardAccepted:
    """-> ForwardAccepted: the buyer's escrow locked, the prepayment paid to the seller."""

    forward: ForwardRecord
    idempotency_key: str
    actor_user_id: str
    actor_organization_id: str


@dataclass(frozen=True, slots=True)
class ForwardDelivered:
    """-> ForwardDelivered: one delivery settled in the registry and its escrowed cash paid."""

    forward: ForwardRecord
    delivery: ForwardDeliveryRecord


@dataclass(frozen=True, slots=True)
class ForwardFellShort:
    """-> ForwardShortfall: the deadline passed with tonnes undelivered; the escrow went back."""

    forward: ForwardRecord
    undelivered_quantity_t: int
    returned_amount: Decimal


@dataclass(frozen=True, slots=True)
class ForwardCancelled:
    """-> ForwardCancelled: withdrawn, declined, or ended by both parties; the escrow went back."""

    forward: ForwardRecord
    returned_amount: Decimal
    actor_user_id: str
    actor_organization_id: str


PublishedEvent = (
    InstrumentCreated
    | OrderPlaced
    | OrderRefused
    | TradeBooked
    | OrderWithdrawn
    | AuctionUncrossed
    | TenderClosed
    | TradeSettled
    | ForwardOffered
    | ForwardAccepted
    | ForwardDelivered
    | ForwardFellShort
    | ForwardCancelled
)
