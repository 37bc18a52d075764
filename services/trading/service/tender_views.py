"""A tender as callers see it: bids stay sealed (only their count) until it closes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from services.trading.domain.records import AwardRecord, TenderRecord
from services.trading.domain.tender import Tender


@dataclass(frozen=True, slots=True)
class TenderView:
    tender_id: str
    instrument_id: str
    seller_organization_id: str
    offered_quantity_t: int
    minimum_price: Decimal
    closes_at: datetime
    status: str
    bid_count: int
    sold_quantity_t: int | None
    average_winning_price: Decimal | None
    awards: list[AwardRecord] | None


@dataclass(frozen=True, slots=True)
class BidView:
    bid_id: str
    tender_id: str
    price: Decimal
    quantity_t: int


def sealed_book(record: TenderRecord, currency: str = "JPY") -> Tender:
    """The domain tender with its stored bids: replaying them rebuilds the same sealed book.
    `currency` is the instrument's: the average winning price is rounded to its minor unit."""
    tender = Tender(
        record.tender_id, record.offered_quantity_t, record.minimum_price, record.closes_at, record.tick_size, currency
    )
    for b in record.bids:
        tender.submit_bid(b.bid_id, b.organization_id, b.price, b.quantity_t, b.submitted_at)
    return tender


def tender_view(record: TenderRecord) -> TenderView:
    result = record.result
    return TenderView(
        tender_id=record.tender_id,
        instrument_id=record.instrument_id,
        seller_organization_id=record.seller_organization_id,
        offered_quantity_t=record.offered_quantity_t,
        minimum_price=record.minimum_price,
        closes_at=record.closes_at,
        status=record.status,
        bid_count=len(record.bids),
        sold_quantity_t=result.sold_quantity_t if result else None,
        average_winning_price=result.average_winning_price if result else None,
        awards=list(result.awards) if result else None,
    )
