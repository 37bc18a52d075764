"""Live market data on the trading subgraph: `Subscription.trades` and `Subscription.orderBook` over
GraphQL over SSE (the transport Hive Gateway uses towards subgraphs), served by uvicorn, with orders
placed through the service, on SQLite and PostgreSQL. Plus the in-process hub's drop rule."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
import uvicorn

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.transport.auth import ANONYMOUS, TokenVerifier
from carbon_runtime.transport.graphql_runtime import RequestContext, build_schema, create_http_app
from services.trading.domain.orders import Side
from services.trading.domain.session import ManualClock
from services.trading.entrypoints.graphql import Mutation, Query, Subscription, schema_types
from services.trading.service.market_feed import FeedHub, MarketFeed, SubscriberLimit
from services.trading.service.place_order import PlacedOrder
from services.trading.settings import TradingSettings
from tests.integration.trading.support import (
    BOOK,
    EVENT_TIMEOUT_S,
    START,
    TRADES,
    Exchange,
    SseStream,
    create_instrument,
    fund,
    make_exchange,
    principal,
)
from tests.support.fake_registry import FakeRegistry

SELLER = principal("org-seller", "TRADER")
BUYER = principal("org-buyer", "TRADER")


def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + EVENT_TIMEOUT_S
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {EVENT_TIMEOUT_S} s")
        time.sleep(0.02)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry()


@pytest.fixture
def exchange(trading_database_url: str, registry: FakeRegistry) -> Iterator[Exchange]:
    context = make_exchange(trading_database_url, registry, ManualClock(START))
    yield context
    context.db.dispose()


@pytest.fixture
def url(exchange: Exchange) -> Iterator[str]:
    """The trading subgraph's HTTP app (the same schema and runtime as bootstrap) under uvicorn."""
    settings = TradingSettings(kafka_bootstrap_servers=None)
    schema = build_schema(settings, Query, Mutation, types=schema_types(), subscription=Subscription)
    verifier = TokenVerifier(settings.auth, production=False)
    app = create_http_app(settings, schema, verifier, ready_check=lambda: True, extras={"trading": exchange.app})
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    eventually(lambda: server.started, "the subgraph started")
    yield f"http://127.0.0.1:{port}/graphql"
    server.should_exit = True
    thread.join(timeout=EVENT_TIMEOUT_S)


def place(exchange: Exchange, side: Side, price: str, qty: int, account: str) -> PlacedOrder:
    who = SELLER if side is Side.SELL else BUYER
    return exchange.place_order(
        who,
        instrument_id=instrument_id_of(exchange),
        side=side,
        price=Decimal(price),
        quantity_t=qty,
        account_id=account,
    )


def instrument_id_of(exchange: Exchange) -> str:
    return exchange.markets()[0].instrument.id


@pytest.fixture
def market(exchange: Exchange, registry: FakeRegistry) -> tuple[str, str, str]:
    """(instrument id, seller account holding 100 t, funded buyer account)."""
    instrument_id = create_instrument(exchange)
    fund(exchange, "org-buyer", "100000")
    return instrument_id, registry.open("org-seller", 100), registry.open("org-buyer")


def test_trades_subscription_pushes_each_executed_trade_with_its_public_fields(
    exchange: Exchange, url: str, market: tuple[str, str, str]
) -> None:
    instrument_id, seller_account, buyer_account = market
    stream = SseStream(url, TRADES, {"i": instrument_id})
    try:
        eventually(lambda: exchange.feed.trades.subscriber_count(instrument_id) == 1, "subscribed")
        place(exchange, Side.SELL, "1000", 30, seller_account)
        stream.assert_quiet()  # a resting order is no trade
        bought = place(exchange, Side.BUY, "1100", 10, buyer_account)
        second = place(exchange, Side.BUY, "1000", 5, buyer_account)
        first_trade = stream.next()["data"]["trades"]
        second_trade = stream.next()["data"]["trades"]
    finally:
        stream.close()
    assert first_trade == {
        "id": bought.trades[0].trade_id, "instrumentId": instrument_id, "price": "1000", "quantity": 10,
        "source": "EXCHANGE", "settled": False, "executedAt": "2025-04-01T01:00:00+00:00",
    }  # fmt: skip
    assert second_trade["id"] == second.trades[0].trade_id and second_trade["quantity"] == 5
    stored = [t.trade_id for t in exchange.list_trades(instrument_id)]
    assert sorted(stored) == sorted([first_trade["id"], second_trade["id"]])


