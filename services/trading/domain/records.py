"""The exchange's stored state as plain values: instruments, orders, trades, cash, owed unlocks,
tenders. Repositories return them; handlers return them (so an idempotent replay can answer the
stored result) and the entrypoints map them to GraphQL and protobuf. Prices and cash are Decimal,
quantities whole tonnes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from services.trading.domain.instruments import Instrument
from services.trading.domain.orders import Side, TimeInForce


def money(value: Decimal) -> str:
    # Canonical text without exponent, so "1E+3" is never stored or published for 1000.
    return format(value, "f")


@dataclass(frozen=True, slots=True)
class CashRecord:
    organization_id: str
    currency: str
    available: Decimal
    locked: Decimal


@dataclass(frozen=True, slots=True)
class OrderRecord:
    order_id: str
    instrument_id: str
    organization_id: str
    account_id: str
    side: Side
    price: Decimal
    quantity_t: int
    filled_quantity_t: int
    status: str  # OPEN, PARTIALLY_FILLED, FILLED, CANCELLED, REJECTED
    time_in_force: TimeInForce
    locked_cash: Decimal
    lock_id: str
    created_at: datetime

    @property
    def remaining_t(self) -> int:
        return self.quantity_t - self.filled_quantity_t


@dataclass(frozen=True, slots=True)
class TradeRecord:
    trade_id: str
    instrument_id: str
    source: str  # EXCHANGE or TENDER
    engine_seq: int | None
    price: Decimal
    price_ticks: int
    quantity_t: int
    amount: Decimal
    currency: str
    buy_order_id: str
    sell_order_id: str
    sell_lock_id: str
    buyer_organization_id: str
    seller_organization_id: str
    buyer_account_id: str
    seller_account_id: str
    aggressor_side: Side | None
    settlement_state: str  # PENDING or SETTLED
    settlement_id: str | None
    delivered_batch_id: str | None
    deliveries: tuple[tuple[str, int], ...]  # (batch id, tonnes), once settled
    executed_at: datetime
    settled_at: datetime | None

    @property
    def settled(self) -> bool:
        return self.settlement_state == "SETTLED"


@dataclass(frozen=True, slots=True)
class UnlockRecord:
    """Tonnes the exchange owes back to a registry lock (cancelled sells, refused orders, unsold tenders)."""

    unlock_id: str
    lock_id: str
    quantity_t: int


@dataclass(frozen=True, slots=True)
class BidRecord:
    bid_id: str
    organization_id: str
    account_id: str
    price: Decimal
    quantity_t: int
    sequence: int
    locked_cash: Decimal
    submitted_at: datetime


@dataclass(frozen=True, slots=True)
class AwardRecord:
    bid_id: str
    organization_id: str
    price: Decimal
    quantity_t: int
    trade_id: str


@dataclass(frozen=True, slots=True)
class TenderResultRecord:
    sold_quantity_t: int
    average_winning_price: Decimal | None
    awards: tuple[AwardRecord, ...]


@dataclass(frozen=True, slots=True)
class TenderRecord:
    tender_id: str
    instrument_id: str
    seller_organization_id: str
    seller_account_id: str
    offered_quantity_t: int
    minimum_price: Decimal
    closes_at: datetime
    status: str  # OPEN or CLOSED
    tick_size: Decimal  # the instrument's, which the sealed book checks bid prices against
    bids: tuple[BidRecord, ...]  # in submission order
    result: TenderResultRecord | None


@dataclass(frozen=True, slots=True)
class OtcReportRecord:
    report_id: str
    instrument_id: str
    seller_organization_id: str
    seller_account_id: str
    buyer_account_id: str
    batch_id: str | None
    price: Decimal
    quantity_t: int
    settled_in_registry: bool
    transfer_id: str | None
    traded_at: datetime
    reported_at: datetime


@dataclass(frozen=True, slots=True)
class ListedInstrument:
    """An instrument as callers see it (its session schedule stays inside the exchange)."""

    instrument: Instrument
    mode: str
    created_at: datetime
