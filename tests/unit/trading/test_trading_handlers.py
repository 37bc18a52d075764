"""The trading handlers over fakes (message bus, in-memory unit of work, in-memory registry): order
entry, matching, settlement, tenders, OTC reports and idempotency, in milliseconds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.vocabulary import CreditCategory, CreditType
from services.trading.adapters.unit_of_work import SqlUnitOfWork
from services.trading.domain import commands
from services.trading.domain.events import OrderPlaced, OrderRefused, TradeBooked, TradeSettled
from services.trading.domain.instruments import InstrumentCriteria, PriceLimit, PriceLimitKind
from services.trading.domain.orders import Side
from services.trading.service.ports import UnitOfWork
from tests.support.fake_trading_uow import FakeTradingUnitOfWork
from tests.unit.trading.support import ADMIN, BUYER, JPX, SELLER, START, Exchange


@pytest.fixture
def exchange() -> Exchange:
    return Exchange()


def test_sell_locks_credits_under_the_order_id_and_records_order_accepted(exchange: Exchange) -> None:
    instrument_id = exchange.instrument()
    account = exchange.registry.open("org-seller", 50)
    placed = exchange.place(SELLER, instrument_id, Side.SELL, "1500", 20, account)
    assert exchange.registry.locks[placed.order.order_id] == (account, 20)
    assert exchange.registry.lock_calls[0][2] == SELLER.token  # the trader's own token
    assert placed.order.status == "OPEN"
    assert exchange.event_types()[-1] == "OrderPlaced"
    assert exchange.message_types()[-1] == "OrderAccepted"


def test_buy_above_available_cash_is_refused_and_only_the_refusal_is_recorded(exchange: Exchange) -> None:
    instrument_id = exchange.instrument()
    account = exchange.registry.open("org-buyer")
    exchange.fund("org-buyer", "999")
    journal_before = exchange.uow.journal.load(instrument_id)
    with pytest.raises(DomainError) as err:
        exchange.place(BUYER, instrument_id, Side.BUY, "100", 10, account)
    assert err.value.code is ErrorCode.INSUFFICIENT_BALANCE
    assert exchange.cash("org-buyer") == (Decimal("999"), Decimal("0"))
    assert exchange.uow.store.orders == {}
    assert exchange.uow.journal.load(instrument_id) == journal_before
    refused = exchange.uow.events[-1]
    assert isinstance(refused, OrderRefused)
    assert (refused.reason, refused.side) == ("CASH_NOT_AVAILABLE", Side.BUY)
    assert exchange.message_types()[-1] == "OrderRejected"


def test_sell_refused_by_the_engine_gives_its_registry_lock_back_and_rebuilds_the_engine(
    exchange: Exchange,
) -> None:
    instrument_id = exchange.instrument(schedule=JPX)  # call auctions at 11:30 and 15:00 JST
    account = exchange.registry.open("org-seller", 50)
    exchange.place(SELLER, instrument_id, Side.SELL, "1050", 5, account)  # 10:00 JST: pre-open
    market = exchange.markets.get(instrument_id)
    engine_before, journal_before = market.engine, exchange.uow.journal.load(instrument_id)
    with pytest.raises(DomainError) as err:
        exchange.clock.set(START + timedelta(hours=2))  # 12:00 JST: closed after the morning auction
        exchange.place(SELLER, instrument_id, Side.SELL, "1000", 5, account)
    assert err.value.reason == "MARKET_CLOSED"
    # The lock taken for it was given back; its journal entry and order row were undone.
    assert exchange.registry.balance(account) == 45
    assert exchange.registry.unlock_calls[-1][1] == 5
    assert exchange.uow.journal.load(instrument_id) == journal_before
    assert market.engine is not engine_before  # rebuilt from the journal
    assert market.journal_length == len(journal_before)
    assert len(exchange.uow.store.orders) == 1
    assert exchange.message_types()[-1] == "OrderRejected"
    # and the rebuilt book takes orders again when the market reopens
    exchange.clock.set(START + timedelta(hours=3, minutes=45))  # 12:45 JST: pre-open
    exchange.place(SELLER, instrument_id, Side.SELL, "1000", 5, account)
    assert exchange.registry.balance(account) == 40


def test_crossing_orders_trade_at_the_resting_price_and_settle_delivery_versus_payment(exchange: Exchange) -> None:
    instrument_id = exchange.instrument()
    seller_account = exchange.registry.open("org-seller", 100)
    buyer_account = exchange.registry.open("org-buyer")
    exchange.fund("org-buyer", "200000")
    exchange.place(SELLER, instrument_id, Side.SELL, "1500", 40, seller_account)
    buy = exchange.place(BUYER, instrument_id, Side.BUY, "1600", 30, buyer_account)
    assert [(t.price, t.quantity_t, t.settled) for t in buy.trades] == [(Decimal("1500"), 30, True)]
    # 45 000 paid to the seller, the 3 000 a better price left unused released to the buyer
    assert exchange.cash("org-buyer") == (Decimal("155000"), Decimal("0"))
    assert exchange.cash("org-seller") == (Decimal("45000"), Decimal("0"))
    assert exchange.registry.deliveries == {buyer_account: 30}
    kinds = [type(e) for e in exchange.uow.events]
    assert kinds.index(TradeBooked) < kinds.index(TradeSettled)
    assert {"TradeExecuted", "TradeSettled"} <= set(exchange.message_types())


def test_trade_stays_pending_while_the_registry_is_down_and_settles_once_later(exchange: Exchange) -> None:
    instrument_id = exchange.instrument()
    seller_account = exchange.registry.open("org-seller", 100)
    buyer_account = exchange.registry.open("org-buyer")
    exchange.fund("org-buyer", "100000")
    exchange.place(SELLER, instrument_id, Side.SELL, "1000", 10, seller_account)
    exchange.registry.get_account = lambda account_id, token: exchange.registry.accounts[account_id]  # type: ignore[method-assign]
    exchange.registry.down = True
    buy = exchange.place(BUYER, instrument_id, Side.BUY, "1000", 10, buyer_account)
    trade = buy.trades[0]
    assert not trade.settled  # committed as PENDING before the registry was called
    assert exchange.wakes == 1  # the settlement worker is told to retry
    assert exchange.handle(commands.SettlePendingTrades()) == 0
    exchange.registry.down = False
    assert exchange.handle(commands.SettlePendingTrades()) == 1
    assert exchange.handle(commands.SettlePendingTrades()) == 0
    assert exchange.uow.trades.get(trade.trade_id).settled  # type: ignore[union-attr]
    assert exchange.registry.deliveries == {buyer_account: 10}
    assert exchange.cash("org-seller") == (Decimal("10000"), Decimal("0"))
    outcomes = [outcome for trade_id, outcome, _ in exchange.uow.store.attempts if trade_id == trade.trade_id]
    assert outcomes == ["UNAVAILABLE", "UNAVAILABLE", "SETTLED"]


def test_settlement_whose_answer_was_lost_delivers_once_on_retry(exchange: Exchange) -> None:
    instrument_id = exchange.instrument()
    seller_account = exchange.registry.open("org-seller", 100)
    buyer_account = exchange.registry.open("org-buyer")
    exchange.fund("org-buyer", "100000")
    exchange.place(SELLER, instrument_id, Side.SELL, "1000", 10, seller_account)
    exchange.registry.lose_settle_answers = 1
    trade = exchange.place(BUYER, instrument_id, Side.BUY, "1000", 10, buyer_account).trades[0]
    assert not trade.settled
    assert exchange.handle(commands.SettleTrade(trade.trade_id)).settled
    assert exchange.registry.deliveries == {buyer_account: 10}
    assert [key for key, _ in exchange.registry.settle_calls] == [f"settle-{trade.trade_id}"] * 2


def test_place_order_replayed_with_its_key_answers_the_first_order_and_locks_once(exchange: Exchange) -> None:
    instrument_id = exchange.instrument()
    account = exchange.registry.open("org-seller", 100)
    first = exchange.place(SELLER, instrument_id, Side.SELL, "1000", 10, account, idempotency_key="k1")
    again = exchange.place(SELLER, instrument_id, Side.SELL, "1000", 10, account, idempotency_key="k1")
    assert again == first
    assert exchange.registry.balance(account) == 90
    assert len(exchange.registry.lock_calls) == 1
    with pytest.raises(DomainError) as err:
        exchange.place(SELLER, instrument_id, Side.SELL, "1100", 10, account, idempotency_key="k1")
    assert err.value.code is ErrorCode.CONFLICT


def test_cancelled_sell_owes_the_registry_an_unlock_and_gives_it_back(exchange: Exchange) -> None:
    instrument_id = exchange.instrument()
    account = exchange.registry.open("org-seller", 100)
    sell = exchange.place(SELLER, instrument_id, Side.SELL, "2000", 10, account)
    cancelled = exchange.handle(commands.CancelOrder(SELLER, sell.order.order_id))
    assert cancelled.status == "CANCELLED"
    assert exchange.registry.balance(account) == 100
    assert [state for _, state, _ in exchange.uow.store.unlocks.values()] == ["DONE"]
    assert exchange.message_types()[-1] == "OrderCancelled"


def test_cancel_of_another_organizations_order_is_forbidden(exchange: Exchange) -> None:
    instrument_id = exchange.instrument()
    account = exchange.registry.open("org-seller", 100)
    sell = exchange.place(SELLER, instrument_id, Side.SELL, "2000", 10, account)
    with pytest.raises(DomainError) as err:
        exchange.handle(commands.CancelOrder(BUYER, sell.order.order_id))
    assert err.value.code is ErrorCode.FORBIDDEN


def test_amend_buy_price_down_releases_the_cash_difference(exchange: Exchange) -> None:
    instrument_id = exchange.instrument()
    account = exchange.registry.open("org-buyer")
    exchange.fund("org-buyer", "10000")
    buy = exchange.place(BUYER, instrument_id, Side.BUY, "1000", 10, account)
    amended = exchange.handle(commands.AmendOrder(BUYER, buy.order.order_id, new_price=Decimal("800")))
    assert amended.order.price == Decimal("800")
    assert exchange.cash("org-buyer") == (Decimal("2000"), Decimal("8000"))


def test_only_exchange_admin_deposits_funds(exchange: Exchange) -> None:
    with pytest.raises(DomainError) as err:
        exchange.handle(commands.DepositFunds(BUYER, "org-buyer", "JPY", Decimal("1")))
    assert err.value.code is ErrorCode.FORBIDDEN


def test_instrument_created_is_published_with_its_mode(exchange: Exchange) -> None:
    exchange.instrument()
    assert exchange.message_types() == ["InstrumentCreated"]
    assert exchange.uow.messages[0].aggregate_type == "instrument"


def test_tender_awards_highest_bids_pay_as_bid_releases_the_rest_and_unlocks_unsold(exchange: Exchange) -> None:
    instrument_id = exchange.instrument()
    seller_account = exchange.registry.open("org-seller", 100)
    buyer_account = exchange.registry.open("org-buyer")
    exchange.fund("org-buyer", "100000")
    tender = exchange.handle(
        commands.CreateTender(
            SELLER, instrument_id, seller_account, 100, Decimal("1000"), exchange.clock.now() + timedelta(hours=1)
        )
    )
    exchange.handle(commands.SubmitBid(BUYER, tender.tender_id, buyer_account, Decimal("1200"), 60))
    assert exchange.cash("org-buyer") == (Decimal("28000"), Decimal("72000"))
    exchange.clock.set(exchange.clock.now() + timedelta(hours=2))
    closed = exchange.handle(commands.CloseTender(ADMIN, tender.tender_id))
    assert closed.status == "CLOSED"
    assert closed.sold_quantity_t == 60
    assert closed.awards is not None and [(a.price, a.quantity_t) for a in closed.awards] == [(Decimal("1200"), 60)]
    assert exchange.registry.deliveries == {buyer_account: 60}
    assert exchange.registry.balance(seller_account) == 40  # 40 t unsold, unlocked
    assert exchange.cash("org-seller") == (Decimal("72000"), Decimal("0"))
    assert "TenderClosed" in exchange.message_types()


def test_seller_cannot_bid_in_its_own_tender(exchange: Exchange) -> None:
    instrument_id = exchange.instrument()
    seller_account = exchange.registry.open("org-seller", 100)
    tender = exchange.handle(
        commands.CreateTender(
            SELLER, instrument_id, seller_account, 10, Decimal("1000"), exchange.clock.now() + timedelta(hours=1)
        )
    )
    with pytest.raises(DomainError) as err:
        exchange.handle(commands.SubmitBid(SELLER, tender.tender_id, seller_account, Decimal("1200"), 5))
    assert err.value.reason == "OWN_TENDER"


def test_otc_report_between_the_same_account_is_invalid(exchange: Exchange) -> None:
    instrument_id = exchange.instrument()
    account = exchange.registry.open("org-seller", 100)
    with pytest.raises(DomainError) as err:
        exchange.handle(commands.ReportOtcTrade(SELLER, instrument_id, account, account, Decimal("1000"), 5))
    assert err.value.reason == "SAME_ACCOUNT"
    assert exchange.uow.store.otc_reports == []


def test_otc_report_settled_in_registry_transfers_with_the_sellers_token(exchange: Exchange) -> None:
    instrument_id = exchange.instrument()
    seller_account = exchange.registry.open("org-seller", 100)
    buyer_account = exchange.registry.open("org-buyer")
    report = exchange.handle(
        commands.ReportOtcTrade(
            SELLER, instrument_id, seller_account, buyer_account, Decimal("1000"), 5,
            batch_id=exchange.registry.batch_of[seller_account], settle_in_registry=True,
        )
    )  # fmt: skip
    assert report.transfer_id is not None
    assert exchange.registry.balance(buyer_account) == 5
    assert exchange.uow.store.otc_reports[0].transfer_id == report.transfer_id


def test_order_placed_event_carries_the_idempotency_key_and_actor(exchange: Exchange) -> None:
    instrument_id = exchange.instrument()
    account = exchange.registry.open("org-seller", 100)
    exchange.place(SELLER, instrument_id, Side.SELL, "1000", 10, account, idempotency_key="k9")
    placed = exchange.uow.events[-1]
    assert isinstance(placed, OrderPlaced)
    assert (placed.idempotency_key, placed.actor_user_id, placed.actor_organization_id) == (
        "k9",
        SELLER.user_id,
        "org-seller",
    )


def test_call_auction_uncrosses_only_when_its_step_is_due(exchange: Exchange) -> None:
    instrument_id = exchange.instrument(schedule=JPX)
    seller_account = exchange.registry.open("org-seller", 100)
    buyer_account = exchange.registry.open("org-buyer")
    exchange.fund("org-buyer", "20000")
    exchange.place(SELLER, instrument_id, Side.SELL, "1000", 10, seller_account)
    buy = exchange.place(BUYER, instrument_id, Side.BUY, "1100", 10, buyer_account)
    assert buy.trades == []  # pre-open: orders accumulate
    assert exchange.handle(commands.RunDueSessionSteps()) == []
    exchange.clock.set(START + timedelta(hours=1, minutes=31))  # 11:31 JST
    trade_ids = exchange.handle(commands.RunDueSessionSteps())
    assert len(trade_ids) == 1
    trade = exchange.uow.trades.get(trade_ids[0])
    assert trade is not None and (trade.price, trade.settled) == (Decimal("1000"), True)
    assert "AuctionCleared" in exchange.message_types()


def test_the_fake_and_the_sql_unit_of_work_implement_the_port_the_handlers_use() -> None:
    # The real check is mypy's: both must be assignable to services.trading.service.ports.UnitOfWork.
    fake: UnitOfWork = FakeTradingUnitOfWork()
    sql: Callable[..., UnitOfWork] = SqlUnitOfWork
    assert fake.orders.get("none") is None
    assert sql is SqlUnitOfWork


def test_replayed_buy_answers_its_first_result_with_the_settled_trades(exchange: Exchange) -> None:
    instrument_id = exchange.instrument()
    seller_account = exchange.registry.open("org-seller", 100)
    buyer_account = exchange.registry.open("org-buyer")
    exchange.fund("org-buyer", "100000")
    exchange.place(SELLER, instrument_id, Side.SELL, "1000", 10, seller_account)
    first = exchange.place(BUYER, instrument_id, Side.BUY, "1000", 10, buyer_account, idempotency_key="b1")
    again = exchange.place(BUYER, instrument_id, Side.BUY, "1000", 10, buyer_account, idempotency_key="b1")
    assert again == first
    assert again.trades[0].deliveries == ((exchange.registry.batch_of[seller_account], 10),)
    assert exchange.registry.deliveries == {buyer_account: 10}


def test_replayed_create_instrument_answers_the_same_instrument(exchange: Exchange) -> None:
    cmd = commands.CreateInstrument(
        ADMIN,
        name="JCM removal",
        currency="JPY",
        tick_size=Decimal("0.5"),
        criteria=InstrumentCriteria(
            categories=frozenset({CreditCategory.NDC_CONTRIBUTING}),
            credit_types=frozenset({CreditType.REMOVAL}),
            vintage_from=date(2020, 1, 1),
        ),
        reference_price=Decimal("1000"),
        price_limit=PriceLimit(PriceLimitKind.PERCENT, Decimal("30")),
        idempotency_key="i1",
    )
    first = exchange.handle(cmd)
    assert exchange.handle(cmd) == first
    assert len(exchange.uow.store.instruments) == 1
