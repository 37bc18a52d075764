"""WatchTrades, WatchOrderBook: subscribe to an instrument's live public market data.

Market data is public (the exchange publishes prices as carbon-pricing signals, DOMAIN.md §9), so
anyone may subscribe; an unknown instrument is NOT_FOUND. Called off the event loop: it may wait for
the instrument's lock while a command is matching.
"""

from __future__ import annotations

import asyncio

from services.trading.adapters import repository as repo
from services.trading.service.context import TradingContext
from services.trading.service.market_feed import BookUpdate, FeedSubscription, book_update


def watch_trades(
    ctx: TradingContext, instrument_id: str, loop: asyncio.AbstractEventLoop
) -> FeedSubscription[repo.TradeRecord]:
    ctx.market(instrument_id)
    return ctx.feed.trades.subscribe(instrument_id, loop)


def watch_book(
    ctx: TradingContext, instrument_id: str, loop: asyncio.AbstractEventLoop
) -> tuple[FeedSubscription[BookUpdate], BookUpdate]:
    """The book as it is now and the updates after it. Changes are published under the instrument's
    lock, so taking both under it means no change is missed or delivered twice."""
    market = ctx.market(instrument_id)
    with market.lock:
        subscription = ctx.feed.books.subscribe(instrument_id, loop)
        current = book_update(instrument_id, market.journal_length, market.engine, market.tape, ctx.now())
    return subscription, current
