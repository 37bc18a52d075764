"""ReportOtcTrade and market statistics.

Most carbon trading is still bilateral (DOMAIN.md §9); reporting those trades makes their prices
public too. A report is either record-only (the parties settle elsewhere) or settled here by a
registry Transfer made with the seller's own token. Statistics keep OTC volume apart from the
exchange's, so the published exchange price is never diluted by unverifiable bilateral prices.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import select

from carbon_runtime.errors import invalid
from carbon_runtime.transport.auth import Principal
from services.trading.adapters import repository as repo
from services.trading.adapters import tables as t
from services.trading.service.context import TradingContext
from services.trading.service.orders import check_account_owner, trader_organization
from services.trading.service.tenders import tender_volume_t


@dataclass(frozen=True, slots=True)
class OtcReport:
    report_id: str
    instrument_id: str
    price: Decimal
    quantity_t: int
    settled_in_registry: bool
    transfer_id: str | None
    traded_at: datetime


def report_otc_trade(
    ctx: TradingContext,
    p: Principal,
    *,
    instrument_id: str,
    seller_account_id: str,
    buyer_account_id: str,
    price: Decimal,
    quantity_t: int,
    traded_at: datetime | None = None,
    batch_id: str | None = None,
    settle_in_registry: bool = False,
) -> OtcReport:
    """Reported by a TRADER of the seller's organization."""
    organization_id = trader_organization(p)
    instrument = ctx.market(instrument_id).instrument
    if not price.is_finite() or price <= 0:
        raise invalid("PRICE_NOT_POSITIVE", "price must be positive")
    instrument.validate_quantity(quantity_t)
    check_account_owner(ctx, p, seller_account_id, organization_id)
    if seller_account_id == buyer_account_id:
        raise invalid("SAME_ACCOUNT", "buyer and seller accounts must differ")
    now = ctx.now()
    when = traded_at or now
    if when.tzinfo is None:
        raise invalid("NAIVE_DATETIME", "tradedAt must carry a time zone")
    if when > now:
        raise invalid("TRADED_IN_FUTURE", "an OTC trade cannot be reported before it happened")
    report_id = str(uuid.uuid4())
    transfer_id: str | None = None
    if settle_in_registry:
        if not batch_id:
            raise invalid("BATCH_REQUIRED", "settling an OTC trade in the registry needs the batch delivered")
        transfer_id = ctx.registry.transfer(
            from_account_id=seller_account_id,
            to_account_id=buyer_account_id,
            batch_id=batch_id,
            quantity_t=quantity_t,
            idempotency_key=f"otc-{report_id}",
            token=p.token,
        )
    with ctx.uow() as uow:
        uow.conn.execute(
            t.otc_reports.insert().values(
                report_id=report_id,
                instrument_id=instrument_id,
                seller_organization_id=organization_id,
                seller_account_id=seller_account_id,
                buyer_account_id=buyer_account_id,
                batch_id=batch_id,
                price=repo.money(price),
                quantity_t=quantity_t,
                settled_in_registry=settle_in_registry,
                transfer_id=transfer_id,
                traded_at=when,
                reported_at=now,
            )
        )
    return OtcReport(report_id, instrument_id, price, quantity_t, settle_in_registry, transfer_id, when)


@dataclass(frozen=True, slots=True)
class MarketStatistics:
    exchange_volume_t: int
    exchange_vwap: Decimal | None
    tender_volume_t: int
    otc_volume_t: int
    otc_vwap: Decimal | None
    otc_report_count: int


def market_statistics(ctx: TradingContext, instrument_id: str) -> MarketStatistics:
    market = ctx.market(instrument_id)
    with market.lock:
        exchange_volume = market.tape.volume_t()
        exchange_vwap = market.tape.vwap()
    with ctx.db.connect() as conn:
        rows = conn.execute(
            select(t.otc_reports.c.price, t.otc_reports.c.quantity_t).where(
                t.otc_reports.c.instrument_id == instrument_id
            )
        ).all()
        tender_volume = tender_volume_t(conn, instrument_id)
    otc_volume = sum(int(r.quantity_t) for r in rows)
    notional = sum((Decimal(r.price) * int(r.quantity_t) for r in rows), Decimal(0))
    quantum = market.instrument.tick_size.scaleb(-2)
    otc_vwap = (notional / otc_volume).quantize(quantum, rounding=ROUND_HALF_EVEN) if otc_volume else None
    return MarketStatistics(exchange_volume, exchange_vwap, tender_volume, otc_volume, otc_vwap, len(rows))
