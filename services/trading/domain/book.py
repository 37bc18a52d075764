"""The limit order book of one instrument: price levels holding FIFO queues of resting orders.

Layout chosen for the matching hot path:
- a dict price_ticks -> Level per side gives O(1) access to a level;
- a sorted list of the live level prices per side (ascending on both sides: the best ask is the
  first, the best bid the last) gives the best price by indexing, and a level is added or removed
  with a bisect and a C-level insert/delete. The book always has exactly the live levels in it, so
  "does this order cross?" is one comparison with the first (last) price;
- each level is a deque of orders in time priority; a cancelled order is only marked dead
  (remaining 0) and skipped when it reaches the head, so cancelling by order id is O(1) through
  `orders` (which also remembers every id ever accepted, for duplicate detection). A level counts
  its live orders, so it is removed the moment its last one goes;
- open quantities per level are not kept on the hot path (one fewer update per fill, rest and
  cancel); `open_quantity` adds them up for the rare reader (depth, the call auction).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterator

from services.trading.domain.orders import Order, Side


class Level(deque[Order]):
    """Orders at one price in time priority, dead entries included; `live` counts the others.

    No __init__ of its own: a deque subclass that calls deque.__init__ costs about 4x more to make,
    and a level is made for every order that opens a price. Make one with `new_level`."""

    __slots__ = ("live",)
    live: int

    def open_quantity(self) -> int:
        return sum(order.remaining_quantity for order in self)


def new_level(first: Order) -> Level:
    level = Level((first,))
    level.live = 1
    return level


class BookSide:
    __slots__ = ("is_buy", "levels", "prices")

    def __init__(self, side: Side) -> None:
        self.is_buy = side is Side.BUY
        self.levels: dict[int, Level] = {}
        self.prices: list[int] = []  # live level prices, ascending on both sides

    def best_ticks(self) -> int | None:
        prices = self.prices
        if not prices:
            return None
        return prices[-1] if self.is_buy else prices[0]

    def add_level(self, price_ticks: int, first: Order) -> None:
        self.levels[price_ticks] = new_level(first)
        insort(self.prices, price_ticks)

    def drop_level(self, price_ticks: int) -> None:
        del self.levels[price_ticks]
        prices = self.prices
        del prices[bisect_left(prices, price_ticks)]

    def prices_in_priority(self) -> list[int]:
        return self.prices[::-1] if self.is_buy else self.prices[:]

    def orders_in_priority(self) -> Iterator[Order]:
        """Live orders, best price first and then oldest first."""
        for price_ticks in self.prices_in_priority():
            level = self.levels.get(price_ticks)
            if level is None:
                continue
            for order in level:
                if order.remaining_quantity:
                    yield order

    def depth(self, max_levels: int) -> list[tuple[int, int, int]]:
        """(price_ticks, open quantity, order count) for the best `max_levels` levels."""
        out: list[tuple[int, int, int]] = []
        for price_ticks in self.prices_in_priority()[:max_levels]:
            level = self.levels[price_ticks]
            out.append((price_ticks, level.open_quantity(), level.live))
        return out


class OrderBook:
    __slots__ = ("asks", "bids", "orders")

    def __init__(self) -> None:
        self.bids = BookSide(Side.BUY)
        self.asks = BookSide(Side.SELL)
        # Every order id this book has accepted: the resting order, or None once it has left the
        # book. One table answers both "is this id taken?" (duplicates are refused for good) and
        # "which order is this?", so accepting an order costs one hash insertion, not two.
        self.orders: dict[str, Order | None] = {}

    def side(self, side: Side) -> BookSide:
        return self.bids if side is Side.BUY else self.asks

    def rest(self, order: Order) -> None:
        book_side = self.bids if order.side is Side.BUY else self.asks
        level = book_side.levels.get(order.price_ticks)
        if level is None:
            book_side.add_level(order.price_ticks, order)
        else:
            level.append(order)
            level.live += 1
        self.orders[order.order_id] = order

    def unlink(self, order: Order) -> int:
        """Take a resting order out of the book; returns the open quantity it had."""
        book_side = self.bids if order.side is Side.BUY else self.asks
        level = book_side.levels[order.price_ticks]
        open_quantity = order.remaining_quantity
        order.remaining_quantity = 0  # dead: skipped when it reaches the head of the queue
        self.orders[order.order_id] = None
        level.live -= 1
        if not level.live:
            book_side.drop_level(order.price_ticks)
        return open_quantity

    def reduce(self, order: Order, by_quantity: int) -> None:
        """Lower a resting order's open quantity in place (a fill, or an amendment that keeps priority)."""
        order.remaining_quantity -= by_quantity
        if order.remaining_quantity == 0:
            book_side = self.bids if order.side is Side.BUY else self.asks
            level = book_side.levels[order.price_ticks]
            self.orders[order.order_id] = None
            level.live -= 1
            if not level.live:
                book_side.drop_level(order.price_ticks)

    def best_bid_ticks(self) -> int | None:
        return self.bids.best_ticks()

    def best_ask_ticks(self) -> int | None:
        return self.asks.best_ticks()
