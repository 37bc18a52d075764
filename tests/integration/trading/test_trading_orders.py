"""Order entry, matching and cash rules of the trading service, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.transport.auth import Principal
from services.trading.domain.orders import Side
from services.trading.domain.session import ManualClock
from services.trading.service.place_order import PlacedOrder
from services.trading.service.rate_limit import RateLimiter
from tests.integration.trading.support import ADMIN, START, Exchange, create_instrument, fund, make_exchange, principal
from tests.support.fake_registry import FakeRegistry

SELLER = principal("org-seller", "TRADER")
BUYER = principal("org-buyer", "TRADER")


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry()


@pytest.fixture
def exchange(trading_database_url: str, registry: FakeRegistry) -> Iterator[Exchange]:
    context = make_exchange(trading_database_url, registry, ManualClock(START))
    yield context
    context.db.dispose()


def cash(exchange: Exchange, org: str) -> tuple[Decimal, Decimal]:
    c = exchange.cash_balance(ADMIN, org, "JPY")
    return c.available, c.locked


def place(
    exchange: Exchange, who: Principal, instrument_id: str, side: Side, price: str, qty: int, account: str
) -> PlacedOrder:
    return exchange.place_order(
        who, instrument_id=instrument_id, side=side, price=Decimal(price), quantity_t=qty, account_id=account
    )


def test_buy_without_enough_cash_is_refused_and_changes_nothing(exchange: Exchange, registry: FakeRegistry) -> None:
    instrument_id = create_instrument(exchange)
    buyer_account = registry.open("org-buyer")
    fund(exchange, "org-buyer", "999")
    with pytest.raises(DomainError) as err:
        place(exchange, BUYER, instrument_id, Side.BUY, "100", 10, buyer_account)
    assert err.value.code is ErrorCode.INSUFFICIENT_BALANCE
    assert cash(exchange, "org-buyer") == (Decimal("999"), Decimal("0"))
    assert exchange.market_data(instrument_id).quote.best_bid is None


def test_sell_locks_credits_with_instrument_criteria_and_the_orders_lock_id(
    exchange: Exchange, registry: FakeRegistry
) -> None:
    instrument_id = create_instrument(exchange)
    seller_account = registry.open("org-seller", 50)
    placed = place(exchange, SELLER, instrument_id, Side.SELL, "1500", 20, seller_account)
    # The lock id is a keyed hash of the order id (not guessable from public data).
    assert placed.order.lock_id != placed.order.order_id
    assert registry.locks[placed.order.lock_id] == (seller_account, 20)
    assert registry.balance(seller_account) == 30
    assert registry.lock_calls[0][2] == SELLER.token  # the trader's own token
    assert placed.order.status == "OPEN"


def test_sell_without_enough_credits_is_refused_and_nothing_rests(exchange: Exchange, registry: FakeRegistry) -> None:
    instrument_id = create_instrument(exchange)
    seller_account = registry.open("org-seller", 5)
    with pytest.raises(DomainError) as err:
        place(exchange, SELLER, instrument_id, Side.SELL, "1500", 20, seller_account)
    assert err.value.code is ErrorCode.INSUFFICIENT_BALANCE
    assert exchange.market_data(instrument_id).quote.best_ask is None


def test_price_off_tick_is_invalid_argument(exchange: Exchange, registry: FakeRegistry) -> None:
    instrument_id = create_instrument(exchange, tick="10")
    account = registry.open("org-buyer")
    fund(exchange, "org-buyer", "100000")
    with pytest.raises(DomainError) as err:
        place(exchange, BUYER, instrument_id, Side.BUY, "1505", 1, account)
    assert err.value.code is ErrorCode.INVALID_ARGUMENT
    assert err.value.reason == "PRICE_NOT_ON_TICK"


def test_order_on_another_organizations_account_is_forbidden(exchange: Exchange, registry: FakeRegistry) -> None:
    instrument_id = create_instrument(exchange)
    seller_account = registry.open("org-seller", 50)
    with pytest.raises(DomainError) as err:
        place(exchange, BUYER, instrument_id, Side.SELL, "1500", 5, seller_account)
    assert err.value.code is ErrorCode.FORBIDDEN
    assert registry.locks == {}


def test_only_exchange_admin_creates_instruments_and_deposits(exchange: Exchange) -> None:
    with pytest.raises(DomainError) as err:
        exchange.deposit_funds(BUYER, "org-buyer", "JPY", Decimal("1"))
    assert err.value.code is ErrorCode.FORBIDDEN


def test_crossing_orders_trade_at_resting_price_and_release_unused_buy_cash(
    exchange: Exchange, registry: FakeRegistry
) -> None:
    instrument_id = create_instrument(exchange)
    seller_account = registry.open("org-seller", 100)
    buyer_account = registry.open("org-buyer")
    fund(exchange, "org-buyer", "200000")
    sell = place(exchange, SELLER, instrument_id, Side.SELL, "1500", 40, seller_account)
    buy = place(exchange, BUYER, instrument_id, Side.BUY, "1600", 30, buyer_account)
    assert [(t.price, t.quantity_t) for t in buy.trades] == [(Decimal("1500"), 30)]
    assert buy.order.status == "FILLED"
    # settled at once (registry up): 45 000 paid, the 3 000 a better price left unused released
    assert cash(exchange, "org-buyer") == (Decimal("155000"), Decimal("0"))
    assert cash(exchange, "org-seller") == (Decimal("45000"), Decimal("0"))
    assert registry.balance(buyer_account) == 30
    sell_now = exchange.get_order(SELLER, sell.order.order_id)
    assert sell_now is not None
    assert (sell_now.status, sell_now.filled_quantity_t) == ("PARTIALLY_FILLED", 30)
    trade = exchange.list_trades(instrument_id)[0]
    assert trade.settled
    assert trade.delivered_batch_id == registry.batch_of[seller_account]


def test_self_trade_is_prevented_by_cancelling_the_resting_order(exchange: Exchange, registry: FakeRegistry) -> None:
    instrument_id = create_instrument(exchange)
    account = registry.open("org-seller", 100)
    fund(exchange, "org-seller", "100000")
    sell = place(exchange, SELLER, instrument_id, Side.SELL, "1500", 10, account)
    buy = place(exchange, SELLER, instrument_id, Side.BUY, "1500", 10, account)
    assert buy.trades == []
    resting = exchange.get_order(SELLER, sell.order.order_id)
    assert resting is not None
    assert resting.status == "CANCELLED"
    assert registry.balance(account) == 100  # the cancelled sell's credits were unlocked
    assert exchange.market_data(instrument_id).quote.best_bid == Decimal("1500")


def test_cancel_releases_buy_cash_and_unlocks_sell_credits(exchange: Exchange, registry: FakeRegistry) -> None:
    instrument_id = create_instrument(exchange)
    seller_account = registry.open("org-seller", 100)
    buyer_account = registry.open("org-buyer")
    fund(exchange, "org-buyer", "10000")
    buy = place(exchange, BUYER, instrument_id, Side.BUY, "1000", 10, buyer_account)
    sell = place(exchange, SELLER, instrument_id, Side.SELL, "2000", 10, seller_account)
    assert cash(exchange, "org-buyer") == (Decimal("0"), Decimal("10000"))
    cancelled = exchange.cancel_order(BUYER, buy.order.order_id)
    assert cancelled.status == "CANCELLED"
    assert cash(exchange, "org-buyer") == (Decimal("10000"), Decimal("0"))
    exchange.cancel_order(SELLER, sell.order.order_id)
    assert registry.balance(seller_account) == 100
    with pytest.raises(DomainError) as err:
        exchange.cancel_order(SELLER, sell.order.order_id)
    assert err.value.code is ErrorCode.FAILED_PRECONDITION


def test_cancel_of_another_organizations_order_is_forbidden(exchange: Exchange, registry: FakeRegistry) -> None:
    instrument_id = create_instrument(exchange)
    seller_account = registry.open("org-seller", 100)
    sell = place(exchange, SELLER, instrument_id, Side.SELL, "2000", 10, seller_account)
    with pytest.raises(DomainError) as err:
        exchange.cancel_order(BUYER, sell.order.order_id)
    assert err.value.code is ErrorCode.FORBIDDEN


def test_amend_buy_price_down_releases_cash_and_keeps_order(exchange: Exchange, registry: FakeRegistry) -> None:
    instrument_id = create_instrument(exchange)
    buyer_account = registry.open("org-buyer")
    fund(exchange, "org-buyer", "10000")
    buy = place(exchange, BUYER, instrument_id, Side.BUY, "1000", 10, buyer_account)
    amended = exchange.amend_order(BUYER, buy.order.order_id, new_price=Decimal("800"))
    assert amended.order.price == Decimal("800")
    assert cash(exchange, "org-buyer") == (Decimal("2000"), Decimal("8000"))


def test_amend_sell_quantity_cannot_grow(exchange: Exchange, registry: FakeRegistry) -> None:
    instrument_id = create_instrument(exchange)
    account = registry.open("org-seller", 100)
    sell = place(exchange, SELLER, instrument_id, Side.SELL, "1000", 10, account)
    with pytest.raises(DomainError) as err:
        exchange.amend_order(SELLER, sell.order.order_id, new_remaining_t=20)
    assert err.value.code is ErrorCode.INVALID_ARGUMENT


def test_place_order_with_same_idempotency_key_returns_the_first_order(
    exchange: Exchange, registry: FakeRegistry
) -> None:
    instrument_id = create_instrument(exchange)
    account = registry.open("org-seller", 100)
    args = {"instrument_id": instrument_id, "side": Side.SELL, "quantity_t": 10, "account_id": account}
    first = exchange.place_order(SELLER, price=Decimal("1000"), idempotency_key="k1", **args)
    again = exchange.place_order(SELLER, price=Decimal("1000"), idempotency_key="k1", **args)
    assert again.order.order_id == first.order.order_id
    assert registry.balance(account) == 90
    with pytest.raises(DomainError) as err:
        exchange.place_order(SELLER, price=Decimal("1100"), idempotency_key="k1", **args)
    assert err.value.code is ErrorCode.CONFLICT


def test_orders_beyond_the_participant_rate_limit_are_refused(
    trading_database_url: str, registry: FakeRegistry
) -> None:
    limiter = RateLimiter(rate_per_s=0.001, burst=2)
    exchange = make_exchange(trading_database_url, registry, ManualClock(START), rate_limiter=limiter)
    instrument_id = create_instrument(exchange)
    account = registry.open("org-seller", 100)
    place(exchange, SELLER, instrument_id, Side.SELL, "1000", 1, account)
    place(exchange, SELLER, instrument_id, Side.SELL, "1000", 1, account)
    with pytest.raises(DomainError) as err:
        place(exchange, SELLER, instrument_id, Side.SELL, "1000", 1, account)
    assert err.value.reason == "RATE_LIMITED"
    assert registry.balance(account) == 98
    exchange.db.dispose()
