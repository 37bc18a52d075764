"""carbon.trading.v1.TradingService: the gRPC servicer builds the same commands as GraphQL and answers
the handler's result, on SQLite and PostgreSQL. Called in process with the caller set the way the
runtime's server interceptor sets it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import pytest
from carbon.registry.v1 import types_pb2 as registry_types_pb2
from carbon.trading.v1 import trading_pb2, types_pb2

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.transport import grpc_runtime
from carbon_runtime.transport.auth import Principal
from services.trading.domain.session import ManualClock
from services.trading.entrypoints.grpc_server import TradingServicer
from tests.integration.trading.support import ADMIN, START, Exchange, fund, make_exchange, principal
from tests.support.fake_registry import FakeRegistry

SELLER = principal("org-seller", "TRADER")
BUYER = principal("org-buyer", "TRADER")
R = TypeVar("R")


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry()


@pytest.fixture
def exchange(trading_database_url: str, registry: FakeRegistry) -> Iterator[Exchange]:
    exchange = make_exchange(trading_database_url, registry, ManualClock(START))
    yield exchange
    exchange.db.dispose()


def call(who: Principal, rpc: Callable[[], Awaitable[R]]) -> R:
    async def as_caller() -> R:
        # What CarbonServerInterceptor does for a verified bearer token.
        grpc_runtime._principal.set(who)
        return await rpc()

    return asyncio.run(as_caller())


def create_instrument(servicer: TradingServicer) -> str:
    request = trading_pb2.CreateInstrumentRequest(
        name="J-Credit", currency="JPY", tick_size_decimal="1", criteria=registry_types_pb2.DeliveryCriteria()
    )
    response = call(ADMIN, lambda: servicer.CreateInstrument(request, None))
    assert response.instrument.mode == types_pb2.TRADING_MODE_CONTINUOUS
    return str(response.instrument.instrument_id)


def test_place_order_answers_the_order_and_its_settled_trades(exchange: Exchange, registry: FakeRegistry) -> None:
    servicer = TradingServicer(exchange.app)
    instrument_id = create_instrument(servicer)
    seller_account = registry.open("org-seller", 100)
    buyer_account = registry.open("org-buyer")
    fund(exchange, "org-buyer", "100000")

    def place(who: Principal, side: types_pb2.OrderSide.ValueType, account: str) -> trading_pb2.PlaceOrderResponse:
        request = trading_pb2.PlaceOrderRequest(
            instrument_id=instrument_id, side=side, price_decimal="1000", quantity_t=10, account_id=account
        )
        return call(who, lambda: servicer.PlaceOrder(request, None))

    place(SELLER, types_pb2.ORDER_SIDE_SELL, seller_account)
    bought = place(BUYER, types_pb2.ORDER_SIDE_BUY, buyer_account)
    assert bought.order.status == types_pb2.ORDER_STATUS_FILLED
    assert [(t.price_decimal, t.quantity_t, t.settled) for t in bought.trades] == [("1000", 10, True)]
    assert bought.trades[0].deliveries[0].batch_id == registry.batch_of[seller_account]

    data = call(
        BUYER, lambda: servicer.GetMarketData(trading_pb2.GetMarketDataRequest(instrument_id=instrument_id), None)
    )
    assert (data.last_price_decimal, data.volume_24h_t) == ("1000", 10)
    listed = call(BUYER, lambda: servicer.ListTrades(trading_pb2.ListTradesRequest(instrument_id=instrument_id), None))
    assert [t.trade_id for t in listed.trades] == [bought.trades[0].trade_id]


def test_another_organizations_order_is_not_found_and_cannot_be_cancelled(
    exchange: Exchange, registry: FakeRegistry
) -> None:
    servicer = TradingServicer(exchange.app)
    instrument_id = create_instrument(servicer)
    account = registry.open("org-seller", 100)
    request = trading_pb2.PlaceOrderRequest(
        instrument_id=instrument_id, side=types_pb2.ORDER_SIDE_SELL, price_decimal="1500", quantity_t=5,
        account_id=account,
    )  # fmt: skip
    order_id = call(SELLER, lambda: servicer.PlaceOrder(request, None)).order.order_id
    with pytest.raises(DomainError) as err:
        call(BUYER, lambda: servicer.GetOrder(trading_pb2.GetOrderRequest(order_id=order_id), None))
    assert err.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(DomainError) as err:
        call(BUYER, lambda: servicer.CancelOrder(trading_pb2.CancelOrderRequest(order_id=order_id), None))
    assert err.value.code is ErrorCode.FORBIDDEN
    cancelled = call(SELLER, lambda: servicer.CancelOrder(trading_pb2.CancelOrderRequest(order_id=order_id), None))
    assert cancelled.order.status == types_pb2.ORDER_STATUS_CANCELLED
    assert registry.balance(account) == 100


def test_side_must_be_buy_or_sell(exchange: Exchange) -> None:
    servicer = TradingServicer(exchange.app)
    request = trading_pb2.PlaceOrderRequest(instrument_id="x", price_decimal="1", quantity_t=1, account_id="a")
    with pytest.raises(DomainError) as err:
        call(SELLER, lambda: servicer.PlaceOrder(request, None))
    assert err.value.reason == "SIDE_UNSPECIFIED"
