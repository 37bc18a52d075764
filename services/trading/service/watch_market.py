"""WatchTrades, WatchOrderBook: subscribe to an instrument's live public market data.

Market data is public (the exchange publishes prices as carbon-pricing signals, DOMAIN.md §9), so
anyone may subscribe; an unknown instrument is NOT_FOUND. Called off the event loop: it may wait for
the instrument's lock while a command is matching.
"""

from __future__ import annotations

import asyncio

from services.trading.domain.records import TradeRecord
from services.trading.service.market_feed import BookUpdate, FeedSubscription, book_update
from services.trading.service.markets import Markets


def watch_trades(
    markets: Markets, instrument_id: str, loop: asyncio.AbstractEventLoop
) -> FeedSubscription[TradeRecord]:
    markets.get(instrument_id)
    return markets.feed.trades.subscribe(instrument_id, loop)


def watch_book(
    markets: Markets, instrument_id: str, loop: asyncio.AbstractEventLoop
) -> tuple[FeedSubscription[BookUpdate], BookUpdate]:
    """The book as it is now and the updates after it. Changes are published under the instrument's
    lock, so taking both under it means no change is missed or delivered twice."""
    market = markets.get(instrument_id)
    with market.lock:
        subscription = markets.feed.books.subscribe(instrument_id, loop)
        current = book_update(instrument_id, market.journal_length, market.engine, market.tape, markets.clock.now())
    return subscription, current
