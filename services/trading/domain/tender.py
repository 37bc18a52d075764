"""Sealed-bid tender, as the government sells J-Credits (DOMAIN.md §9).

Rules:
- The seller offers a quantity with a minimum (reserve) price; bids below it are refused.
- Bids stay sealed: nobody, the seller included, can read them before the tender closes.
- At close, bids are filled from the highest price down; equal prices are filled in the order
  they were submitted. The marginal bid may be filled in part (the offered tonnes run out).
- Pay-as-bid: each winner pays its own price, not a uniform clearing price.
- The published average winning price is rounded (half-even) to the currency's minor unit (ISO 4217:
  whole yen for JPY, cents for USD): proceeds / tonnes is usually a repeating fraction, and a price
  nobody can pay (1833.333… yen) is not a price signal (issue 13 item 9). Proceeds and awards stay
  exact, being sums of prices the bidders named.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from carbon_runtime.errors import conflict, invalid, precondition

#: ISO 4217 minor units (digits after the decimal point) of currencies that differ from the usual 2.
_MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(("JPY", "KRW", "CLP", "ISK", "VND"), 0),
    **dict.fromkeys(("BHD", "KWD", "JOD", "OMR"), 3),
}


def minor_unit_exponent(currency: str) -> int:
    """Digits after the decimal point of the currency's minor unit (ISO 4217); 2 unless listed."""
    return _MINOR_UNITS.get(currency.upper(), 2)


def round_to_minor_unit(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded half-even to the currency's minor unit: 1833.33… JPY -> 1833, USD -> 12.35."""
    return amount.quantize(Decimal(1).scaleb(-minor_unit_exponent(currency)), rounding=ROUND_HALF_EVEN)


class TenderStatus(enum.StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


@dataclass(frozen=True, slots=True)
class Bid:
    bid_id: str
    bidder_id: str
    price: Decimal
    quantity_t: int
    submitted_at: datetime
    sequence: int  # submission order: the tie-break between equal prices


@dataclass(frozen=True, slots=True)
class Award:
    bid_id: str
    bidder_id: str
    price: Decimal  # pay-as-bid: the bid's own price
    quantity_t: int
    amount: Decimal  # price x quantity_t, what the winner pays


@dataclass(frozen=True, slots=True)
class TenderResult:
    tender_id: str
    offered_quantity_t: int
    bid_quantity_t: int
    sold_quantity_t: int
    unsold_quantity_t: int
    proceeds: Decimal
    # volume-weighted (proceeds / sold tonnes), rounded to the currency's minor unit
    average_winning_price: Decimal | None
    median_winning_price: Decimal | None  # median of the winning bids' prices, one per bid
    highest_winning_price: Decimal | None
    lowest_winning_price: Decimal | None
    bidder_count: int
    winner_count: int
    awards: tuple[Award, ...]


class Tender:
    def __init__(
        self,
        tender_id: str,
        offered_quantity_t: int,
        minimum_price: Decimal,
        closes_at: datetime,
        tick_size: Decimal = Decimal("1"),
        currency: str = "JPY",
    ) -> None:
        if offered_quantity_t < 1:
            raise invalid("QUANTITY_NOT_POSITIVE", "a tender must offer at least one tonne")
        if not minimum_price.is_finite() or minimum_price <= 0:
            raise invalid("PRICE_NOT_POSITIVE", "the minimum price must be positive")
        if closes_at.tzinfo is None:
            raise invalid("NAIVE_DATETIME", "closes_at must carry a time zone")
        self.tender_id = tender_id
        self.offered_quantity_t = offered_quantity_t
        self.minimum_price = minimum_price
        self.closes_at = closes_at
        self.tick_size = tick_size
        self.currency = currency
        self._bids: list[Bid] = []
        self._bid_ids: set[str] = set()
        self._result: TenderResult | None = None

    @property
    def status(self) -> TenderStatus:
        return TenderStatus.OPEN if self._result is None else TenderStatus.CLOSED

    @property
    def bid_count(self) -> int:
        """How many bids arrived: public while open, unlike the bids themselves."""
        return len(self._bids)

    def submit_bid(self, bid_id: str, bidder_id: str, price: Decimal, quantity_t: int, at: datetime) -> Bid:
        if self._result is not None or at >= self.closes_at:
            raise precondition("TENDER_CLOSED", "the tender no longer accepts bids", tender_id=self.tender_id)
        if bid_id in self._bid_ids:
            raise conflict("DUPLICATE_BID_ID", "a bid with this id was already submitted", bid_id=bid_id)
        if quantity_t < 1:
            raise invalid("QUANTITY_NOT_POSITIVE", "a bid must be for at least one tonne")
        if not price.is_finite() or price % self.tick_size != 0:
            raise invalid("PRICE_NOT_ON_TICK", f"price must be a multiple of {self.tick_size}")
        if price < self.minimum_price:
            raise invalid(
                "BID_BELOW_MINIMUM_PRICE",
                f"bids must be at least the minimum price {self.minimum_price}",
                price=str(price),
            )
        bid = Bid(bid_id, bidder_id, price, quantity_t, at, len(self._bids) + 1)
        self._bids.append(bid)
        self._bid_ids.add(bid_id)
        return bid

    def bids(self) -> list[Bid]:
        """The bids, only once the tender has closed: sealed bids must not leak to anyone."""
        if self._result is None:
            raise precondition("TENDER_NOT_CLOSED", "bids are sealed until the tender closes")
        return list(self._bids)

    @property
    def result(self) -> TenderResult:
        if self._result is None:
            raise precondition("TENDER_NOT_CLOSED", "results exist only once the tender has closed")
        return self._result

    def close(self, at: datetime) -> TenderResult:
        if self._result is not None:
            raise precondition("TENDER_CLOSED", "the tender was already closed")
        if at < self.closes_at:
            raise precondition("TENDER_STILL_OPEN", "the tender cannot close before its closing time")
        ranked = sorted(self._bids, key=lambda bid: (-bid.price, bid.sequence))
        left_t = self.offered_quantity_t
        awards: list[Award] = []
        for bid in ranked:
            if left_t == 0:
                break
            quantity_t = min(bid.quantity_t, left_t)
            left_t -= quantity_t
            awards.append(Award(bid.bid_id, bid.bidder_id, bid.price, quantity_t, bid.price * quantity_t))
        sold_t = self.offered_quantity_t - left_t
        proceeds = sum((award.amount for award in awards), Decimal(0))
        prices = sorted(award.price for award in awards)
        self._result = TenderResult(
            tender_id=self.tender_id,
            offered_quantity_t=self.offered_quantity_t,
            bid_quantity_t=sum(bid.quantity_t for bid in self._bids),
            sold_quantity_t=sold_t,
            unsold_quantity_t=left_t,
            proceeds=proceeds,
            average_winning_price=round_to_minor_unit(proceeds / sold_t, self.currency) if sold_t else None,
            median_winning_price=_median(prices),
            highest_winning_price=prices[-1] if prices else None,
            lowest_winning_price=prices[0] if prices else None,
            bidder_count=len({bid.bidder_id for bid in self._bids}),
            winner_count=len({award.bidder_id for award in awards}),
            awards=tuple(awards),
        )
        return self._result


def _median(sorted_prices: list[Decimal]) -> Decimal | None:
    if not sorted_prices:
        return None
    middle = len(sorted_prices) // 2
    if len(sorted_prices) % 2:
        return sorted_prices[middle]
    return (sorted_prices[middle - 1] + sorted_prices[middle]) / 2
