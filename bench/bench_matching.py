"""Matching-engine throughput: our engine vs `pyorderbook` (PyPI) vs a minimal dict + deque book.

One seeded random message stream (limit orders priced ±50 ticks around 10,000, 1-10 t, plus
cancels of earlier orders) goes through each book; we report messages per second. Our engine runs
with every feature on: price limits, a session schedule, self-trade prevention, the journal and
events. `run(quick)` returns the results; `python bench/bench_matching.py [--quick]` prints JSON.
"""

from __future__ import annotations

import heapq
import importlib
import json
import platform
import random
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import time as time_of_day
from decimal import Decimal
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.trading.domain.engine import Engine
from services.trading.domain.events import Phase
from services.trading.domain.instruments import Instrument, PriceLimit, PriceLimitKind
from services.trading.domain.orders import CancelOrder, PlaceOrder, Side, TimeInForce
from services.trading.domain.session import JST, ManualClock, SessionSchedule, SessionStep

MID_TICKS = 10_000
SPREAD_TICKS = 50
PARTICIPANTS = 200
CANCEL_SHARE = 0.2
SEED = 20240331


@dataclass(frozen=True, slots=True)
class Message:
    cancel: bool
    order_id: str
    participant_id: str
    is_buy: bool
    price_ticks: int
    quantity: int


def make_stream(count: int, seed: int = SEED) -> list[Message]:
    rng = random.Random(seed)
    messages: list[Message] = []
    placed: list[str] = []
    for n in range(count):
        if placed and rng.random() < CANCEL_SHARE:
            messages.append(Message(True, rng.choice(placed), "", False, 0, 0))
            continue
        order_id = f"o{n}"
        placed.append(order_id)
        messages.append(
            Message(
                False,
                order_id,
                f"p{rng.randrange(PARTICIPANTS)}",
                rng.random() < 0.5,
                MID_TICKS + rng.randint(-SPREAD_TICKS, SPREAD_TICKS),
                rng.randint(1, 10),
            )
        )
    return messages


# --- (a) our engine ----------------------------------------------------------------------------------


def run_ours(stream: list[Message]) -> tuple[float, int]:
    instrument = Instrument(
        id="JCR-ES",
        name="J-Credit energy saving",
        currency="JPY",
        reference_price=Decimal(MID_TICKS),
        price_limit=PriceLimit(PriceLimitKind.PERCENT, Decimal(10)),
    )
    clock = ManualClock(datetime(2024, 4, 1, 10, 0, tzinfo=JST))
    schedule = SessionSchedule(steps=(SessionStep(time_of_day(0, 0), Phase.CONTINUOUS),))
    engine = Engine(instrument, clock, schedule)
    commands = [
        CancelOrder(m.order_id, "")
        if m.cancel
        else PlaceOrder(
            m.order_id,
            m.participant_id,
            "acct-" + m.participant_id,
            Side.BUY if m.is_buy else Side.SELL,
            m.price_ticks,
            m.quantity,
            TimeInForce.GTC,
        )
        for m in stream
    ]
    handle = engine.handle
    started = time.perf_counter()
    for command in commands:
        handle(command)
    return time.perf_counter() - started, engine.trades_executed


# --- (b) pyorderbook -----------------------------------------------------------------------------------


def run_pyorderbook(stream: list[Message]) -> tuple[float, int]:
    import logging

    # Imported by name: pyorderbook ships no type information, so it is used as Any.
    pyorderbook: Any = importlib.import_module("pyorderbook")

    # pyorderbook logs every order at DEBUG; keep its logger quiet so we time matching, not I/O.
    logging.getLogger("pyorderbook").setLevel(logging.WARNING)
    logging.getLogger("pyorderbook.book").setLevel(logging.WARNING)
    book = pyorderbook.Book()
    # Its Order takes a float price and converts through str to Decimal; built before timing.
    orders: dict[str, Any] = {}
    prepared: list[tuple[bool, Any]] = []
    for m in stream:
        if m.cancel:
            prepared.append((True, m.order_id))
        else:
            side = pyorderbook.Side.BID if m.is_buy else pyorderbook.Side.ASK
            order = pyorderbook.Order(side, "JCR-ES", m.price_ticks, m.quantity)
            orders[m.order_id] = order
            prepared.append((False, order))
    trades = 0
    started = time.perf_counter()
    for is_cancel, item in prepared:
        if is_cancel:
            order = orders[item]
            if book.get_order(order.id) is not None:
                book.cancel(order)
        else:
            trades += len(book.match(item).trades)
    return time.perf_counter() - started, trades


# --- (c) minimal reference: dict of price -> deque, heaps for the best price, no features ------------


