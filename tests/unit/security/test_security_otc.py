"""OTC reports (issue 14, item 8): price and quantity are bounded (a band around the reference
price, at most 12 significant digits), the accounts and the counterparty are verified, tradedAt
cannot be backdated beyond the window, and no stored report can break marketStatistics."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from services.trading.domain import commands
from services.trading.service import queries
from tests.unit.trading.support import SELLER, Exchange


@pytest.fixture
def exchange() -> Exchange:
    return Exchange()


def _report(
    ex: Exchange, instrument_id: str, seller: str, buyer: str, price: str, quantity_t: int = 5, **kw: Any
) -> Any:
    return ex.handle(commands.ReportOtcTrade(SELLER, instrument_id, seller, buyer, Decimal(price), quantity_t, **kw))


def _refused(ex: Exchange, *args: Any, **kw: Any) -> DomainError:
    with pytest.raises(DomainError) as err:
        _report(ex, *args, **kw)
    assert ex.uow.store.otc_reports == [], "a refused report stores nothing"
    return err.value


@pytest.mark.parametrize("price", ["1E+30", "1e999999", "1234567.89012345", "NaN", "-5"])
def test_otc_prices_out_of_range_are_invalid_argument(exchange: Exchange, price: str) -> None:
    instrument_id = exchange.instrument()
    seller, buyer = exchange.registry.open("org-seller", 100), exchange.registry.open("org-buyer")
    assert _refused(exchange, instrument_id, seller, buyer, price).code is ErrorCode.INVALID_ARGUMENT


def test_otc_prices_outside_the_band_around_the_reference_price_are_refused(exchange: Exchange) -> None:
    instrument_id = exchange.instrument(reference_price=Decimal(1000))
    seller, buyer = exchange.registry.open("org-seller", 100), exchange.registry.open("org-buyer")
    assert _refused(exchange, instrument_id, seller, buyer, "1501").reason == "PRICE_OUTSIDE_OTC_BAND"
    assert _refused(exchange, instrument_id, seller, buyer, "499").reason == "PRICE_OUTSIDE_OTC_BAND"
    assert _report(exchange, instrument_id, seller, buyer, "1500").price == Decimal(1500)


def test_otc_quantities_beyond_any_real_trade_are_refused(exchange: Exchange) -> None:
    instrument_id = exchange.instrument()
    seller, buyer = exchange.registry.open("org-seller", 100), exchange.registry.open("org-buyer")
    assert _refused(exchange, instrument_id, seller, buyer, "1000", 10**15).code is ErrorCode.INVALID_ARGUMENT


def test_otc_counterparty_must_be_an_existing_account_of_another_organization(exchange: Exchange) -> None:
    instrument_id = exchange.instrument()
    seller = exchange.registry.open("org-seller", 100)
    own_other = exchange.registry.open("org-seller")
    assert _refused(exchange, instrument_id, seller, "NO-SUCH-ACCOUNT", "1000").code is ErrorCode.NOT_FOUND
    assert _refused(exchange, instrument_id, seller, own_other, "1000").reason == "COUNTERPARTY_IS_SELLER"


def test_otc_trades_cannot_be_backdated_beyond_the_window(exchange: Exchange) -> None:
    instrument_id = exchange.instrument()
    seller, buyer = exchange.registry.open("org-seller", 100), exchange.registry.open("org-buyer")
    long_ago = exchange.clock.now() - timedelta(days=8)
    error = _refused(exchange, instrument_id, seller, buyer, "1000", traded_at=long_ago)
    assert error.reason == "TRADED_TOO_LONG_AGO"
    recent = exchange.clock.now() - timedelta(days=6)
    assert _report(exchange, instrument_id, seller, buyer, "1000", traded_at=recent).traded_at == recent


class _StoredReports:
    """Reports stored before the bounds existed."""

    def otc_prices(self, instrument_id: str) -> list[tuple[Decimal, int]]:
        return [(Decimal("1E+30"), 5), (Decimal("1000"), 10), (Decimal("990"), 10)]

    def tender_volume_t(self, instrument_id: str) -> int:
        return 0


def test_one_bad_stored_report_never_breaks_market_statistics(exchange: Exchange) -> None:
    instrument_id = exchange.instrument()
    stats = queries.market_statistics(exchange.markets, _StoredReports(), instrument_id)  # type: ignore[arg-type]
    assert (stats.otc_volume_t, stats.otc_report_count, stats.otc_vwap) == (20, 2, Decimal("995.00"))
