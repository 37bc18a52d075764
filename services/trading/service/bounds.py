"""Bounds on money values from the edge: at most 10^15 with at most 8 decimal places. Inside them,
Decimal's 28-digit context computes balances, notionals and tick multiples exactly and stored
text stays short; outside them "1e999999" would be written out as a million digits, and a price
check (price % tick) would fail with an internal error instead of INVALID_ARGUMENT."""

from __future__ import annotations

from decimal import Decimal

from carbon_runtime.errors import invalid

MAX_MONEY = Decimal(10) ** 15
MAX_MONEY_DECIMALS = 8


def require_money_in_range(value: Decimal, field: str, reason: str = "AMOUNT_OUT_OF_RANGE") -> Decimal:
    if value.is_finite() and (abs(value) > MAX_MONEY or int(value.as_tuple().exponent) < -MAX_MONEY_DECIMALS):
        raise invalid(
            reason,
            f"{field} must be at most {MAX_MONEY:,} with at most {MAX_MONEY_DECIMALS} decimal places",
            field=field,
        )
    return value
