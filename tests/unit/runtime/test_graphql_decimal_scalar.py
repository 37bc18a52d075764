"""Issue 13 item 9: every Decimal in the graph is a plain decimal string, never an exponent."""

from __future__ import annotations

from decimal import Decimal

import pytest
import strawberry
from strawberry.schema.config import StrawberryConfig

from carbon_runtime.transport.graphql_contract import SCALAR_MAP, plain_decimal


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("0E-8"), "0.00000000"),
        (Decimal("1E+1"), "10"),
        (Decimal("1.5E+3"), "1500"),
        (Decimal("-2.50"), "-2.50"),
        (Decimal("12345678901234567890.123"), "12345678901234567890.123"),
    ],
)
def test_decimals_serialize_as_plain_strings_that_round_trip(value: Decimal, text: str) -> None:
    assert plain_decimal(value) == text
    assert Decimal(text) == value


def test_the_shared_scalar_map_writes_plain_decimals_in_any_schema() -> None:
    """The contract's numbers are decimal strings (「数字は契約どおり」): a zero kept at 8 places and a
    quantized ten reach the client as "0.00000000" and "10", not "0E-8" and "1E+1"."""

    @strawberry.type
    class Query:
        @strawberry.field
        def zero(self) -> Decimal:
            return Decimal("0E-8")

        @strawberry.field
        def ten(self) -> Decimal:
            return Decimal("1E+1")

    schema = strawberry.Schema(query=Query, config=StrawberryConfig(scalar_map=SCALAR_MAP))
    result = schema.execute_sync("{ zero ten }")
    assert result.errors is None
    assert result.data == {"zero": "0.00000000", "ten": "10"}
    assert "scalar Decimal" in str(schema)
