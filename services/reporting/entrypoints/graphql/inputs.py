"""The reporting subgraph's input types."""

from __future__ import annotations

from decimal import Decimal

import strawberry


@strawberry.input
class ShkReportInput:
    organization_id: strawberry.ID
    fiscal_year: int
    reported_emissions: Decimal
    purchased_electricity_emissions: Decimal | None = strawberry.field(
        default=Decimal("0"), description="Emissions from purchased electricity, the cap for the certificate deduction."
    )
    non_fossil_certificate_kwh: Decimal | None = Decimal("0")
    national_average_emission_factor: Decimal | None = strawberry.field(
        default=Decimal("0"), description="tCO2 per kWh."
    )
    correction_factor: Decimal | None = Decimal("1")
