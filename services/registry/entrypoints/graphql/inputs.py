"""The registry subgraph's input types."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from carbon_runtime.transport.graphql_contract import AccountKind, CancellationPurpose, RetirementPurpose, Tonnes


@strawberry.input
class CreateOrganizationInput:
    name: str
    country: str
    accredited_verifier: bool | None = False


@strawberry.input
class OpenAccountInput:
    organization_id: strawberry.ID
    kind: AccountKind | None = AccountKind.HOLDING


@strawberry.input
class TransferCreditsInput:
    from_account_id: strawberry.ID
    to_account_id: strawberry.ID
    batch_id: strawberry.ID
    quantity: Tonnes
    idempotency_key: str | None = None


@strawberry.input
class RetireCreditsInput:
    account_id: strawberry.ID
    batch_id: strawberry.ID
    quantity: Tonnes
    purpose: RetirementPurpose
    beneficiary: str
    retirement_year: int
    offset_emissions: Decimal | None = None
    idempotency_key: str | None = None
    activity_description: str | None = None
    reporting_period_start: dt.date | None = None
    reporting_period_end: dt.date | None = None
    ets_scheme: str | None = strawberry.field(
        default=None,
        description=(
            "ETS_COMPLIANCE only, and then required: the scheme the credits are surrendered to "
            "(CALIFORNIA_CAP_AND_TRADE, CHINA_NATIONAL_ETS, KOREA_ETS, EU_ETS); its offset limit "
            "(METI report Table 8) applies."
        ),
    )
    ets_obligation: Tonnes | None = strawberry.field(
        default=None,
        description=(
            "ETS_COMPLIANCE only, and then required: the compliance obligation in tonnes for retirementYear; "
            "the retirement may cover at most the scheme's share of it (Table 8)."
        ),
    )


@strawberry.input
class CancelCreditsInput:
    account_id: strawberry.ID
    batch_id: strawberry.ID
    quantity: Tonnes
    purpose: CancellationPurpose
    beneficiary: str
    idempotency_key: str | None = None
