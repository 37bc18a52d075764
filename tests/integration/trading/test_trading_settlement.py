"""DvP settlement saga: registry outages, retries, restarts; on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

from services.trading.domain.orders import Side
from services.trading.domain.session import ManualClock
from services.trading.entrypoints.workers import SettlementWorker
from tests.integration.trading.support import ADMIN, START, create_instrument, fund, make_exchange, principal
from tests.support.fake_registry import FakeRegistry

SELLER = principal("org-seller", "TRADER")
BUYER = principal("org-buyer", "TRADER")


def _trade(exchange, registry: FakeRegistry, qty: int = 10):  # type: ignore[no-untyped-def]
    instrument_id = create_instrument(exchange)
    seller_account = registry.open("org-seller", 100)
    buyer_account = registry.open("org-buyer")
    fund(exchange, "org-buyer", "100000")
    exchange.place_order(
        SELLER,
        instrument_id=instrument_id,
        side=Side.SELL,
        price=Decimal("1000"),
        quantity_t=qty,
        account_id=seller_account,
    )
    placed = exchange.place_order(
        BUYER,
        instrument_id=instrument_id,
        side=Side.BUY,
        price=Decimal("1000"),
        quantity_t=qty,
        account_id=buyer_account,
    )
    return instrument_id, placed.trades[0].trade_id, seller_account, buyer_account


def test_trade_stays_pending_while_registry_is_down_then_settles_exactly_once(trading_database_url: str) -> None:
    registry = FakeRegistry()
    exchange = make_exchange(trading_database_url, registry, ManualClock(START))
    registry.down = False
    instrument_id = create_instrument(exchange)
    seller_account = registry.open("org-seller", 100)
    buyer_account = registry.open("org-buyer")
    fund(exchange, "org-buyer", "100000")
    exchange.place_order(
        SELLER,
        instrument_id=instrument_id,
        side=Side.SELL,
        price=Decimal("1000"),
        quantity_t=10,
        account_id=seller_account,
    )
    # The buyer's order is accepted locally (its cash lock is ours); settlement needs the registry.
    real_get_account = registry.get_account
    registry.get_account = lambda account_id, token: registry.accounts[account_id]  # type: ignore[method-assign]
    registry.down = True
    placed = exchange.place_order(
        BUYER,
        instrument_id=instrument_id,
        side=Side.BUY,
        price=Decimal("1000"),
        quantity_t=10,
        account_id=buyer_account,
    )
    trade_id = placed.trades[0].trade_id
    assert not exchange.get_trade(trade_id).settled
    assert exchange.settle_pending() == 0
    assert not exchange.get_trade(trade_id).settled
    cash = exchange.cash_balance(ADMIN, "org-buyer", "JPY")
    assert (cash.available, cash.locked) == (Decimal("90000"), Decimal("10000"))

    registry.down = False
    registry.get_account = real_get_account  # type: ignore[method-assign]
    assert exchange.settle_pending() == 1
    assert exchange.settle_pending() == 0
    trade = exchange.get_trade(trade_id)
    assert trade.settled
    assert trade.delivered_batch_id == registry.batch_of[seller_account]
    assert registry.deliveries == {buyer_account: 10}
    assert {key for key, _ in registry.settle_calls} == {f"settle-{trade_id}"}
    seller_cash = exchange.cash_balance(ADMIN, "org-seller", "JPY")
    assert seller_cash.available == Decimal("10000")
    buyer_cash = exchange.cash_balance(ADMIN, "org-buyer", "JPY")
    assert (buyer_cash.available, buyer_cash.locked) == (Decimal("90000"), Decimal("0"))
    # settling again is a no-op: no second delivery, no second payment
    exchange.settle_trade(trade_id)
    assert registry.deliveries == {buyer_account: 10}
    exchange.db.dispose()


def test_settlement_whose_registry_answer_was_lost_is_retried_and_delivers_once(trading_database_url: str) -> None:
    registry = FakeRegistry()
    exchange = make_exchange(trading_database_url, registry, ManualClock(START))
    registry.lose_settle_answers = 1  # the registry delivers, the answer never arrives
    _, trade_id, _, buyer_account = _trade(exchange, registry)
    assert not exchange.get_trade(trade_id).settled
    assert exchange.settle_pending() == 1
    assert exchange.get_trade(trade_id).settled
    assert registry.deliveries == {buyer_account: 10}
    assert [key for key, _ in registry.settle_calls] == [f"settle-{trade_id}", f"settle-{trade_id}"]
    exchange.db.dispose()


def test_restarted_service_rebuilds_the_book_and_settles_pending_trades_once(trading_database_url: str) -> None:
    registry = FakeRegistry()
    clock = ManualClock(START)
    exchange = make_exchange(trading_database_url, registry, clock)
    instrument_id = create_instrument(exchange)
    seller_account = registry.open("org-seller", 100)
    buyer_account = registry.open("org-buyer")
    fund(exchange, "org-buyer", "1000000")
    for price in ("1100", "1200", "1000"):
        exchange.place_order(
            SELLER,
            instrument_id=instrument_id,
            side=Side.SELL,
            price=Decimal(price),
            quantity_t=10,
            account_id=seller_account,
        )
    exchange.place_order(
        BUYER,
        instrument_id=instrument_id,
        side=Side.BUY,
        price=Decimal("900"),
        quantity_t=7,
        account_id=buyer_account,
    )
    registry.down = True
    registry.get_account = lambda account_id, token: registry.accounts[account_id]  # type: ignore[method-assign]
    placed = exchange.place_order(
        BUYER,
        instrument_id=instrument_id,
        side=Side.BUY,
        price=Decimal("1100"),
        quantity_t=15,
        account_id=buyer_account,
    )
    assert [t.quantity_t for t in placed.trades] == [10, 5]
    before = exchange.market_data(instrument_id, depth=10)
    engine_before = exchange.market(instrument_id).engine
    exchange.db.dispose()

    registry.down = False
    restarted = make_exchange(trading_database_url, registry, clock)
    after = restarted.market_data(instrument_id, depth=10)
    assert after.quote == before.quote
    assert after.last_price == before.last_price == Decimal("1100")
    engine_after = restarted.market(instrument_id).engine
    assert engine_after.trades_executed == engine_before.trades_executed == 2
    for side in (Side.BUY, Side.SELL):
        assert engine_after.resting_orders(side) == engine_before.resting_orders(side)

    worker = SettlementWorker(restarted.app.bus, interval_ms=20)
    worker.start()
    try:
        import time

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(t.settled for t in restarted.list_trades(instrument_id)):
            time.sleep(0.02)
    finally:
        worker.stop()
    assert all(t.settled for t in restarted.list_trades(instrument_id))
    assert registry.deliveries == {buyer_account: 15}
    seller_cash = restarted.cash_balance(ADMIN, "org-seller", "JPY")
    assert seller_cash.available == Decimal("10000") + Decimal("5500")
    # new orders keep matching on the rebuilt book
    again = restarted.place_order(
        BUYER,
        instrument_id=instrument_id,
        side=Side.BUY,
        price=Decimal("1100"),
        quantity_t=5,
        account_id=buyer_account,
    )
    assert [(t.price, t.quantity_t) for t in again.trades] == [(Decimal("1100"), 5)]
    restarted.db.dispose()
