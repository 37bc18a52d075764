from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.vocabulary import CreditCategory, CreditType
from services.trading.domain.instruments import (
    BatchAttributes,
    Instrument,
    InstrumentCriteria,
    JCreditExchangeCategory,
    PriceLimit,
    PriceLimitKind,
)

BATCH = BatchAttributes(
    batch_id="B-1",
    program_id="J-CREDIT",
    credit_type=CreditType.REDUCTION,
    category=CreditCategory.NDC_CONTRIBUTING,
    vintage_start=date(2022, 4, 1),
    vintage_end=date(2023, 3, 31),
    corresponding_adjustment=False,
    jcredit_exchange_category=JCreditExchangeCategory.ENERGY_SAVING,
)


def instrument(**overrides: object) -> Instrument:
    fields: dict[str, object] = {"id": "I-1", "name": "J-Credit energy saving", "currency": "JPY"}
    fields.update(overrides)
    return Instrument(**fields)  # type: ignore[arg-type]


def reason_of(error: pytest.ExceptionInfo[DomainError]) -> str:
    assert error.value.code is ErrorCode.INVALID_ARGUMENT
    return error.value.reason


def test_empty_criteria_accept_any_batch() -> None:
    assert InstrumentCriteria().matches(BATCH)


def test_criteria_accept_a_batch_meeting_every_field() -> None:
    criteria = InstrumentCriteria(
        program_ids=frozenset({"J-CREDIT", "JCM"}),
        credit_types=frozenset({CreditType.REDUCTION}),
        categories=frozenset({CreditCategory.NDC_CONTRIBUTING}),
        jcredit_exchange_categories=frozenset({JCreditExchangeCategory.ENERGY_SAVING}),
        vintage_from=date(2022, 4, 1),
        vintage_to=date(2023, 3, 31),
        batch_id="B-1",
    )
    assert criteria.matches(BATCH)
    assert criteria.mismatches(BATCH) == []


@pytest.mark.parametrize(
    ("criteria", "reason"),
    [
        (InstrumentCriteria(program_ids=frozenset({"VCS"})), "PROGRAM_NOT_ALLOWED"),
        (InstrumentCriteria(credit_types=frozenset({CreditType.REMOVAL})), "CREDIT_TYPE_NOT_ALLOWED"),
        (InstrumentCriteria(categories=frozenset({CreditCategory.GLOBAL})), "CATEGORY_NOT_ALLOWED"),
        (
            InstrumentCriteria(jcredit_exchange_categories=frozenset({JCreditExchangeCategory.FOREST})),
            "JCREDIT_CATEGORY_NOT_ALLOWED",
        ),
        (InstrumentCriteria(vintage_from=date(2022, 5, 1)), "VINTAGE_TOO_OLD"),
        (InstrumentCriteria(vintage_to=date(2023, 3, 30)), "VINTAGE_TOO_RECENT"),
        (InstrumentCriteria(corresponding_adjustment_required=True), "CORRESPONDING_ADJUSTMENT_REQUIRED"),
        (InstrumentCriteria(batch_id="B-2"), "BATCH_NOT_ALLOWED"),
    ],
)
def test_criteria_reject_a_batch_failing_one_field(criteria: InstrumentCriteria, reason: str) -> None:
    assert not criteria.matches(BATCH)
    assert criteria.mismatches(BATCH) == [reason]


def test_criteria_on_jcredit_category_reject_batches_without_one() -> None:
    vcs_batch = BatchAttributes(
        batch_id="V-1",
        program_id="VCS",
        credit_type=CreditType.REMOVAL,
        category=CreditCategory.GLOBAL,
        vintage_start=date(2021, 1, 1),
        vintage_end=date(2021, 12, 31),
        corresponding_adjustment=True,
    )
    criteria = InstrumentCriteria(jcredit_exchange_categories=frozenset({JCreditExchangeCategory.FOREST}))
    assert criteria.mismatches(vcs_batch) == ["JCREDIT_CATEGORY_NOT_ALLOWED"]


def test_criteria_refuse_an_inverted_vintage_window() -> None:
    with pytest.raises(DomainError) as error:
        InstrumentCriteria(vintage_from=date(2024, 1, 1), vintage_to=date(2023, 1, 1))
    assert reason_of(error) == "VINTAGE_RANGE_INVERTED"


def test_instrument_defaults_to_one_yen_tick_and_one_tonne_lot() -> None:
    default = instrument()
    assert default.tick_size == Decimal("1")
    assert default.lot_size_t == 1
    assert default.limit_band_ticks() is None


