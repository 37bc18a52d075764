"""ReportOtcTrade: most carbon trading is still bilateral (DOMAIN.md §9); reporting those trades
makes their prices public too. A report is either record-only (the parties settle elsewhere) or
settled here by a registry Transfer made with the seller's own token. Statistics keep OTC volume
apart from the exchange's (service/queries.py), so the published exchange price is never diluted by
unverifiable bilateral prices.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from carbon_runtime.errors import invalid
from services.trading.domain.actor import trader_organization
from services.trading.domain.commands import ReportOtcTrade
from services.trading.domain.records import OtcReportRecord
from services.trading.domain.session import Clock
from services.trading.service.common import check_account_owner
from services.trading.service.markets import Markets
from services.trading.service.ports import RegistryPort, UnitOfWork


@dataclass(frozen=True, slots=True)
class OtcReport:
    report_id: str
    instrument_id: str
    price: Decimal
    quantity_t: int
    settled_in_registry: bool
    transfer_id: str | None
    traded_at: datetime


def handle(
    cmd: ReportOtcTrade, uow: UnitOfWork, *, markets: Markets, registry: RegistryPort, clock: Clock
) -> OtcReport:
    organization_id = trader_organization(cmd.actor)
    instrument = markets.get(cmd.instrument_id, uow).instrument
    price = cmd.price
    if not price.is_finite() or price <= 0:
        raise invalid("PRICE_NOT_POSITIVE", "price must be positive")
    instrument.validate_quantity(cmd.quantity_t)
    check_account_owner(registry, cmd.actor, cmd.seller_account_id, organization_id)
    if cmd.seller_account_id == cmd.buyer_account_id:
        raise invalid("SAME_ACCOUNT", "buyer and seller accounts must differ")
    now = clock.now()
    when = cmd.traded_at or now
    if when.tzinfo is None:
        raise invalid("NAIVE_DATETIME", "tradedAt must carry a time zone")
    if when > now:
        raise invalid("TRADED_IN_FUTURE", "an OTC trade cannot be reported before it happened")
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
