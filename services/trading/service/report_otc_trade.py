"""ReportOtcTrade: most carbon trading is still bilateral (DOMAIN.md §9); reporting those trades
makes their prices public too. A report is either record-only (the parties settle elsewhere) or
settled here by a registry Transfer made with the seller's own token. Statistics keep OTC volume
apart from the exchange's (service/queries.py), so the published exchange price is never diluted by
unverifiable bilateral prices.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from carbon_runtime.errors import forbidden, invalid
from services.trading.domain.actor import trader_organization
from services.trading.domain.commands import ReportOtcTrade
from services.trading.domain.records import OtcReportRecord
from services.trading.domain.session import Clock
from services.trading.service.bounds import require_money_in_range
from services.trading.service.common import check_account_owner
from services.trading.service.markets import Markets
from services.trading.service.ports import RegistryPort, UnitOfWork

#: Prices are published; more significant digits than this cannot be a real price and only serve
#: to break aggregates (a 1E+30 report once made marketStatistics fail for good).
MAX_PRICE_SIGNIFICANT_DIGITS = 12
#: Reported tonnes above this are refused (more than the world's annual issuance).
MAX_OTC_QUANTITY_T = 10**10


@dataclass(frozen=True, slots=True)
class OtcPolicy:
    """Bounds on reported OTC trades (TRADING_OTC_* settings). `price_band_pct`: the price must lie
    within this percentage around the instrument's reference price (else its exchange VWAP), when
    it has one; `max_backdate_s`: how far in the past `tradedAt` may lie."""

    price_band_pct: Decimal = Decimal(50)
    max_backdate_s: int = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class OtcReport:
    report_id: str
    instrument_id: str
    price: Decimal
    quantity_t: int
    settled_in_registry: bool
    transfer_id: str | None
    traded_at: datetime


def _bounded_price(price: Decimal) -> Decimal:
    if not price.is_finite() or price <= 0:
        raise invalid("PRICE_NOT_POSITIVE", "price must be positive", field="price")
    require_money_in_range(price, "price", "PRICE_OUT_OF_RANGE")
    if len(price.normalize().as_tuple().digits) > MAX_PRICE_SIGNIFICANT_DIGITS:
        raise invalid(
            "PRICE_OUT_OF_RANGE",
            f"price has more than {MAX_PRICE_SIGNIFICANT_DIGITS} significant digits",
            field="price",
        )
    return price


def handle(
    cmd: ReportOtcTrade,
    uow: UnitOfWork,
    *,
    markets: Markets,
    registry: RegistryPort,
    clock: Clock,
    service_token: Callable[[], str] | None = None,
    otc_policy: OtcPolicy = OtcPolicy(),
) -> OtcReport:
    organization_id = trader_organization(cmd.actor)
    market = markets.get(cmd.instrument_id, uow)
    instrument = market.instrument
    price = _bounded_price(cmd.price)
    instrument.validate_quantity(cmd.quantity_t)
    if cmd.quantity_t > MAX_OTC_QUANTITY_T:
        raise invalid("QUANTITY_OUT_OF_RANGE", f"quantity must be at most {MAX_OTC_QUANTITY_T} t", field="quantity")
    reference = instrument.reference_price
    if reference is None:
        with market.lock:
            reference = market.tape.vwap()
    if reference is not None and otc_policy.price_band_pct > 0:
        width = reference * otc_policy.price_band_pct / Decimal(100)
        if not reference - width <= price <= reference + width:
            raise invalid(
                "PRICE_OUTSIDE_OTC_BAND",
                f"an OTC price must lie within {otc_policy.price_band_pct}% of the reference price {reference}",
                field="price",
            )
    check_account_owner(registry, cmd.actor, cmd.seller_account_id, organization_id)
    if cmd.seller_account_id == cmd.buyer_account_id:
        raise invalid("SAME_ACCOUNT", "buyer and seller accounts must differ")
    # The counterparty must be real: an existing HOLDING account of another organization (read on
    # the exchange's own behalf: the seller may not read another organization's account).
    buyer = registry.get_account(cmd.buyer_account_id, service_token() if service_token else cmd.actor.token)
    if buyer.kind != "HOLDING":
        raise invalid("ACCOUNT_NOT_HOLDING", "OTC trades deliver to HOLDING accounts only", field="buyerAccountId")
    if buyer.organization_id == organization_id:
        raise forbidden("COUNTERPARTY_IS_SELLER", "an OTC trade needs a counterparty in another organization")
    now = clock.now()
    when = cmd.traded_at or now
    if when.tzinfo is None:
        raise invalid("NAIVE_DATETIME", "tradedAt must carry a time zone")
    if when > now:
        raise invalid("TRADED_IN_FUTURE", "an OTC trade cannot be reported before it happened")
    if when < now - timedelta(seconds=otc_policy.max_backdate_s):
        raise invalid(
            "TRADED_TOO_LONG_AGO",
            f"tradedAt may lie at most {otc_policy.max_backdate_s} s in the past",
            field="tradedAt",
        )
    report_id = str(uuid.uuid4())
    transfer_id: str | None = None
    if cmd.settle_in_registry:
        if not cmd.batch_id:
            raise invalid("BATCH_REQUIRED", "settling an OTC trade in the registry needs the batch delivered")
        transfer_id = registry.transfer(
            from_account_id=cmd.seller_account_id,
            to_account_id=cmd.buyer_account_id,
            batch_id=cmd.batch_id,
            quantity_t=cmd.quantity_t,
            idempotency_key=f"otc-{report_id}",
            token=cmd.actor.token,
        )
    uow.otc_reports.add(
        OtcReportRecord(
            report_id=report_id,
            instrument_id=cmd.instrument_id,
            seller_organization_id=organization_id,
            seller_account_id=cmd.seller_account_id,
            buyer_account_id=cmd.buyer_account_id,
            batch_id=cmd.batch_id,
            price=price,
            quantity_t=cmd.quantity_t,
            settled_in_registry=cmd.settle_in_registry,
            transfer_id=transfer_id,
            traded_at=when,
            reported_at=now,
        )
    )
    return OtcReport(report_id, cmd.instrument_id, price, cmd.quantity_t, cmd.settle_in_registry, transfer_id, when)