@pytest.mark.parametrize(
    ("price", "reason"),
    [
        (Decimal("0"), "PRICE_NOT_POSITIVE"),
        (Decimal("-5"), "PRICE_NOT_POSITIVE"),
        (Decimal("NaN"), "PRICE_NOT_FINITE"),
        (Decimal("Infinity"), "PRICE_NOT_FINITE"),
        (Decimal("1000.5"), "PRICE_NOT_ON_TICK"),
    ],
)
def test_price_validation_rejects_bad_prices(price: Decimal, reason: str) -> None:
    with pytest.raises(DomainError) as error:
        instrument().price_to_ticks(price)
    assert reason_of(error) == reason


def test_price_converts_to_ticks_of_a_fractional_tick_size() -> None:
    half_yen = instrument(tick_size=Decimal("0.5"))
    assert half_yen.price_to_ticks(Decimal("1000.5")) == 2001
    assert half_yen.ticks_to_price(2001) == Decimal("1000.5")
    with pytest.raises(DomainError) as error:
        half_yen.price_to_ticks(Decimal("1000.25"))
    assert reason_of(error) == "PRICE_NOT_ON_TICK"


def test_no_price_limits_apply_until_a_reference_price_is_set() -> None:
    limited_without_reference = instrument(price_limit=PriceLimit(PriceLimitKind.ABSOLUTE, Decimal(100)))
    assert limited_without_reference.price_to_ticks(Decimal("999999")) == 999999


def test_absolute_price_limit_accepts_the_band_edges_and_rejects_beyond() -> None:
    limited = instrument(reference_price=Decimal(3000), price_limit=PriceLimit(PriceLimitKind.ABSOLUTE, Decimal(500)))
    assert limited.limit_band_ticks() == (2500, 3500)
    assert limited.price_to_ticks(Decimal(2500)) == 2500
    assert limited.price_to_ticks(Decimal(3500)) == 3500
    for outside in (Decimal(2499), Decimal(3501)):
        with pytest.raises(DomainError) as error:
            limited.price_to_ticks(outside)
        assert reason_of(error) == "PRICE_OUTSIDE_LIMITS"


def test_percent_price_limit_rounds_the_band_inwards_to_ticks() -> None:
    # ±30 % of 1001 is 700.7 .. 1301.3: the first and last whole-yen prices inside are 701 and 1301.
    limited = instrument(reference_price=Decimal(1001), price_limit=PriceLimit(PriceLimitKind.PERCENT, Decimal(30)))
    assert limited.limit_band_ticks() == (701, 1301)
    with pytest.raises(DomainError) as error:
        limited.price_to_ticks(Decimal(700))
    assert reason_of(error) == "PRICE_OUTSIDE_LIMITS"


def test_price_limit_band_never_allows_non_positive_prices() -> None:
    limited = instrument(reference_price=Decimal(100), price_limit=PriceLimit(PriceLimitKind.ABSOLUTE, Decimal(500)))
    assert limited.limit_band_ticks() == (1, 600)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"tick_size": Decimal(0)}, "TICK_SIZE_NOT_POSITIVE"),
        ({"lot_size_t": 0}, "LOT_SIZE_NOT_POSITIVE"),
        ({"currency": "yen"}, "CURRENCY_INVALID"),
        ({"reference_price": Decimal("10.5")}, "REFERENCE_PRICE_NOT_ON_TICK"),
        ({"reference_price": Decimal(0)}, "REFERENCE_PRICE_NOT_POSITIVE"),
    ],
)
def test_instrument_refuses_invalid_definitions(overrides: dict[str, object], reason: str) -> None:
    with pytest.raises(DomainError) as error:
        instrument(**overrides)
    assert reason_of(error) == reason


def test_quantity_must_be_a_positive_multiple_of_the_lot() -> None:
    lots_of_ten = instrument(lot_size_t=10)
    assert lots_of_ten.validate_quantity(30) == 30
    for bad, reason in ((0, "QUANTITY_NOT_POSITIVE"), (15, "QUANTITY_NOT_LOT_MULTIPLE")):
        with pytest.raises(DomainError) as error:
            lots_of_ten.validate_quantity(bad)
        assert reason_of(error) == reason


def test_price_limit_amount_must_be_positive() -> None:
    with pytest.raises(DomainError) as error:
        PriceLimit(PriceLimitKind.PERCENT, Decimal(0))
    assert reason_of(error) == "PRICE_LIMIT_NOT_POSITIVE"
