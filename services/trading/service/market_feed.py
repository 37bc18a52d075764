"""Live public market data: executed trades and order-book changes, pushed to subscribers in-process.

Published only after the transaction that made the change has committed, so a subscriber never
sees a trade or a book that a rollback later takes back. Publishing never waits for a subscriber:
each has a bounded queue, and one that falls `queue_capacity` items behind is dropped (its stream
ends with UNAVAILABLE / SUBSCRIBER_TOO_SLOW and it resubscribes for a fresh snapshot) instead of
slowing the matching engine. Publishers run on any thread (GraphQL, gRPC workers, the session
worker); each subscriber is consumed on its own asyncio event loop.

The hub lives in one process: a subscriber sees the changes made by the instance it is connected to,
which owns the instruments' engines (see markets.py).
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Generic, TypeVar

from carbon_runtime.errors import DomainError, ErrorCode
from services.trading.domain.engine import Engine
from services.trading.domain.market_data import DepthLevel, TradeTape, quote
from services.trading.domain.records import TradeRecord

T = TypeVar("T")

# Levels per side kept in a published book; a subscriber asks for up to this many.
MAX_BOOK_DEPTH = 20


@dataclass(frozen=True, slots=True)
class BookUpdate:
    """The public state of one instrument's book right after a committed change."""

    instrument_id: str
    sequence: int  # the instrument's journal length: grows with every change, orders the updates
    phase: str
    best_bid: Decimal | None
    best_ask: Decimal | None
    bids: tuple[DepthLevel, ...]  # best first, at most MAX_BOOK_DEPTH levels
    asks: tuple[DepthLevel, ...]
    last_price: Decimal | None
    at: datetime


def book_update(instrument_id: str, sequence: int, engine: Engine, tape: TradeTape, at: datetime) -> BookUpdate:
    """Snapshot of the book; the caller holds the instrument's lock."""
    q = quote(engine, MAX_BOOK_DEPTH)
    return BookUpdate(
        instrument_id=instrument_id,
        sequence=sequence,
        phase=engine.phase.value,
        best_bid=q.best_bid,
        best_ask=q.best_ask,
        bids=q.bids,
        asks=q.asks,
        last_price=tape.last_price(),
        at=at,
    )


class _State(Enum):
    OPEN = "OPEN"
    DROPPED = "DROPPED"  # fell too far behind; the consumer is told so
    CLOSED = "CLOSED"  # the consumer went away


def subscriber_too_slow() -> DomainError:
    return DomainError(
        ErrorCode.UNAVAILABLE,
        "SUBSCRIBER_TOO_SLOW",
        "this subscription fell too far behind the market and was dropped; subscribe again",
    )


class FeedSubscription(Generic[T]):
    """One subscriber's bounded queue. `offer` is called by publishers on any thread and never
    blocks; iteration happens on the subscriber's event loop."""

    def __init__(self, hub: FeedHub[T], key: str, capacity: int, loop: asyncio.AbstractEventLoop) -> None:
        self.key = key
        self._hub = hub
        self._capacity = capacity
        self._loop = loop
        self._items: deque[T] = deque()
        self._lock = threading.Lock()
        self._state = _State.OPEN
        self._ready = asyncio.Event()

    @property
    def dropped(self) -> bool:
        return self._state is _State.DROPPED

    def offer(self, item: T) -> bool:
        """Queue an item; False when this subscriber is gone (dropped now or before)."""
        with self._lock:
            if self._state is not _State.OPEN:
                return False
            if len(self._items) >= self._capacity:
                self._state = _State.DROPPED
                self._items.clear()
            else:
                self._items.append(item)
                if len(self._items) > 1:
                    return True  # the consumer has not drained the earlier item yet: already woken
        try:
            self._loop.call_soon_threadsafe(self._ready.set)
        except RuntimeError:  # the subscriber's event loop is closed: nobody will read this queue
            self.close()
            return False
        return self._state is _State.OPEN

    async def next(self) -> T:
        while True:
            with self._lock:
                if self._items:
                    return self._items.popleft()
                if self._state is _State.DROPPED:
                    raise subscriber_too_slow()
                if self._state is _State.CLOSED:
                    raise StopAsyncIteration
                self._ready.clear()
            await self._ready.wait()

    def __aiter__(self) -> AsyncIterator[T]:
        return self

    async def __anext__(self) -> T:
        return await self.next()

    def close(self) -> None:
        with self._lock:
            if self._state is _State.OPEN:
                self._state = _State.CLOSED
            self._items.clear()
        self._hub.remove(self)


class FeedHub(Generic[T]):
    """Subscribers by key (instrument id) for one kind of item."""

    def __init__(self, capacity: int, limiter: SubscriberLimit) -> None:
        self._capacity = capacity
        self._limit = limiter
        self._subscribers: dict[str, set[FeedSubscription[T]]] = {}
        self._lock = threading.Lock()

    def subscribe(self, key: str, loop: asyncio.AbstractEventLoop) -> FeedSubscription[T]:
        subscription = FeedSubscription(self, key, self._capacity, loop)
        with self._lock:
            self._limit.take()
            self._subscribers.setdefault(key, set()).add(subscription)
        return subscription

    def remove(self, subscription: FeedSubscription[T]) -> None:
        with self._lock:
            subscribers = self._subscribers.get(subscription.key)
            if subscribers is None or subscription not in subscribers:
                return
            subscribers.discard(subscription)
            if not subscribers:
                del self._subscribers[subscription.key]
            self._limit.give_back()

    def has_subscribers(self, key: str) -> bool:
        return key in self._subscribers

    def subscriber_count(self, key: str) -> int:
        with self._lock:
            return len(self._subscribers.get(key, ()))

    def publish(self, key: str, item: T) -> None:
        with self._lock:
            subscribers = tuple(self._subscribers.get(key, ()))
        for subscription in subscribers:
            if not subscription.offer(item):
                self.remove(subscription)


class SubscriberLimit:
    """Caps the subscribers of a whole process, so subscriptions cannot exhaust its memory."""

    def __init__(self, max_subscribers: int) -> None:
        self.max_subscribers = max_subscribers
        self._count = 0
        self._lock = threading.Lock()

    def take(self) -> None:
        with self._lock:
            if self._count >= self.max_subscribers:
                raise DomainError(
                    ErrorCode.UNAVAILABLE,
                    "TOO_MANY_SUBSCRIBERS",
                    f"this trading instance serves at most {self.max_subscribers} subscriptions; retry later",
                )
            self._count += 1

    def give_back(self) -> None:
        with self._lock:
            self._count -= 1


class MarketFeed:
    """The trade and book hubs of one trading process."""

    def __init__(self, *, queue_capacity: int = 256, max_subscribers: int = 1000) -> None:
        limit = SubscriberLimit(max_subscribers)
        self.trades: FeedHub[TradeRecord] = FeedHub(queue_capacity, limit)
        self.books: FeedHub[BookUpdate] = FeedHub(queue_capacity, limit)

    def publish_trades(self, instrument_id: str, trades: list[TradeRecord]) -> None:
        for trade in trades:
            self.trades.publish(instrument_id, trade)
