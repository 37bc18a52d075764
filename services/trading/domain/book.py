"""The limit order book of one instrument: price levels holding FIFO queues of resting orders.

Layout chosen for the matching hot path:
- a dict price_ticks -> Level per side gives O(1) access to a level;
- a heap of level prices per side gives the best price in O(log n) (bids are stored negated so
  both heaps are min-heaps); a price enters the heap once, and an emptied level stays in it until it
  surfaces at the top (lazy deletion), so removing a level costs nothing up front;
- each level holds a deque in time priority; a cancelled order is only marked dead (remaining 0)
  and skipped when it reaches the head, so cancelling by order id is O(1) through `orders`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from heapq import heappop, heappush

from services.trading.domain.orders import Order, Side


class Level:
    __slots__ = ("open_quantity", "order_count", "orders", "price_ticks")

    def __init__(self, price_ticks: int) -> None:
        self.price_ticks = price_ticks
        self.orders: deque[Order] = deque()
        # Live totals, so depth and emptiness never need a walk over dead queue entries.
        self.open_quantity = 0
        self.order_count = 0


class BookSide:
    __slots__ = ("heap", "in_heap", "is_buy", "levels", "sign")

    def __init__(self, side: Side) -> None:
        self.is_buy = side is Side.BUY
        self.sign = -1 if self.is_buy else 1
        self.levels: dict[int, Level] = {}
        self.heap: list[int] = []
        # Prices currently in `heap`: keeps at most one heap entry per price whatever the churn.
        self.in_heap: set[int] = set()

    def best_level(self) -> Level | None:
        heap = self.heap
        levels = self.levels
        sign = self.sign
        while heap:
            level = levels.get(heap[0] * sign)
            if level is not None:
                return level
            self.in_heap.discard(heappop(heap) * sign)
        return None

    def level_for_insert(self, price_ticks: int) -> Level:
        level = self.levels.get(price_ticks)
        if level is None:
            level = Level(price_ticks)
            self.levels[price_ticks] = level
            if price_ticks not in self.in_heap:
                self.in_heap.add(price_ticks)
                heappush(self.heap, price_ticks * self.sign)
        return level

    def prices_in_priority(self) -> list[int]:
        return sorted(self.levels, reverse=self.is_buy)

    def orders_in_priority(self) -> Iterator[Order]:
        """Live orders, best price first and then oldest first."""
        for price_ticks in self.prices_in_priority():
            level = self.levels.get(price_ticks)
            if level is None:
                continue
            for order in level.orders:
                if order.remaining_quantity:
                    yield order

    def depth(self, max_levels: int) -> list[tuple[int, int, int]]:
        """(price_ticks, open quantity, order count) for the best `max_levels` levels."""
        out: list[tuple[int, int, int]] = []
        for price_ticks in self.prices_in_priority()[:max_levels]:
            level = self.levels[price_ticks]
            out.append((price_ticks, level.open_quantity, level.order_count))
        return out


class OrderBook:
    __slots__ = ("asks", "bids", "orders")

    def __init__(self) -> None:
        self.bids = BookSide(Side.BUY)
        self.asks = BookSide(Side.SELL)
        self.orders: dict[str, Order] = {}

    def side(self, side: Side) -> BookSide:
        return self.bids if side is Side.BUY else self.asks

    def rest(self, order: Order) -> None:
        level = (self.bids if order.side is Side.BUY else self.asks).level_for_insert(order.price_ticks)
        level.orders.append(order)
        level.open_quantity += order.remaining_quantity
        level.order_count += 1
        self.orders[order.order_id] = order

    def unlink(self, order: Order) -> int:
        """Take a resting order out of the book; returns the open quantity it had."""
        book_side = self.bids if order.side is Side.BUY else self.asks
        level = book_side.levels[order.price_ticks]
        open_quantity = order.remaining_quantity
        level.open_quantity -= open_quantity
        level.order_count -= 1
        order.remaining_quantity = 0  # dead: skipped when it reaches the head of the queue
        del self.orders[order.order_id]
        if level.order_count == 0:
            del book_side.levels[order.price_ticks]
        return open_quantity

    def reduce(self, order: Order, by_quantity: int) -> None:
        """Lower a resting order's open quantity in place (a fill, or an amendment that keeps priority)."""
        book_side = self.bids if order.side is Side.BUY else self.asks
        level = book_side.levels[order.price_ticks]
        order.remaining_quantity -= by_quantity
        level.open_quantity -= by_quantity
        if order.remaining_quantity == 0:
            level.order_count -= 1
            del self.orders[order.order_id]
            if level.order_count == 0:
                del book_side.levels[order.price_ticks]

    def best_bid_ticks(self) -> int | None:
        level = self.bids.best_level()
        return None if level is None else level.price_ticks

    def best_ask_ticks(self) -> int | None:
        level = self.asks.best_level()
        return None if level is None else level.price_ticks
