"""Subscription: live public market data, pushed after the change has committed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry

from carbon_runtime.errors import invalid
from carbon_runtime.transport.blocking import in_thread
from services.trading.entrypoints.graphql.mappers import Info, app_of
from services.trading.entrypoints.graphql.types import BookUpdate, Trade
from services.trading.service.market_feed import MAX_BOOK_DEPTH
from services.trading.service.watch_market import watch_book, watch_trades


@strawberry.type
class Subscription:
    """Public market data (anonymous access): pushed after the change has committed. A subscriber
    that falls too far behind is dropped with UNAVAILABLE / SUBSCRIBER_TOO_SLOW."""

    @strawberry.subscription(description="Each trade executed on the instrument (exchange and tender), as it executes.")
    async def trades(self, info: Info, instrument_id: strawberry.ID) -> AsyncGenerator[Trade, None]:
        markets = app_of(info).markets
        loop = asyncio.get_running_loop()
        # The instrument lock may be held by a matching command: never wait for it on the event loop.
        subscription = await in_thread(watch_trades, markets, str(instrument_id), loop)
        try:
            async for record in subscription:
                yield Trade.from_record(record)
        finally:
            subscription.close()

    @strawberry.subscription(
        description=f"The book now, then after every change: best bid/ask, `depth` levels (1-{MAX_BOOK_DEPTH}) "
        "per side and last price."
    )
    async def order_book(
        self, info: Info, instrument_id: strawberry.ID, depth: int = 5
    ) -> AsyncGenerator[BookUpdate, None]:
        if not 1 <= depth <= MAX_BOOK_DEPTH:
            raise invalid("DEPTH_OUT_OF_RANGE", f"depth must be between 1 and {MAX_BOOK_DEPTH}", depth=depth)
        markets = app_of(info).markets
        loop = asyncio.get_running_loop()
        subscription, current = await in_thread(watch_book, markets, str(instrument_id), loop)
        try:
            yield BookUpdate.from_snapshot(current, depth)
            async for update in subscription:
                yield BookUpdate.from_snapshot(update, depth)
        finally:
            subscription.close()
