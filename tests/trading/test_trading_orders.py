"""Order entry, matching and cash rules of the trading service, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.transport.auth import Principal
from services.trading.domain.orders import Side
from services.trading.domain.session import ManualClock
from services.trading.service import instruments as instrument_handlers
from services.trading.service import orders as order_handlers
from services.trading.service import queries
from services.trading.service.context import TradingContext
from tests.trading.trading_support import ADMIN, START, FakeRegistry, create_instrument, fund, make_context, principal

SELLER = principal("org-seller", "TRADER")
BUYER = principal("org-buyer", "TRADER")


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry()


@pytest.fixture
def ctx(database_url: str, registry: FakeRegistry) -> Iterator[TradingContext]:
    context = make_context(database_url, registry, ManualClock(START))
    yield context
    context.db.dispose()


def cash(ctx: TradingContext, org: str) -> tuple[Decimal, Decimal]:
    c = instrument_handlers.cash_balance(ctx, ADMIN, org, "JPY")
    return c.available, c.locked


def place(
    ctx: TradingContext, who: Principal, instrument_id: str, side: Side, price: str, qty: int, account: str
) -> order_handlers.PlacedOrder:
    return order_handlers.place_order(
        ctx, who, instrument_id=instrument_id, side=side, price=Decimal(price), quantity_t=qty, account_id=account
    )


def test_buy_without_enough_cash_is_refused_and_changes_nothing(ctx: TradingContext, registry: FakeRegistry) -> None:
    instrument_id = create_instrument(ctx)
    buyer_account = registry.open("org-buyer")
    fund(ctx, "org-buyer", "999")
    with pytest.raises(DomainError) as err:
        place(ctx, BUYER, instrument_id, Side.BUY, "100", 10, buyer_account)
    assert err.value.code is ErrorCode.INSUFFICIENT_BALANCE
    assert cash(ctx, "org-buyer") == (Decimal("999"), Decimal("0"))
    assert queries.market_data(ctx, instrument_id).quote.best_bid is None


def test_sell_locks_credits_with_instrument_criteria_and_order_id(ctx: TradingContext, registry: FakeRegistry) -> None:
    instrument_id = create_instrument(ctx)
    seller_account = registry.open("org-seller", 50)
    placed = place(ctx, SELLER, instrument_id, Side.SELL, "1500", 20, seller_account)
    assert registry.locks[placed.order.order_id] == (seller_account, 20)
    assert registry.balance(seller_account) == 30
    assert registry.lock_calls[0][2] == SELLER.token  # the trader's own token
    assert placed.order.status == "OPEN"


def test_sell_without_enough_credits_is_refused_and_nothing_rests(ctx: TradingContext, registry: FakeRegistry) -> None:
    instrument_id = create_instrument(ctx)
    seller_account = registry.open("org-seller", 5)
    with pytest.raises(DomainError) as err:
        place(ctx, SELLER, instrument_id, Side.SELL, "1500", 20, seller_account)
    assert err.value.code is ErrorCode.INSUFFICIENT_BALANCE
    assert queries.market_data(ctx, instrument_id).quote.best_ask is None


def test_price_off_tick_is_invalid_argument(ctx: TradingContext, registry: FakeRegistry) -> None:
    instrument_id = create_instrument(ctx, tick="10")
    account = registry.open("org-buyer")
    fund(ctx, "org-buyer", "100000")
    with pytest.raises(DomainError) as err:
        place(ctx, BUYER, instrument_id, Side.BUY, "1505", 1, account)
    assert err.value.code is ErrorCode.INVALID_ARGUMENT
    assert err.value.reason == "PRICE_NOT_ON_TICK"


def test_order_on_another_organizations_account_is_forbidden(ctx: TradingContext, registry: FakeRegistry) -> None:
    instrument_id = create_instrument(ctx)
    seller_account = registry.open("org-seller", 50)
    with pytest.raises(DomainError) as err:
        place(ctx, BUYER, instrument_id, Side.SELL, "1500", 5, seller_account)
    assert err.value.code is ErrorCode.FORBIDDEN
    assert registry.locks == {}


def test_only_exchange_admin_creates_instruments_and_deposits(ctx: TradingContext) -> None:
    with pytest.raises(DomainError) as err:
        instrument_handlers.deposit_funds(ctx, BUYER, "org-buyer", "JPY", Decimal("1"))
    assert err.value.code is ErrorCode.FORBIDDEN


def test_crossing_orders_trade_at_resting_price_and_release_unused_buy_cash(
    ctx: TradingContext, registry: FakeRegistry
) -> None:
    instrument_id = create_instrument(ctx)
    seller_account = registry.open("org-seller", 100)
    buyer_account = registry.open("org-buyer")
    fund(ctx, "org-buyer", "200000")
    sell = place(ctx, SELLER, instrument_id, Side.SELL, "1500", 40, seller_account)
    buy = place(ctx, BUYER, instrument_id, Side.BUY, "1600", 30, buyer_account)
    assert [(t.price, t.quantity_t) for t in buy.trades] == [(Decimal("1500"), 30)]
    assert buy.order.status == "FILLED"
    # settled at once (registry up): 45 000 paid, the 3 000 a better price left unused released
    assert cash(ctx, "org-buyer") == (Decimal("155000"), Decimal("0"))
    assert cash(ctx, "org-seller") == (Decimal("45000"), Decimal("0"))
    assert registry.balance(buyer_account) == 30
    sell_now = queries.get_order(ctx, SELLER, sell.order.order_id)
    assert sell_now is not None
    assert (sell_now.status, sell_now.filled_quantity_t) == ("PARTIALLY_FILLED", 30)
    trade = queries.list_trades(ctx, instrument_id)[0]
    assert trade.settled
    assert trade.delivered_batch_id == registry.batch_of[seller_account]


def test_self_trade_is_prevented_by_cancelling_the_resting_order(ctx: TradingContext, registry: FakeRegistry) -> None:
    instrument_id = create_instrument(ctx)
    account = registry.open("org-seller", 100)
    fund(ctx, "org-seller", "100000")
    sell = place(ctx, SELLER, instrument_id, Side.SELL, "1500", 10, account)
    buy = place(ctx, SELLER, instrument_id, Side.BUY, "1500", 10, account)
    assert buy.trades == []
    resting = queries.get_order(ctx, SELLER, sell.order.order_id)
    assert resting is not None
    assert resting.status == "CANCELLED"
    assert registry.balance(account) == 100  # the cancelled sell's credits were unlocked
    assert queries.market_data(ctx, instrument_id).quote.best_bid == Decimal("1500")


def test_cancel_releases_buy_cash_and_unlocks_sell_credits(ctx: TradingContext, registry: FakeRegistry) -> None:
    instrument_id = create_instrument(ctx)
    seller_account = registry.open("org-seller", 100)
    buyer_account = registry.open("org-buyer")
    fund(ctx, "org-buyer", "10000")
    buy = place(ctx, BUYER, instrument_id, Side.BUY, "1000", 10, buyer_account)
    sell = place(ctx, SELLER, instrument_id, Side.SELL, "2000", 10, seller_account)
    assert cash(ctx, "org-buyer") == (Decimal("0"), Decimal("10000"))
    cancelled = order_handlers.cancel_order(ctx, BUYER, buy.order.order_id)
    assert cancelled.status == "CANCELLED"
    assert cash(ctx, "org-buyer") == (Decimal("10000"), Decimal("0"))
    order_handlers.cancel_order(ctx, SELLER, sell.order.order_id)
    assert registry.balance(seller_account) == 100
    with pytest.raises(DomainError) as err:
        order_handlers.cancel_order(ctx, SELLER, sell.order.order_id)
    assert err.value.code is ErrorCode.FAILED_PRECONDITION


def test_cancel_of_another_organizations_order_is_forbidden(ctx: TradingContext, registry: FakeRegistry) -> None:
    instrument_id = create_instrument(ctx)
    seller_account = registry.open("org-seller", 100)
    sell = place(ctx, SELLER, instrument_id, Side.SELL, "2000", 10, seller_account)
    with pytest.raises(DomainError) as err:
        order_handlers.cancel_order(ctx, BUYER, sell.order.order_id)
    assert err.value.code is ErrorCode.FORBIDDEN


def test_amend_buy_price_down_releases_cash_and_keeps_order(ctx: TradingContext, registry: FakeRegistry) -> None:
    instrument_id = create_instrument(ctx)
    buyer_account = registry.open("org-buyer")
    fund(ctx, "org-buyer", "10000")
    buy = place(ctx, BUYER, instrument_id, Side.BUY, "1000", 10, buyer_account)
    amended = order_handlers.amend_order(ctx, BUYER, buy.order.order_id, new_price=Decimal("800"))
    assert amended.order.price == Decimal("800")
    assert cash(ctx, "org-buyer") == (Decimal("2000"), Decimal("8000"))


def test_amend_sell_quantity_cannot_grow(ctx: TradingContext, registry: FakeRegistry) -> None:
    instrument_id = create_instrument(ctx)
    account = registry.open("org-seller", 100)
    sell = place(ctx, SELLER, instrument_id, Side.SELL, "1000", 10, account)
    with pytest.raises(DomainError) as err:
        order_handlers.amend_order(ctx, SELLER, sell.order.order_id, new_remaining_t=20)
    assert err.value.code is ErrorCode.INVALID_ARGUMENT


def test_place_order_with_same_idempotency_key_returns_the_first_order(
    ctx: TradingContext, registry: FakeRegistry
) -> None:
    instrument_id = create_instrument(ctx)
    account = registry.open("org-seller", 100)
    args = {"instrument_id": instrument_id, "side": Side.SELL, "quantity_t": 10, "account_id": account}
    first = order_handlers.place_order(ctx, SELLER, price=Decimal("1000"), idempotency_key="k1", **args)  # type: ignore[arg-type]
    again = order_handlers.place_order(ctx, SELLER, price=Decimal("1000"), idempotency_key="k1", **args)  # type: ignore[arg-type]
    assert again.order.order_id == first.order.order_id
    assert registry.balance(account) == 90
    with pytest.raises(DomainError) as err:
        order_handlers.place_order(ctx, SELLER, price=Decimal("1100"), idempotency_key="k1", **args)  # type: ignore[arg-type]
    assert err.value.code is ErrorCode.CONFLICT


def test_orders_beyond_the_participant_rate_limit_are_refused(ctx: TradingContext, registry: FakeRegistry) -> None:
    from services.trading.service.context import RateLimiter

    ctx.rate_limiter = RateLimiter(rate_per_s=0.001, burst=2)
    instrument_id = create_instrument(ctx)
    account = registry.open("org-seller", 100)
    place(ctx, SELLER, instrument_id, Side.SELL, "1000", 1, account)
    place(ctx, SELLER, instrument_id, Side.SELL, "1000", 1, account)
    with pytest.raises(DomainError) as err:
        place(ctx, SELLER, instrument_id, Side.SELL, "1000", 1, account)
    assert err.value.reason == "RATE_LIMITED"
    assert registry.balance(account) == 98
