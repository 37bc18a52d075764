"""Tradable instruments: what may be delivered against them and which prices are acceptable.

An instrument is a standardised contract (like Xpansiv CBL's GEO / N-GEO or the JPX carbon-credit
market's J-Credit categories): buyers trade a price for "any credit that meets the criteria", so the
criteria decide which batches a seller may deliver. Prices cross this module's boundary as
`Decimal` and become integer ticks inside the matching engine, so the engine never rounds money.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from carbon_runtime.errors import invalid
from carbon_runtime.vocabulary import CreditCategory, CreditType


class JCreditExchangeCategory(enum.StrEnum):
    """The J-Credit sub-markets listed on the JPX carbon-credit market (by project origin)."""

    ENERGY_SAVING = "ENERGY_SAVING"
    RENEWABLE_ELECTRICITY = "RENEWABLE_ELECTRICITY"
    RENEWABLE_HEAT = "RENEWABLE_HEAT"
    RENEWABLE_MIXED = "RENEWABLE_MIXED"
    FOREST = "FOREST"
    OTHER = "OTHER"


class PriceLimitKind(enum.StrEnum):
    ABSOLUTE = "ABSOLUTE"  # ± an amount of currency around the reference price
    PERCENT = "PERCENT"  # ± a percentage of the reference price


@dataclass(frozen=True, slots=True)
class BatchAttributes:
    """The attributes of a credit batch that delivery criteria look at (they travel with the credits)."""

    batch_id: str
    program_id: str
    credit_type: CreditType
    category: CreditCategory
    vintage_start: date
    vintage_end: date
    corresponding_adjustment: bool
    jcredit_exchange_category: JCreditExchangeCategory | None = None


@dataclass(frozen=True, slots=True)
class InstrumentCriteria:
    """What a credit must be to be delivered; a field left at None (or False) does not restrict."""

    program_ids: frozenset[str] | None = None
    credit_types: frozenset[CreditType] | None = None
    categories: frozenset[CreditCategory] | None = None
    jcredit_exchange_categories: frozenset[JCreditExchangeCategory] | None = None
    vintage_from: date | None = None
    vintage_to: date | None = None
    corresponding_adjustment_required: bool = False
    batch_id: str | None = None

    def __post_init__(self) -> None:
        if self.vintage_from and self.vintage_to and self.vintage_from > self.vintage_to:
            raise invalid("VINTAGE_RANGE_INVERTED", "vintage_from must not be after vintage_to")

    def mismatches(self, batch: BatchAttributes) -> list[str]:
        """Reason codes of every criterion the batch fails; empty when it may be delivered."""
        reasons: list[str] = []
        if self.batch_id is not None and batch.batch_id != self.batch_id:
            reasons.append("BATCH_NOT_ALLOWED")
        if self.program_ids is not None and batch.program_id not in self.program_ids:
            reasons.append("PROGRAM_NOT_ALLOWED")
        if self.credit_types is not None and batch.credit_type not in self.credit_types:
            reasons.append("CREDIT_TYPE_NOT_ALLOWED")
        if self.categories is not None and batch.category not in self.categories:
            reasons.append("CATEGORY_NOT_ALLOWED")
        if (
            self.jcredit_exchange_categories is not None
            and batch.jcredit_exchange_category not in self.jcredit_exchange_categories
        ):
            reasons.append("JCREDIT_CATEGORY_NOT_ALLOWED")
        # The whole monitoring period must lie inside the window: a batch straddling vintage_from
        # contains tonnes reduced before it.
        if self.vintage_from is not None and batch.vintage_start < self.vintage_from:
            reasons.append("VINTAGE_TOO_OLD")
        if self.vintage_to is not None and batch.vintage_end > self.vintage_to:
            reasons.append("VINTAGE_TOO_RECENT")
        if self.corresponding_adjustment_required and not batch.corresponding_adjustment:
            reasons.append("CORRESPONDING_ADJUSTMENT_REQUIRED")
        return reasons

    def matches(self, batch: BatchAttributes) -> bool:
        return not self.mismatches(batch)


@dataclass(frozen=True, slots=True)
class PriceLimit:
    """Daily price-limit band around the reference price (JPX-style 値幅制限)."""

    kind: PriceLimitKind
    amount: Decimal  # currency units for ABSOLUTE, percent (e.g. Decimal("30") = ±30 %) for PERCENT

    def __post_init__(self) -> None:
        if not self.amount.is_finite() or self.amount <= 0:
            raise invalid("PRICE_LIMIT_NOT_POSITIVE", "a price-limit amount must be positive")

    def band(self, reference_price: Decimal) -> tuple[Decimal, Decimal]:
        percent = self.kind is PriceLimitKind.PERCENT
        width = reference_price * self.amount / Decimal(100) if percent else self.amount
        return reference_price - width, reference_price + width


@dataclass(frozen=True, slots=True)
class Instrument:
    id: str
    name: str
    currency: str
    criteria: InstrumentCriteria = field(default_factory=InstrumentCriteria)
    tick_size: Decimal = Decimal("1")
    lot_size_t: int = 1
    # Without a reference price there are no price limits (contract README, "Trading defaults").
    reference_price: Decimal | None = None
    price_limit: PriceLimit | None = None

    def __post_init__(self) -> None:
        if not self.tick_size.is_finite() or self.tick_size <= 0:
            raise invalid("TICK_SIZE_NOT_POSITIVE", "tick size must be a positive decimal")
        if self.lot_size_t < 1:
            raise invalid("LOT_SIZE_NOT_POSITIVE", "lot size must be at least one tonne")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise invalid("CURRENCY_INVALID", "currency must be an ISO 4217 code such as JPY")
        if self.reference_price is not None:
            if self.reference_price <= 0:
                raise invalid("REFERENCE_PRICE_NOT_POSITIVE", "reference price must be positive")
            if self.reference_price % self.tick_size != 0:
                raise invalid("REFERENCE_PRICE_NOT_ON_TICK", "reference price must be a tick multiple")

    # --- conversion between the edge (Decimal) and the engine (int ticks) ---------------------------

    def ticks_to_price(self, price_ticks: int) -> Decimal:
        return self.tick_size * price_ticks

    def reference_price_ticks(self) -> int | None:
        if self.reference_price is None:
            return None
        return int(self.reference_price / self.tick_size)

    def limit_band_ticks(self) -> tuple[int, int] | None:
        """Inclusive [low, high] tick band, rounded inwards so every tick in it is inside the limit."""
        if self.reference_price is None or self.price_limit is None:
            return None
        low, high = self.price_limit.band(self.reference_price)
        low_ticks = int((low / self.tick_size).to_integral_value(rounding=ROUND_CEILING))
        high_ticks = int((high / self.tick_size).to_integral_value(rounding=ROUND_FLOOR))
        # A price must stay positive even when the band reaches below zero.
        return max(low_ticks, 1), high_ticks

    def price_to_ticks(self, price: Decimal) -> int:
        """Validate an order price from the edge and convert it to ticks.

        Raises INVALID_ARGUMENT with PRICE_NOT_FINITE, PRICE_NOT_POSITIVE, PRICE_NOT_ON_TICK or
        PRICE_OUTSIDE_LIMITS.
        """
        if not price.is_finite():
            raise invalid("PRICE_NOT_FINITE", "price must be a finite decimal", price=str(price))
        if price <= 0:
            raise invalid("PRICE_NOT_POSITIVE", "price must be positive", price=str(price))
        if price % self.tick_size != 0:
            raise invalid(
                "PRICE_NOT_ON_TICK",
                f"price must be a multiple of the tick size {self.tick_size}",
                price=str(price),
                tick_size=str(self.tick_size),
            )
        price_ticks = int(price / self.tick_size)
        band = self.limit_band_ticks()
        if band is not None and not band[0] <= price_ticks <= band[1]:
            raise invalid(
                "PRICE_OUTSIDE_LIMITS",
                f"price must lie between {self.ticks_to_price(band[0])} and {self.ticks_to_price(band[1])}",
                price=str(price),
                low=str(self.ticks_to_price(band[0])),
                high=str(self.ticks_to_price(band[1])),
            )
        return price_ticks

    def validate_quantity(self, quantity_t: int) -> int:
        """Raises INVALID_ARGUMENT QUANTITY_NOT_POSITIVE or QUANTITY_NOT_LOT_MULTIPLE."""
        if quantity_t < 1:
            raise invalid("QUANTITY_NOT_POSITIVE", "quantity must be at least one tonne", quantity=quantity_t)
        if quantity_t % self.lot_size_t:
            raise invalid(
                "QUANTITY_NOT_LOT_MULTIPLE",
                f"quantity must be a multiple of the lot size {self.lot_size_t} t",
                quantity=quantity_t,
            )
        return quantity_t
