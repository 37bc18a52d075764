"""Live market data through Hive Gateway: a client subscribes with GraphQL over SSE at the gateway's
/graphql, the gateway subscribes to the trading subgraph (SSE as well), and orders placed through
the public API push trades and book updates to the client.

One dev stack (broker, four services, gateway) on free ports, as tests/e2e/platform/test_e2e_platform.py runs
it, with a short upstream timeout to prove that subscriptions are exempt from it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.platform.support import ADMIN, World
from tests.integration.trading.support import BOOK, TRADES, SseStream
from tests.support.gql import Gql
from tooling.devstack import DevStack, StackConfig

pytestmark = pytest.mark.e2e

UPSTREAM_TIMEOUT_MS = 5000


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    config = StackConfig.ephemeral(Path(tmp_path_factory.mktemp("stack")))
    config.extra_env["GATEWAY_UPSTREAM_TIMEOUT_MS"] = str(UPSTREAM_TIMEOUT_MS)
    with DevStack(config) as s:
        yield s


@pytest.fixture(scope="module")
def gql(stack: DevStack) -> Iterator[Gql]:
    client = Gql(stack.config.gateway_url)
    yield client
    client.close()


def test_gateway_streams_trades_and_book_changes_to_an_anonymous_subscriber(stack: DevStack, gql: Gql) -> None:
    world = World(gql)
    instrument = gql(
        """mutation($i: CreateInstrumentInput!) { createInstrument(input: $i) { id } }""",
        {"i": {"name": f"J-Credit forest live {uuid.uuid4().hex[:4]}", "currency": "JPY", "tickSize": "1",
               "criteria": {"programIds": ["JCREDIT"], "batchId": world.batch}}},
        ADMIN,
    )["createInstrument"]["id"]  # fmt: skip
    gql("""mutation($o: ID!) { depositFunds(input: {organizationId: $o, currency: "JPY", amount: "500000"}) {
           available } }""", {"o": world.buyer}, ADMIN)  # fmt: skip
    url = stack.config.gateway_url
    trades = SseStream(url, TRADES, {"i": instrument})
    book = SseStream(url, BOOK, {"i": instrument, "d": 3})
    try:
        assert trades.status_code == 200 and book.status_code == 200
        now = book.next()["data"]["orderBook"]
        assert (now["sequence"], now["bestAsk"], now["asks"]) == (0, None, [])
        # Longer than the gateway's upstream timeout: a live stream must outlast it.
        time.sleep(UPSTREAM_TIMEOUT_MS / 1000 + 1)
        place = """mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id status } }"""
        gql(place, {"i": {"instrumentId": instrument, "side": "SELL", "price": "3000", "quantity": 50,
                          "accountId": world.proponent_account}}, world.proponent_token)  # fmt: skip
        resting = book.next()["data"]["orderBook"]
        assert resting["bestAsk"] == "3000" and resting["asks"] == [{"price": "3000", "quantity": 50, "orderCount": 1}]
        buy = gql(place, {"i": {"instrumentId": instrument, "side": "BUY", "price": "3100", "quantity": 20,
                                "accountId": world.buyer_account}}, world.buyer_token)["placeOrder"]  # fmt: skip
        assert buy["status"] == "FILLED"
        trade = trades.next()["data"]["trades"]
        assert (trade["instrumentId"], trade["price"], trade["quantity"], trade["source"]) == (
            instrument, "3000", 20, "EXCHANGE",
        )  # fmt: skip
        stored = gql("query($i: ID!) { trades(instrumentId: $i) { id } }", {"i": instrument})["trades"]
        assert [t["id"] for t in stored] == [trade["id"]]
        after = book.next()["data"]["orderBook"]
        assert after["lastPrice"] == "3000" and after["asks"][0]["quantity"] == 30
        assert after["sequence"] > resting["sequence"] > now["sequence"]
    finally:
        trades.close()
        book.close()


def test_gateway_subscription_to_an_unknown_instrument_gets_not_found(stack: DevStack) -> None:
    stream = SseStream(stack.config.gateway_url, TRADES, {"i": "no-such-instrument"})
    try:
        error = stream.next()["errors"][0]
        assert error["extensions"]["code"] == "NOT_FOUND"
    finally:
        stream.close()