class MinimalBook:
    def __init__(self) -> None:
        self.bid_levels: dict[int, deque[list[Any]]] = {}
        self.ask_levels: dict[int, deque[list[Any]]] = {}
        self.bid_heap: list[int] = []  # negated prices
        self.ask_heap: list[int] = []
        self.live: dict[str, list[Any]] = {}

    def place(self, order_id: str, is_buy: bool, price: int, quantity: int) -> int:
        trades = 0
        if is_buy:
            levels, heap, sign = self.ask_levels, self.ask_heap, 1
        else:
            levels, heap, sign = self.bid_levels, self.bid_heap, -1
        while quantity and heap:
            best = heap[0] * sign
            queue = levels.get(best)
            if not queue:
                heapq.heappop(heap)
                levels.pop(best, None)
                continue
            if (best > price) if is_buy else (best < price):
                break
            while quantity and queue:
                entry = queue[0]
                if not entry[1]:
                    queue.popleft()
                    continue
                fill = min(entry[1], quantity)
                entry[1] -= fill
                quantity -= fill
                trades += 1
                if not entry[1]:
                    queue.popleft()
                    del self.live[entry[0]]
        if quantity:
            own_levels, own_heap, own_sign = (
                (self.bid_levels, self.bid_heap, -1) if is_buy else (self.ask_levels, self.ask_heap, 1)
            )
            queue = own_levels.get(price)
            if queue is None:
                queue = own_levels[price] = deque()
                heapq.heappush(own_heap, price * own_sign)
            entry = [order_id, quantity]
            queue.append(entry)
            self.live[order_id] = entry
        return trades

    def cancel(self, order_id: str) -> None:
        entry = self.live.pop(order_id, None)
        if entry is not None:
            entry[1] = 0


def run_minimal(stream: list[Message]) -> tuple[float, int]:
    book = MinimalBook()
    trades = 0
    started = time.perf_counter()
    for m in stream:
        if m.cancel:
            book.cancel(m.order_id)
        else:
            trades += book.place(m.order_id, m.is_buy, m.price_ticks, m.quantity)
    return time.perf_counter() - started, trades


def _best_of(
    repeats: int, runner: Callable[[list[Message]], tuple[float, int]], stream: list[Message]
) -> dict[str, Any]:
    timings = [runner(stream) for _ in range(repeats)]
    seconds = min(t for t, _ in timings)
    trades = timings[0][1]
    orders = sum(1 for m in stream if not m.cancel)
    return {
        "messages_per_s": round(len(stream) / seconds),
        "orders_per_s": round(orders / seconds),
        "seconds": round(seconds, 4),
        "trades": trades,
        "trades_per_order": round(trades / orders, 3),
    }


def run(quick: bool) -> dict[str, Any]:
    count = 20_000 if quick else 200_000
    repeats = 3 if quick else 5
    stream = make_stream(count)
    results: dict[str, Any] = {
        "benchmark": "matching",
        "messages": count,
        "orders": sum(1 for m in stream if not m.cancel),
        "cancels": sum(1 for m in stream if m.cancel),
        "python": platform.python_version(),
        "ours": _best_of(repeats, run_ours, stream),
        "minimal_reference": _best_of(repeats, run_minimal, stream),
    }
    try:
        pyorderbook: Any = importlib.import_module("pyorderbook")
        results["pyorderbook"] = _best_of(repeats, run_pyorderbook, stream)
        results["pyorderbook"]["version"] = pyorderbook.__version__
    except Exception as error:  # any failure to use it is reported, not fatal
        results["pyorderbook"] = {"error": f"{type(error).__name__}: {error}"}
    ours = results["ours"]["messages_per_s"]
    results["ratio_ours_vs_minimal"] = round(ours / results["minimal_reference"]["messages_per_s"], 3)
    if "messages_per_s" in results["pyorderbook"]:
        results["ratio_ours_vs_pyorderbook"] = round(ours / results["pyorderbook"]["messages_per_s"], 3)
    results["goals"] = {"vs_pyorderbook_min": 3.0, "vs_minimal_min": 0.8}
    results["name"] = "matching engine (in process)"
    results["description"] = (
        "Seeded stream: limit orders ±50 ticks around 10,000, 1-10 t, 20% cancels; our engine with every "
        "feature on vs pyorderbook vs a minimal dict+deque book."
    )
    results["rows"] = [
        {"case": case, "messages_per_s": results[case].get("messages_per_s", results[case].get("error"))}
        for case in ("ours", "pyorderbook", "minimal_reference")
    ]
    results["ratios"] = {k: results[k] for k in ("ratio_ours_vs_pyorderbook", "ratio_ours_vs_minimal") if k in results}
    return results


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
