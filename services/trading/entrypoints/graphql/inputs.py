"""The trading subgraph's input types (what mutations accept)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from carbon_runtime.transport.graphql_contract import CreditCategory, CreditType, OrderSide, Tonnes


@strawberry.input(
    description="What a credit must be to be delivered against an instrument; absent fields do not restrict."
)
class InstrumentCriteriaInput:
    program_ids: list[strawberry.ID] | None = None
    credit_types: list[CreditType] | None = None
    categories: list[CreditCategory] | None = None
    vintage_from: dt.date | None = None
    vintage_to: dt.date | None = None
    batch_id: strawberry.ID | None = None
    corresponding_adjustment_required: bool | None = False


@strawberry.input(
    description="One daily step: at a local time, switch phase (AUCTION uncrosses, then moves to `nextPhase`)."
)
class SessionStepInput:
    at: str = strawberry.field(description='Local time "HH:MM".')
    phase: str = strawberry.field(description="PRE_OPEN, AUCTION, CONTINUOUS or CLOSED.")
    # Not `then`: JavaScript treats any object with a `then` property as a promise, so gateways and
    # clients written in JavaScript choke on such variables (issue 22).
    next_phase: str | None = strawberry.field(
        default=None, description="The phase after an AUCTION step's uncross (CONTINUOUS or CLOSED)."
    )


@strawberry.input
class SessionScheduleInput:
    steps: list[SessionStepInput]
    utc_offset_minutes: int = 540


@strawberry.input
class CreateInstrumentInput:
    name: str
    currency: str
    tick_size: Decimal
    criteria: InstrumentCriteriaInput
    lot_size: Tonnes | None = None
    reference_price: Decimal | None = None
    price_limit_percent: Decimal | None = strawberry.field(
        default=None, description="Daily band of ± this percent around the reference price."
    )
    schedule: SessionScheduleInput | None = None
    idempotency_key: str | None = None


@strawberry.input
class DepositFundsInput:
    organization_id: strawberry.ID
    currency: str
    amount: Decimal


@strawberry.input
class PlaceOrderInput:
    instrument_id: strawberry.ID
    side: OrderSide
    price: Decimal
    quantity: Tonnes
    account_id: strawberry.ID = strawberry.field(
        description="Sell: the holding account that delivers. Buy: the holding account that receives."
    )
    idempotency_key: str | None = None
    time_in_force: str | None = strawberry.field(default=None, description="GTC (default), DAY, IOC or FOK.")


@strawberry.input
class AmendOrderInput:
    order_id: strawberry.ID
    price: Decimal | None = None
    remaining_quantity: Tonnes | None = None


@strawberry.input
class CreateTenderInput:
    instrument_id: strawberry.ID
    seller_account_id: strawberry.ID
    offered_quantity: Tonnes
    minimum_price: Decimal
    closes_at: dt.datetime


@strawberry.input
class SubmitBidInput:
    tender_id: strawberry.ID
    account_id: strawberry.ID
    price: Decimal
    quantity: Tonnes


@strawberry.input
class ReportOtcTradeInput:
    instrument_id: strawberry.ID
    seller_account_id: strawberry.ID
    buyer_account_id: strawberry.ID
    price: Decimal
    quantity: Tonnes
    traded_at: dt.datetime | None = None
    batch_id: strawberry.ID | None = None
    settle_in_registry: bool = strawberry.field(
        default=False, description="Move the credits with a registry transfer (needs batchId); else record only."
    )


@strawberry.input(description="Offered by a TRADER of the seller (the project's proponent organization).")
class OfferForwardInput:
    project_id: strawberry.ID
    seller_account_id: strawberry.ID
    buyer_organization_id: strawberry.ID
    quantity: Tonnes
    price_per_tonne: Decimal
    currency: str
    delivery_deadline: dt.date
    vintage_from: int | None = None
    vintage_to: int | None = None
    prepayment_share: Decimal | None = Decimal("0")
    idempotency_key: str | None = None


@strawberry.input(
    description="Accepted by a TRADER of the buyer; price × quantity of the buyer's cash is locked in escrow."
)
class AcceptForwardInput:
    forward_id: strawberry.ID
    delivery_account_id: strawberry.ID
    idempotency_key: str | None = None
