"""The trading subgraph over HTTP (FastAPI app) with dev tokens, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.trading.bootstrap import bootstrap
from services.trading.domain.session import ManualClock
from services.trading.settings import TradingSettings
from tests.integration.trading.support import START, gql, token
from tests.support.fake_registry import FakeRegistry


@pytest.fixture
def app(trading_database_url: str) -> Iterator[tuple[TestClient, FakeRegistry]]:
    registry = FakeRegistry()
    proc = bootstrap(
        TradingSettings(database_url=trading_database_url, kafka_bootstrap_servers=None, http_port=0, grpc_port=0),
        registry=registry,
        clock=ManualClock(START),
    )
    with TestClient(proc.http_app) as client:
        yield client, registry
    for stop in proc.on_stop:
        stop()


CREATE = (
    """mutation($input: CreateInstrumentInput!) { createInstrument(input: $input) { id name tickSize currency } }"""
)
PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status filledQuantity price
  instrument { id lastPrice } } }"""


def test_contract_flow_create_deposit_trade_settle_and_read(app: tuple[TestClient, FakeRegistry]) -> None:
    client, registry = app
    admin = token(None, "EXCHANGE_ADMIN")
    created = gql(
        client,
        CREATE,
        {
            "input": {
                "name": "J-Credit removal",
                "currency": "JPY",
                "tickSize": "0.5",
                "criteria": {"creditTypes": ["REMOVAL"], "vintageFrom": "2020-01-01"},
            }
        },
        admin,
    )
    instrument_id = created["data"]["createInstrument"]["id"]
    assert created["data"]["createInstrument"]["tickSize"] == "0.5"
    deposit = gql(
        client,
        """mutation { depositFunds(input: {organizationId: "org-b", currency: "JPY", amount: "50000"})
           { currency available locked organization { id } } }""",
        bearer=admin,
    )
    assert deposit["data"]["depositFunds"] == {
        "currency": "JPY", "available": "50000", "locked": "0", "organization": {"id": "org-b"},
    }  # fmt: skip
    seller_account = registry.open("org-s", 100)
    buyer_account = registry.open("org-b")
    seller, buyer = token("org-s", "TRADER"), token("org-b", "TRADER")
    sell = gql(
        client,
        PLACE,
        {
            "input": {
                "instrumentId": instrument_id,
                "side": "SELL",
                "price": "1000.5",
                "quantity": 20,
                "accountId": seller_account,
            }
        },
        seller,
    )
    assert sell["data"]["placeOrder"]["status"] == "OPEN"
    buy = gql(
        client,
        PLACE,
        {
            "input": {
                "instrumentId": instrument_id,
                "side": "BUY",
                "price": "1100",
                "quantity": 10,
                "accountId": buyer_account,
                "idempotencyKey": "b-1",
            }
        },
        buyer,
    )
    assert buy["data"]["placeOrder"]["status"] == "FILLED"
    assert buy["data"]["placeOrder"]["instrument"]["lastPrice"] == "1000.5"
    trades = gql(
        client,
        """query($id: ID!) { trades(instrumentId: $id) { price quantity settled batch { id } executedAt } }""",
        {"id": instrument_id},
    )
    assert trades["data"]["trades"] == [
        {"price": "1000.5", "quantity": 10, "settled": True, "batch": {"id": registry.batch_of[seller_account]},
         "executedAt": "2025-04-01T01:00:00+00:00"},
    ]  # fmt: skip
    balance = gql(
        client, """{ cashBalance(organizationId: "org-s", currency: "JPY") { available locked } }""", bearer=seller
    )
    assert balance["data"]["cashBalance"] == {"available": "10005.0", "locked": "0"}
    book = gql(
        client,
        """query($id: ID!) { marketData(instrumentId: $id) {
             bestAsk asks { price quantity orderCount } volume vwap } }""",
        {"id": instrument_id},
    )
    assert book["data"]["marketData"] == {
        "bestAsk": "1000.5", "asks": [{"price": "1000.5", "quantity": 10, "orderCount": 1}], "volume": 10,
        "vwap": "1000.500",
    }  # fmt: skip
    order_id = sell["data"]["placeOrder"]["id"]
    cancelled = gql(
        client, "mutation($id: ID!) { cancelOrder(orderId: $id) { status filledQuantity } }", {"id": order_id}, seller
    )
    assert cancelled["data"]["cancelOrder"] == {"status": "CANCELLED", "filledQuantity": 10}
    assert registry.balance(seller_account) == 90


def test_refusals_carry_contract_error_codes(app: tuple[TestClient, FakeRegistry]) -> None:
    client, registry = app
    admin = token(None, "EXCHANGE_ADMIN")
    denied = gql(
        client,
        CREATE,
        {"input": {"name": "x", "currency": "JPY", "tickSize": "1", "criteria": {}}},
        token("org-b", "TRADER"),
    )
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = gql(client, """{ cashBalance(organizationId: "org-b", currency: "JPY") { available } }""")
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    other_org = gql(
        client,
        """{ cashBalance(organizationId: "org-b", currency: "JPY") { available } }""",
        bearer=token("org-x", "TRADER"),
    )
    assert other_org["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    instrument_id = gql(
        client, CREATE, {"input": {"name": "x", "currency": "JPY", "tickSize": "10", "criteria": {}}}, admin
    )["data"]["createInstrument"]["id"]
    account = registry.open("org-b")
    off_tick = gql(
        client,
        PLACE,
        {"input": {"instrumentId": instrument_id, "side": "BUY", "price": "15", "quantity": 1, "accountId": account}},
        token("org-b", "TRADER"),
    )
    assert off_tick["errors"][0]["extensions"] == {"code": "INVALID_ARGUMENT", "reason": "PRICE_NOT_ON_TICK"}
    broke = gql(
        client,
        PLACE,
        {"input": {"instrumentId": instrument_id, "side": "BUY", "price": "10", "quantity": 1, "accountId": account}},
        token("org-b", "TRADER"),
    )
    assert broke["errors"][0]["extensions"]["code"] == "INSUFFICIENT_BALANCE"
    listed = gql(client, "{ instruments { id currency bestBid bestAsk lastPrice } }")
    assert listed["data"]["instruments"] == [
        {"id": instrument_id, "currency": "JPY", "bestBid": None, "bestAsk": None, "lastPrice": None}
    ]
