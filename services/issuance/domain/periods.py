"""Inclusive date ranges: crediting periods, monitoring periods, vintages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from carbon_runtime.errors import invalid


@dataclass(frozen=True, slots=True)
class Period:
    """Both ends inclusive, as programs state them (e.g. 2024-01-01 to 2024-12-31)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise invalid(
                "INVALID_PERIOD",
                f"period end {self.end.isoformat()} is before its start {self.start.isoformat()}",
            )

    def contains(self, other: Period) -> bool:
        return self.start <= other.start and other.end <= self.end

    def overlaps(self, other: Period) -> bool:
        return self.start <= other.end and other.start <= self.end
