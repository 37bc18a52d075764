"""Call auction (itayose) price discovery, as a pure function over aggregated price levels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ClearingPrice:
    price_ticks: int | None  # None when no bid meets an ask
    volume: int
    buy_surplus: int  # demand - supply at the price; the side in surplus keeps resting orders


def find_clearing_price(
    bid_quantity_by_price: Mapping[int, int],
    ask_quantity_by_price: Mapping[int, int],
    reference_price_ticks: int | None,
) -> ClearingPrice:
    """The single price for the whole auction, chosen among the limit prices present:

    1. maximise executed volume min(demand, supply), demand = bids at or above the price and
       supply = asks at or below it;
    2. then minimise the imbalance |demand - supply|, so the fewest orders at the price are rationed;
    3. then the price closest to the reference price (the last price participants saw);
    4. then the lower price, only so that the result is deterministic.
    """
    prices = sorted(set(bid_quantity_by_price) | set(ask_quantity_by_price))
    bid_total = sum(bid_quantity_by_price.values())
    bids_below = 0
    supply = 0
    best_key: tuple[int, int, int] | None = None
    best = ClearingPrice(None, 0, 0)
    for price_ticks in prices:
        supply += ask_quantity_by_price.get(price_ticks, 0)
        demand = bid_total - bids_below
        bids_below += bid_quantity_by_price.get(price_ticks, 0)
        volume = min(demand, supply)
        if volume == 0:
            continue
        distance = 0 if reference_price_ticks is None else abs(price_ticks - reference_price_ticks)
        # Ascending price iteration with a strict ">" keeps the lower price on a full tie.
        key = (volume, -abs(demand - supply), -distance)
        if best_key is None or key > best_key:
            best_key = key
            best = ClearingPrice(price_ticks, volume, demand - supply)
    return best
