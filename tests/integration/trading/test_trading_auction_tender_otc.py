"""Call auctions on schedule (injected clock), sealed-bid tenders and OTC reports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from services.trading.domain.orders import Side
from services.trading.domain.session import ManualClock, SessionSchedule
from tests.integration.trading.support import ADMIN, START, Exchange, create_instrument, fund, make_exchange, principal
from tests.support.fake_registry import FakeRegistry

SELLER = principal("org-seller", "TRADER")
BUYER = principal("org-buyer", "TRADER")
BUYER2 = principal("org-buyer2", "TRADER")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry()


@pytest.fixture
def exchange(trading_database_url: str, registry: FakeRegistry, clock: ManualClock) -> Iterator[Exchange]:
    context = make_exchange(trading_database_url, registry, clock)
    yield context
    context.db.dispose()


def test_call_auction_matches_only_at_its_scheduled_time_at_one_price(
    exchange: Exchange, registry: FakeRegistry, clock: ManualClock
) -> None:
    instrument_id = create_instrument(exchange, schedule=SessionSchedule.jpx_carbon_credit_market())
    seller_account = registry.open("org-seller", 100)
    buyer_account = registry.open("org-buyer")
    fund(exchange, "org-buyer", "20000")
    exchange.place_order(
        SELLER,
        instrument_id=instrument_id,
        side=Side.SELL,
        price=Decimal("1000"),
        quantity_t=10,
        account_id=seller_account,
    )
    buy = exchange.place_order(
        BUYER,
        instrument_id=instrument_id,
        side=Side.BUY,
        price=Decimal("1100"),
        quantity_t=10,
        account_id=buyer_account,
    )
    assert buy.trades == []  # PRE_OPEN: orders collect, nothing matches
    assert exchange.market_data(instrument_id).indicative_auction_price == Decimal("1000")
    clock.advance(timedelta(hours=1, minutes=29))
    assert exchange.run_due_steps() == []
    clock.advance(timedelta(minutes=1))  # 11:30 JST: the itayose
    trade_ids = exchange.run_due_steps()
    assert len(trade_ids) == 1
    trade = exchange.get_trade(trade_ids[0])
    assert (trade.price, trade.quantity_t, trade.settled) == (Decimal("1000"), 10, True)
    balance = exchange.cash_balance(ADMIN, "org-buyer", "JPY")
    assert (balance.available, balance.locked) == (Decimal("10000"), Decimal("0"))
    assert exchange.market_data(instrument_id).phase == "CLOSED"
    with pytest.raises(DomainError) as err:
        exchange.place_order(
            BUYER,
            instrument_id=instrument_id,
            side=Side.BUY,
            price=Decimal("1000"),
            quantity_t=1,
            account_id=buyer_account,
        )
    assert (err.value.code, err.value.reason) == (ErrorCode.FAILED_PRECONDITION, "MARKET_CLOSED")
    assert exchange.cash_balance(ADMIN, "org-buyer", "JPY").available == Decimal("10000")


def test_tender_awards_highest_bids_pay_as_bid_and_releases_the_rest(
    exchange: Exchange, registry: FakeRegistry, clock: ManualClock
) -> None:
    instrument_id = create_instrument(exchange)
    seller_account = registry.open("org-seller", 100)
    b1_account, b2_account = registry.open("org-buyer"), registry.open("org-buyer2")
    fund(exchange, "org-buyer", "100000")
    fund(exchange, "org-buyer2", "100000")
    tender = exchange.create_tender(
        SELLER,
        instrument_id=instrument_id,
        seller_account_id=seller_account,
        offered_quantity_t=100,
        minimum_price=Decimal("1000"),
        closes_at=START + timedelta(hours=1),
    )
    assert registry.locks[tender.tender_id] == (seller_account, 100)
    exchange.submit_bid(BUYER, tender_id=tender.tender_id, account_id=b1_account, price=Decimal("1200"), quantity_t=60)
    exchange.submit_bid(BUYER2, tender_id=tender.tender_id, account_id=b2_account, price=Decimal("1100"), quantity_t=60)
    with pytest.raises(DomainError) as low:
        exchange.submit_bid(
            BUYER2, tender_id=tender.tender_id, account_id=b2_account, price=Decimal("900"), quantity_t=1
        )
    assert low.value.reason == "BID_BELOW_MINIMUM_PRICE"
    open_view = exchange.get_tender(tender.tender_id)
    assert open_view is not None
    assert (open_view.bid_count, open_view.awards) == (2, None)  # sealed until close
    with pytest.raises(DomainError) as early:
        exchange.close_tender(ADMIN, tender.tender_id)
    assert early.value.code is ErrorCode.FAILED_PRECONDITION
    clock.advance(timedelta(hours=1))
    closed = exchange.close_tender(ADMIN, tender.tender_id)
    assert closed.awards is not None
    assert [(a.organization_id, a.price, a.quantity_t) for a in closed.awards] == [
        ("org-buyer", Decimal("1200"), 60),
        ("org-buyer2", Decimal("1100"), 40),
    ]
    assert all(exchange.get_trade(a.trade_id).settled for a in closed.awards)
    b2 = exchange.cash_balance(ADMIN, "org-buyer2", "JPY")
    assert (b2.available, b2.locked) == (Decimal("56000"), Decimal("0"))
    seller = exchange.cash_balance(ADMIN, "org-seller", "JPY")
    assert seller.available == Decimal("116000")
    assert registry.deliveries == {b1_account: 60, b2_account: 40}


def test_otc_reports_are_counted_apart_from_exchange_volume(exchange: Exchange, registry: FakeRegistry) -> None:
    instrument_id = create_instrument(exchange)
    seller_account = registry.open("org-seller", 100)
    buyer_account = registry.open("org-buyer")
    exchange.report_otc_trade(
        SELLER,
        instrument_id=instrument_id,
        seller_account_id=seller_account,
        buyer_account_id=buyer_account,
        price=Decimal("950"),
        quantity_t=30,
    )
    settled = exchange.report_otc_trade(
        SELLER,
        instrument_id=instrument_id,
        seller_account_id=seller_account,
        buyer_account_id=buyer_account,
        price=Decimal("1050"),
        quantity_t=10,
        batch_id="batch-x",
        settle_in_registry=True,
    )
    assert settled.transfer_id is not None
    assert registry.balance(buyer_account) == 10  # only the settled report moved credits
    stats = exchange.market_statistics(instrument_id)
    assert (stats.otc_volume_t, stats.otc_report_count, stats.otc_vwap) == (40, 2, Decimal("975.00"))
    assert (stats.exchange_volume_t, stats.exchange_vwap) == (0, None)
    assert exchange.market_data(instrument_id).last_price is None  # OTC never sets the exchange price
    with pytest.raises(DomainError) as err:
        exchange.report_otc_trade(
            BUYER,
            instrument_id=instrument_id,
            seller_account_id=seller_account,
            buyer_account_id=buyer_account,
            price=Decimal("1"),
            quantity_t=1,
        )
    assert err.value.code is ErrorCode.FORBIDDEN
