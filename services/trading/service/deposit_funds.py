"""DepositFunds (EXCHANGE_ADMIN): cash an organization paid into the exchange becomes available."""

from __future__ import annotations

import uuid
from decimal import Decimal

from carbon_runtime.errors import invalid
from services.trading.domain.actor import require_role
from services.trading.domain.commands import DepositFunds
from services.trading.domain.records import CashRecord
from services.trading.domain.session import Clock
from services.trading.service.bounds import require_money_in_range
from services.trading.service.ports import UnitOfWork


def handle(cmd: DepositFunds, uow: UnitOfWork, *, clock: Clock) -> CashRecord:
    require_role(cmd.actor, "EXCHANGE_ADMIN")
    amount = cmd.amount
    if not amount.is_finite() or amount <= 0:
        raise invalid("AMOUNT_NOT_POSITIVE", "a deposit must be a positive amount")
    require_money_in_range(amount, "amount")
    currency = cmd.currency
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise invalid("CURRENCY_INVALID", "currency must be an ISO 4217 code such as JPY")
    if not cmd.organization_id:
        raise invalid("ORGANIZATION_REQUIRED", "organizationId is required")
    return uow.cash.adjust(
        cmd.organization_id,
        currency,
        available_delta=amount,
        locked_delta=Decimal(0),
        kind="DEPOSIT",
        reference_id=str(uuid.uuid4()),
        at=clock.now(),
    )