def test_order_book_subscription_sends_the_book_now_then_after_every_change(
    exchange: Exchange, url: str, market: tuple[str, str, str]
) -> None:
    instrument_id, seller_account, buyer_account = market
    stream = SseStream(url, BOOK, {"i": instrument_id, "d": 2})
    try:
        now = stream.next()["data"]["orderBook"]
        assert now == {
            "instrumentId": instrument_id, "sequence": 0, "phase": "CONTINUOUS", "bestBid": None, "bestAsk": None,
            "lastPrice": None, "at": "2025-04-01T01:00:00+00:00", "bids": [], "asks": [],
        }  # fmt: skip
        place(exchange, Side.SELL, "1002", 5, seller_account)
        place(exchange, Side.SELL, "1001", 5, seller_account)
        sell = place(exchange, Side.SELL, "1000", 20, seller_account)
        updates = [stream.next()["data"]["orderBook"] for _ in range(3)]
        assert [u["bestAsk"] for u in updates] == ["1002", "1001", "1000"]
        assert updates[-1]["asks"] == [
            {"price": "1000", "quantity": 20, "orderCount": 1},
            {"price": "1001", "quantity": 5, "orderCount": 1},
        ], "depth 2: the third level is not sent"
        place(exchange, Side.BUY, "1000", 15, buyer_account)
        traded = stream.next()["data"]["orderBook"]
        assert traded["lastPrice"] == "1000" and traded["asks"][0] == {"price": "1000", "quantity": 5, "orderCount": 1}
        exchange.cancel_order(SELLER, sell.order.order_id)
        cancelled = stream.next()["data"]["orderBook"]
        assert cancelled["bestAsk"] == "1001" and cancelled["lastPrice"] == "1000"
        sequences = [now["sequence"], *(u["sequence"] for u in updates), traded["sequence"], cancelled["sequence"]]
        assert sequences == sorted(set(sequences)), "one update per change, in commit order"
    finally:
        stream.close()


def test_refused_order_changes_nothing_and_publishes_nothing(
    exchange: Exchange, url: str, market: tuple[str, str, str], registry: FakeRegistry
) -> None:
    instrument_id, seller_account, _ = market
    poor_account = registry.open("org-poor")
    stream = SseStream(url, BOOK, {"i": instrument_id, "d": 5})
    try:
        stream.next()
        with pytest.raises(DomainError) as err:
            exchange.place_order(
                principal("org-poor", "TRADER"),
                instrument_id=instrument_id,
                side=Side.BUY,
                price=Decimal("1000"),
                quantity_t=10,
                account_id=poor_account,
            )
        assert err.value.code is ErrorCode.INSUFFICIENT_BALANCE
        stream.assert_quiet()
        place(exchange, Side.SELL, "1000", 5, seller_account)
        update = stream.next()["data"]["orderBook"]
        assert update["bestBid"] is None and update["bestAsk"] == "1000"
    finally:
        stream.close()


def test_subscribing_to_an_unknown_instrument_fails_with_not_found(url: str) -> None:
    for query, variables in ((TRADES, {"i": "no-such"}), (BOOK, {"i": "no-such", "d": 5})):
        stream = SseStream(url, query, variables)
        try:
            error = stream.next()["errors"][0]
            assert error["extensions"] == {"code": "NOT_FOUND", "reason": "INSTRUMENT_NOT_FOUND"}
            assert stream.completed.wait(EVENT_TIMEOUT_S), "the stream ends after the error"
        finally:
            stream.close()


