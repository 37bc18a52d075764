"""Call auctions on schedule (injected clock), sealed-bid tenders and OTC reports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from services.trading.domain.orders import Side
from services.trading.domain.session import ManualClock, SessionSchedule
from services.trading.service import instruments as instrument_handlers
from services.trading.service import orders as order_handlers
from services.trading.service import otc, queries, tenders
from services.trading.service.context import TradingContext
from services.trading.service.sessions import run_due_steps
from tests.trading.trading_support import ADMIN, START, FakeRegistry, create_instrument, fund, make_context, principal

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
def ctx(database_url: str, registry: FakeRegistry, clock: ManualClock) -> Iterator[TradingContext]:
    context = make_context(database_url, registry, clock)
    yield context
    context.db.dispose()


def test_call_auction_matches_only_at_its_scheduled_time_at_one_price(
    ctx: TradingContext, registry: FakeRegistry, clock: ManualClock
) -> None:
    instrument_id = create_instrument(ctx, schedule=SessionSchedule.jpx_carbon_credit_market())
    seller_account = registry.open("org-seller", 100)
    buyer_account = registry.open("org-buyer")
    fund(ctx, "org-buyer", "20000")
    order_handlers.place_order(
        ctx, SELLER, instrument_id=instrument_id, side=Side.SELL, price=Decimal("1000"), quantity_t=10,
        account_id=seller_account,
    )  # fmt: skip
    buy = order_handlers.place_order(
        ctx, BUYER, instrument_id=instrument_id, side=Side.BUY, price=Decimal("1100"), quantity_t=10,
        account_id=buyer_account,
    )  # fmt: skip
    assert buy.trades == []  # PRE_OPEN: orders collect, nothing matches
    assert queries.market_data(ctx, instrument_id).indicative_auction_price == Decimal("1000")
    clock.advance(timedelta(hours=1, minutes=29))
    assert run_due_steps(ctx) == []
    clock.advance(timedelta(minutes=1))  # 11:30 JST: the itayose
    trade_ids = run_due_steps(ctx)
    assert len(trade_ids) == 1
    trade = queries.get_trade(ctx, trade_ids[0])
    assert (trade.price, trade.quantity_t, trade.settled) == (Decimal("1000"), 10, True)
    balance = instrument_handlers.cash_balance(ctx, ADMIN, "org-buyer", "JPY")
    assert (balance.available, balance.locked) == (Decimal("10000"), Decimal("0"))
    assert queries.market_data(ctx, instrument_id).phase == "CLOSED"
    with pytest.raises(DomainError) as err:
        order_handlers.place_order(
            ctx, BUYER, instrument_id=instrument_id, side=Side.BUY, price=Decimal("1000"), quantity_t=1,
            account_id=buyer_account,
        )  # fmt: skip
    assert (err.value.code, err.value.reason) == (ErrorCode.FAILED_PRECONDITION, "MARKET_CLOSED")
    assert instrument_handlers.cash_balance(ctx, ADMIN, "org-buyer", "JPY").available == Decimal("10000")


def test_tender_awards_highest_bids_pay_as_bid_and_releases_the_rest(
    ctx: TradingContext, registry: FakeRegistry, clock: ManualClock
) -> None:
    instrument_id = create_instrument(ctx)
    seller_account = registry.open("org-seller", 100)
    b1_account, b2_account = registry.open("org-buyer"), registry.open("org-buyer2")
    fund(ctx, "org-buyer", "100000")
    fund(ctx, "org-buyer2", "100000")
    tender = tenders.create_tender(
        ctx, SELLER, instrument_id=instrument_id, seller_account_id=seller_account, offered_quantity_t=100,
        minimum_price=Decimal("1000"), closes_at=START + timedelta(hours=1),
    )  # fmt: skip
    assert registry.locks[tender.tender_id] == (seller_account, 100)
    tenders.submit_bid(
        ctx, BUYER, tender_id=tender.tender_id, account_id=b1_account, price=Decimal("1200"), quantity_t=60
    )
    tenders.submit_bid(
        ctx, BUYER2, tender_id=tender.tender_id, account_id=b2_account, price=Decimal("1100"), quantity_t=60
    )
    with pytest.raises(DomainError) as low:
        tenders.submit_bid(
            ctx, BUYER2, tender_id=tender.tender_id, account_id=b2_account, price=Decimal("900"), quantity_t=1
        )
    assert low.value.reason == "BID_BELOW_MINIMUM_PRICE"
    open_view = tenders.get_tender(ctx, tender.tender_id)
    assert open_view is not None
    assert (open_view.bid_count, open_view.awards) == (2, None)  # sealed until close
    with pytest.raises(DomainError) as early:
        tenders.close_tender(ctx, ADMIN, tender.tender_id)
    assert early.value.code is ErrorCode.FAILED_PRECONDITION
    clock.advance(timedelta(hours=1))
    closed = tenders.close_tender(ctx, ADMIN, tender.tender_id)
    assert closed.awards is not None
    assert [(a.organization_id, a.price, a.quantity_t) for a in closed.awards] == [
        ("org-buyer", Decimal("1200"), 60),
        ("org-buyer2", Decimal("1100"), 40),
    ]
    assert all(queries.get_trade(ctx, a.trade_id).settled for a in closed.awards)
    b2 = instrument_handlers.cash_balance(ctx, ADMIN, "org-buyer2", "JPY")
    assert (b2.available, b2.locked) == (Decimal("56000"), Decimal("0"))
    seller = instrument_handlers.cash_balance(ctx, ADMIN, "org-seller", "JPY")
    assert seller.available == Decimal("116000")
    assert registry.deliveries == {b1_account: 60, b2_account: 40}


def test_otc_reports_are_counted_apart_from_exchange_volume(ctx: TradingContext, registry: FakeRegistry) -> None:
    instrument_id = create_instrument(ctx)
    seller_account = registry.open("org-seller", 100)
    buyer_account = registry.open("org-buyer")
    otc.report_otc_trade(
        ctx, SELLER, instrument_id=instrument_id, seller_account_id=seller_account, buyer_account_id=buyer_account,
        price=Decimal("950"), quantity_t=30,
    )  # fmt: skip
    settled = otc.report_otc_trade(
        ctx, SELLER, instrument_id=instrument_id, seller_account_id=seller_account, buyer_account_id=buyer_account,
        price=Decimal("1050"), quantity_t=10, batch_id="batch-x", settle_in_registry=True,
    )  # fmt: skip
    assert settled.transfer_id is not None
    assert registry.balance(buyer_account) == 10  # only the settled report moved credits
    stats = otc.market_statistics(ctx, instrument_id)
    assert (stats.otc_volume_t, stats.otc_report_count, stats.otc_vwap) == (40, 2, Decimal("975.00"))
    assert (stats.exchange_volume_t, stats.exchange_vwap) == (0, None)
    assert queries.market_data(ctx, instrument_id).last_price is None  # OTC never sets the exchange price
    with pytest.raises(DomainError) as err:
        otc.report_otc_trade(
            ctx, BUYER, instrument_id=instrument_id, seller_account_id=seller_account, buyer_account_id=buyer_account,
            price=Decimal("1"), quantity_t=1,
        )  # fmt: skip
    assert err.value.code is ErrorCode.FORBIDDEN
