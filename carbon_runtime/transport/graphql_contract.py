"""Scalars and enums of the public contract (shared/contract/credit-graph.graphql), defined once so
that every subgraph declares them identically (federation composes only identical value types)."""

from __future__ import annotations

import enum
from decimal import Decimal, InvalidOperation
from typing import Any, NewType

import strawberry
from strawberry.schema.types.base_scalars import DecimalDefinition
from strawberry.types.scalar import ScalarDefinition

from carbon_runtime import vocabulary
from carbon_runtime.errors import invalid

MAX_TONNES = 2**53 - 1


def _parse_tonnes(value: Any) -> int:
    # bool is an int subclass in Python; true/false is never a quantity.
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid("QUANTITY_NOT_POSITIVE_INTEGER", "Tonnes must be a whole number (JSON integer)")
    if value < 0 or value > MAX_TONNES:
        raise invalid("QUANTITY_OUT_OF_RANGE", f"Tonnes must be between 0 and {MAX_TONNES}")
    return value


def _serialize_tonnes(value: Any) -> int:
    return int(value)


Tonnes = NewType("Tonnes", int)

TONNES_SCALAR = strawberry.scalar(
    name="Tonnes",
    description="Whole tonnes of CO2e: a non-negative integer up to 2^53-1, serialized as a JSON number.",
    serialize=_serialize_tonnes,
    parse_value=_parse_tonnes,
)


def plain_decimal(value: Any) -> str:
    """A Decimal as the contract writes it: a plain decimal string, never an exponent.

    ``str(Decimal)`` switches to scientific notation for small or trailing-zero values (``0E-8``,
    ``1E+1``), which JSON consumers and spreadsheets misread; ``format(d, "f")`` keeps every digit
    (``0.00000000``, ``10``), so the string still round-trips to the same Decimal (issue 13 item 9)."""
    return format(Decimal(value), "f")


# Same name and description as Strawberry's built-in Decimal scalar, so the SDL does not change; only
# the serialization does, once here for every service's graph.
DECIMAL_SCALAR = ScalarDefinition(
    name=DecimalDefinition.name,
    description=DecimalDefinition.description,
    specified_by_url=None,
    serialize=plain_decimal,
    parse_value=DecimalDefinition.parse_value,
    parse_literal=None,
    origin=Decimal,
)

SCALAR_MAP: dict[object, Any] = {Tonnes: TONNES_SCALAR, Decimal: DECIMAL_SCALAR}


def parse_decimal(value: str, field: str) -> Decimal:
    """Decimals travel as strings; reject NaN/Infinity and anything that is not a plain number."""
    try:
        d = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise invalid("DECIMAL_MALFORMED", f'{field} must be a decimal number as a string, e.g. "12.50"') from None
    if not d.is_finite():
        raise invalid("DECIMAL_MALFORMED", f"{field} must be a finite decimal number")
    return d


# The enums every service shares are defined once, in carbon_runtime/vocabulary.py (checked against the
# protos); these lines expose those same classes as the contract's GraphQL enums, so a domain value
# passes through a resolver unchanged.
CreditType = vocabulary.CreditType
CreditBasis = vocabulary.CreditBasis
CreditCategory = vocabulary.CreditCategory
ProjectStatus = vocabulary.ProjectStatus
AccountKind = vocabulary.AccountKind
UnitStatus = vocabulary.UnitStatus
RetirementPurpose = vocabulary.RetirementPurpose
CancellationPurpose = vocabulary.CancellationPurpose
strawberry.enum(CreditType)
strawberry.enum(CreditBasis)
strawberry.enum(CreditCategory, description="The four categories of the report's section 6.1.1: (1) ... (4).")
strawberry.enum(ProjectStatus)
strawberry.enum(AccountKind)
strawberry.enum(UnitStatus)
strawberry.enum(RetirementPurpose)
strawberry.enum(CancellationPurpose)


@strawberry.enum
class ValidationOutcome(enum.Enum):
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


@strawberry.enum
class InstitutionalUse(enum.Enum):
    SHK_MANDATORY = "SHK_MANDATORY"
    SHK_VOLUNTARY = "SHK_VOLUNTARY"
    GX_LEAGUE = "GX_LEAGUE"
    PUBLIC_PROCUREMENT = "PUBLIC_PROCUREMENT"
    KEIDANREN_DOMESTIC = "KEIDANREN_DOMESTIC"
    CORSIA = "CORSIA"
    SBTI_NEUTRALIZATION = "SBTI_NEUTRALIZATION"


@strawberry.enum
class OrderSide(enum.Enum):
    BUY = "BUY"
    SELL = "SELL"


@strawberry.enum
class OrderStatus(enum.Enum):
    OPEN = "OPEN"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"


@strawberry.enum
class Role(enum.Enum):
    REGISTRY_ADMIN = "REGISTRY_ADMIN"
    PROGRAM_ADMIN = "PROGRAM_ADMIN"
    EXCHANGE_ADMIN = "EXCHANGE_ADMIN"
    VERIFIER = "VERIFIER"
    PROPONENT = "PROPONENT"
    ACCOUNT_HOLDER = "ACCOUNT_HOLDER"
    TRADER = "TRADER"
    AUDITOR = "AUDITOR"
