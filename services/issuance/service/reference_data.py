"""Rules shared by the reference-data handlers (create/update program and methodology)."""

from __future__ import annotations

from typing import TypeVar

from carbon_runtime.errors import invalid
from services.issuance.domain.countries import validate_country

V = TypeVar("V")


def countries(codes: tuple[str, ...] | None) -> frozenset[str] | None:
    if codes is None:
        return None
    return frozenset(validate_country(c, "allowedHostCountries") for c in codes)


def required(value: V | None, field: str) -> V:
    if value is None:
        raise invalid("REQUIRED_FIELD", f"{field} is required", field=field)
    return value
