from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from services.trading.domain.session import JST
from services.trading.domain.tender import Tender, TenderStatus

OPENS = datetime(2024, 6, 1, 9, 0, tzinfo=JST)
CLOSES = datetime(2024, 6, 14, 17, 0, tzinfo=JST)


def new_tender(offered_t: int = 100, minimum: str = "1500") -> Tender:
    return Tender("T-2024-1", offered_t, Decimal(minimum), CLOSES)


def minute(n: int) -> datetime:
    return OPENS + timedelta(minutes=n)


def test_bids_fill_from_the_highest_price_and_pay_their_own_price() -> None:
    tender = new_tender(offered_t=100)
    tender.submit_bid("bid-a", "org-a", Decimal(1600), 50, minute(1))
    tender.submit_bid("bid-b", "org-b", Decimal(2000), 30, minute(2))
    tender.submit_bid("bid-c", "org-c", Decimal(1800), 40, minute(3))
    result = tender.close(CLOSES)
    assert [(a.bid_id, a.price, a.quantity_t, a.amount) for a in result.awards] == [
        ("bid-b", Decimal(2000), 30, Decimal(60000)),
        ("bid-c", Decimal(1800), 40, Decimal(72000)),
        ("bid-a", Decimal(1600), 30, Decimal(48000)),  # the marginal bid is filled in part
    ]
    assert (result.sold_quantity_t, result.unsold_quantity_t, result.bid_quantity_t) == (100, 0, 120)
    assert result.proceeds == Decimal(180000)
    assert result.average_winning_price == Decimal(1800)  # volume-weighted: 180000 / 100
    assert result.median_winning_price == Decimal(1800)
    assert (result.highest_winning_price, result.lowest_winning_price) == (Decimal(2000), Decimal(1600))


def test_equal_prices_are_filled_in_submission_order() -> None:
    tender = new_tender(offered_t=10)
    tender.submit_bid("late", "org-late", Decimal(1700), 10, minute(5))
    tender.submit_bid("later", "org-later", Decimal(1700), 10, minute(6))
    result = tender.close(CLOSES)
    assert [(a.bid_id, a.quantity_t) for a in result.awards] == [("late", 10)]
    assert (result.bidder_count, result.winner_count) == (2, 1)


def test_undersubscribed_tender_sells_only_what_was_bid() -> None:
    tender = new_tender(offered_t=100)
    tender.submit_bid("a", "org-a", Decimal(1500), 20, minute(1))
    tender.submit_bid("b", "org-a", Decimal(1510), 20, minute(2))
    result = tender.close(CLOSES)
    assert (result.sold_quantity_t, result.unsold_quantity_t) == (40, 60)
    assert result.average_winning_price == Decimal(1505)
    assert result.median_winning_price == Decimal(1505)  # mean of the two middle winning bids
    assert (result.bidder_count, result.winner_count) == (1, 1)


def test_tender_without_bids_closes_with_no_prices() -> None:
    result = new_tender().close(CLOSES)
    assert result.sold_quantity_t == 0
    assert result.average_winning_price is None
    assert result.median_winning_price is None
    assert result.awards == ()


def test_bids_below_the_minimum_price_are_refused() -> None:
    with pytest.raises(DomainError) as error:
        new_tender(minimum="1500").submit_bid("a", "org-a", Decimal(1499), 10, minute(1))
    assert (error.value.code, error.value.reason) == (ErrorCode.INVALID_ARGUMENT, "BID_BELOW_MINIMUM_PRICE")


def test_bids_stay_sealed_until_close() -> None:
    tender = new_tender()
    tender.submit_bid("a", "org-a", Decimal(1600), 10, minute(1))
    assert tender.bid_count == 1
    with pytest.raises(DomainError) as error:
        tender.bids()
    assert (error.value.code, error.value.reason) == (ErrorCode.FAILED_PRECONDITION, "TENDER_NOT_CLOSED")
    with pytest.raises(DomainError):
        _ = tender.result
    tender.close(CLOSES)
    assert [bid.bid_id for bid in tender.bids()] == ["a"]
    assert tender.status is TenderStatus.CLOSED


def test_bids_at_or_after_the_closing_time_are_refused() -> None:
    tender = new_tender()
    with pytest.raises(DomainError) as error:
        tender.submit_bid("a", "org-a", Decimal(1600), 10, CLOSES)
    assert error.value.reason == "TENDER_CLOSED"


def test_tender_cannot_close_early_or_twice() -> None:
    tender = new_tender()
    with pytest.raises(DomainError) as early:
        tender.close(CLOSES - timedelta(seconds=1))
    assert early.value.reason == "TENDER_STILL_OPEN"
    tender.close(CLOSES)
    with pytest.raises(DomainError) as twice:
        tender.close(CLOSES)
    assert twice.value.reason == "TENDER_CLOSED"


def test_duplicate_bid_ids_conflict_and_bad_bids_are_invalid() -> None:
    tender = new_tender()
    tender.submit_bid("a", "org-a", Decimal(1600), 10, minute(1))
    with pytest.raises(DomainError) as duplicate:
        tender.submit_bid("a", "org-a", Decimal(1600), 10, minute(2))
    assert duplicate.value.code is ErrorCode.CONFLICT
    with pytest.raises(DomainError) as zero:
        tender.submit_bid("b", "org-b", Decimal(1600), 0, minute(2))
    assert zero.value.reason == "QUANTITY_NOT_POSITIVE"
    with pytest.raises(DomainError) as off_tick:
        tender.submit_bid("c", "org-c", Decimal("1600.5"), 1, minute(2))
    assert off_tick.value.reason == "PRICE_NOT_ON_TICK"


def test_average_winning_price_is_rounded_to_the_currency_minor_unit() -> None:
    """Issue 13 item 9 (「数字は契約どおり」): tender averages are rounded to the currency's minor unit.
    The report asks for prices published as carbon-pricing signals (§5.3 「カーボン・クレジットの価格が
    公示される形で取引される市場」);
    2 t at 1,500 yen and 1 t at 1,501 yen average 1,500.33… yen, published as 1,500 yen; in dollars
    the same bids average 1,500.33."""
    bids = [("a", 1500, 2), ("b", 1501, 1)]
    for currency, expected in (("JPY", Decimal("1500")), ("USD", Decimal("1500.33"))):
        tender = Tender("T-2024-2", 3, Decimal(1500), CLOSES, Decimal(1), currency)
        for n, (bid_id, price, quantity_t) in enumerate(bids):
            tender.submit_bid(bid_id, f"org-{bid_id}", Decimal(price), quantity_t, minute(n))
        result = tender.close(CLOSES)
        assert result.proceeds == Decimal(4501)  # exact: the sum of what winners pay
        assert result.average_winning_price == expected
        assert str(result.average_winning_price) == str(expected)