def test_order_book_depth_outside_one_to_twenty_is_invalid_argument(url: str, market: tuple[str, str, str]) -> None:
    stream = SseStream(url, BOOK, {"i": market[0], "d": 21})
    try:
        assert stream.next()["errors"][0]["extensions"] == {"code": "INVALID_ARGUMENT", "reason": "DEPTH_OUT_OF_RANGE"}
    finally:
        stream.close()


def test_market_data_subscriptions_need_no_token(exchange: Exchange, url: str, market: tuple[str, str, str]) -> None:
    anonymous = SseStream(url, BOOK, {"i": market[0], "d": 1})
    try:
        assert anonymous.status_code == 200 and anonymous.next()["data"]["orderBook"]["sequence"] == 0
    finally:
        anonymous.close()


def test_closing_the_stream_unsubscribes(exchange: Exchange, url: str, market: tuple[str, str, str]) -> None:
    instrument_id = market[0]
    stream = SseStream(url, TRADES, {"i": instrument_id})
    eventually(lambda: exchange.feed.trades.subscriber_count(instrument_id) == 1, "subscribed")
    stream.close()
    eventually(lambda: exchange.feed.trades.subscriber_count(instrument_id) == 0, "unsubscribed after the client left")


async def test_slow_subscriber_is_dropped_and_never_blocks_the_publisher() -> None:
    hub: FeedHub[int] = FeedHub(2, SubscriberLimit(10))
    loop = asyncio.get_running_loop()
    slow = hub.subscribe("i-1", loop)
    fast = hub.subscribe("i-1", loop)
    started = time.monotonic()
    hub.publish("i-1", 1)
    assert await fast.next() == 1
    hub.publish("i-1", 2)
    assert await fast.next() == 2
    hub.publish("i-1", 3)  # `slow` already holds 2 unread items: it is dropped, nobody waits
    assert time.monotonic() - started < 1.0
    assert await fast.next() == 3
    assert hub.subscriber_count("i-1") == 1
    with pytest.raises(DomainError) as err:
        await slow.next()
    assert (err.value.code, err.value.reason) == (ErrorCode.UNAVAILABLE, "SUBSCRIBER_TOO_SLOW")


async def test_dropped_subscription_ends_its_stream_with_unavailable(
    exchange: Exchange, market: tuple[str, str, str]
) -> None:
    instrument_id, seller_account, _ = market
    exchange.feed = MarketFeed(queue_capacity=2)
    schema = build_schema(TradingSettings(), Query, Mutation, types=schema_types(), subscription=Subscription)
    context = RequestContext(extras={"trading": exchange.app})
    context._principal = ANONYMOUS
    results = await schema.subscribe(BOOK, variable_values={"i": instrument_id, "d": 1}, context_value=context)
    assert not isinstance(results, Exception) and hasattr(results, "__anext__")
    first = await results.__anext__()
    assert first.data is not None and first.data["orderBook"]["sequence"] == 0
    for price in ("1003", "1002", "1001"):  # three changes while the subscriber reads none of them
        await asyncio.to_thread(place, exchange, Side.SELL, price, 1, seller_account)
    dropped = await results.__anext__()
    assert dropped.errors is not None
    assert dropped.errors[0].extensions == {"code": "UNAVAILABLE", "reason": "SUBSCRIBER_TOO_SLOW"}
    assert exchange.feed.books.subscriber_count(instrument_id) == 0
    await results.aclose()


def test_the_hub_caps_subscribers_per_process() -> None:
    feed = MarketFeed(max_subscribers=1)
    loop = asyncio.new_event_loop()
    try:
        first = feed.trades.subscribe("i-1", loop)
        with pytest.raises(DomainError) as err:
            feed.books.subscribe("i-2", loop)
        assert err.value.reason == "TOO_MANY_SUBSCRIBERS"
        first.close()
        feed.books.subscribe("i-2", loop).close()
    finally:
        loop.close()
