"""Strawberry <-> the domain: the caller as an Actor, inputs to commands (the same commands the gRPC
server builds). Results become the subgraph's types through their `from_*` constructors (types.py)."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from carbon_runtime.errors import invalid
from carbon_runtime.transport.auth import Principal
from carbon_runtime.transport.graphql_contract import parse_decimal
from carbon_runtime.transport.graphql_runtime import RequestContext
from carbon_runtime.vocabulary import CreditCategory, CreditType
from services.trading.domain import commands
from services.trading.domain.actor import Actor
from services.trading.domain.instruments import InstrumentCriteria, PriceLimit, PriceLimitKind
from services.trading.domain.orders import Side, TimeInForce
from services.trading.entrypoints.app import TradingApp
from services.trading.entrypoints.graphql.inputs import (
    AcceptForwardInput,
    AmendOrderInput,
    CreateInstrumentInput,
    CreateTenderInput,
    DepositFundsInput,
    InstrumentCriteriaInput,
    OfferForwardInput,
    PlaceOrderInput,
    ReportOtcTradeInput,
    SessionScheduleInput,
    SubmitBidInput,
)

Info = strawberry.Info[RequestContext, None]


def app_of(info: Info) -> TradingApp:
    app: TradingApp = info.context.extras["trading"]
    return app


def actor_of(principal: Principal) -> Actor:
    return Actor(principal.user_id, principal.organization_id, principal.roles, principal.token)


def caller(info: Info) -> Actor:
    return actor_of(info.context.principal)


def decimal(value: Decimal, field: str) -> Decimal:
    # Re-checked with the contract's parser: NaN and Infinity parse as Decimals but are not numbers.
    return parse_decimal(str(value), field)


def criteria(c: InstrumentCriteriaInput) -> InstrumentCriteria:
    return InstrumentCriteria(
        program_ids=frozenset(str(x) for x in c.program_ids) if c.program_ids else None,
        credit_types=frozenset(CreditType(x.value) for x in c.credit_types) if c.credit_types else None,
        categories=frozenset(CreditCategory(x.value) for x in c.categories) if c.categories else None,
        vintage_from=c.vintage_from,
        vintage_to=c.vintage_to,
        corresponding_adjustment_required=bool(c.corresponding_adjustment_required),
        batch_id=str(c.batch_id) if c.batch_id else None,
    )


def schedule(s: SessionScheduleInput) -> commands.ScheduleSpec:
    return commands.ScheduleSpec(
        steps=tuple(commands.ScheduleStepSpec(step.at, step.phase, step.next_phase) for step in s.steps),
        utc_offset_minutes=s.utc_offset_minutes,
    )


def time_in_force(value: str | None) -> TimeInForce:
    try:
        return TimeInForce(value or "GTC")
    except ValueError:
        raise invalid("TIME_IN_FORCE_UNKNOWN", "timeInForce must be GTC, DAY, IOC or FOK") from None


def create_instrument(actor: Actor, input: CreateInstrumentInput) -> commands.CreateInstrument:
    limit = None
    if input.price_limit_percent is not None:
        limit = PriceLimit(PriceLimitKind.PERCENT, decimal(input.price_limit_percent, "priceLimitPercent"))
    return commands.CreateInstrument(
        actor=actor,
        name=input.name,
        currency=input.currency,
        tick_size=decimal(input.tick_size, "tickSize"),
        criteria=criteria(input.criteria),
        lot_size_t=int(input.lot_size) if input.lot_size is not None else 1,
        reference_price=decimal(input.reference_price, "referencePrice") if input.reference_price is not None else None,
        price_limit=limit,
        schedule=schedule(input.schedule) if input.schedule is not None else None,
        idempotency_key=input.idempotency_key,
    )


def deposit_funds(actor: Actor, input: DepositFundsInput) -> commands.DepositFunds:
    return commands.DepositFunds(
        actor=actor,
        organization_id=str(input.organization_id),
        currency=input.currency,
        amount=decimal(input.amount, "amount"),
    )


def place_order(actor: Actor, input: PlaceOrderInput) -> commands.PlaceOrder:
    return commands.PlaceOrder(
        actor=actor,
        instrument_id=str(input.instrument_id),
        side=Side(input.side.value),
        price=decimal(input.price, "price"),
        quantity_t=int(input.quantity),
        account_id=str(input.account_id),
        time_in_force=time_in_force(input.time_in_force),
        idempotency_key=input.idempotency_key,
    )


def amend_order(actor: Actor, input: AmendOrderInput) -> commands.AmendOrder:
    return commands.AmendOrder(
        actor=actor,
        order_id=str(input.order_id),
        new_price=decimal(input.price, "price") if input.price is not None else None,
        new_remaining_t=int(input.remaining_quantity) if input.remaining_quantity is not None else None,
    )


def create_tender(actor: Actor, input: CreateTenderInput) -> commands.CreateTender:
    return commands.CreateTender(
        actor=actor,
        instrument_id=str(input.instrument_id),
        seller_account_id=str(input.seller_account_id),
        offered_quantity_t=int(input.offered_quantity),
        minimum_price=decimal(input.minimum_price, "minimumPrice"),
        closes_at=input.closes_at,
    )


def submit_bid(actor: Actor, input: SubmitBidInput) -> commands.SubmitBid:
    return commands.SubmitBid(
        actor=actor,
        tender_id=str(input.tender_id),
        account_id=str(input.account_id),
        price=decimal(input.price, "price"),
        quantity_t=int(input.quantity),
    )


def report_otc_trade(actor: Actor, input: ReportOtcTradeInput) -> commands.ReportOtcTrade:
    return commands.ReportOtcTrade(
        actor=actor,
        instrument_id=str(input.instrument_id),
        seller_account_id=str(input.seller_account_id),
        buyer_account_id=str(input.buyer_account_id),
        price=decimal(input.price, "price"),
        quantity_t=int(input.quantity),
        traded_at=input.traded_at,
        batch_id=str(input.batch_id) if input.batch_id else None,
        settle_in_registry=input.settle_in_registry,
    )


def offer_forward(actor: Actor, input: OfferForwardInput) -> commands.OfferForward:
    share = input.prepayment_share
    return commands.OfferForward(
        actor=actor,
        project_id=str(input.project_id),
        seller_account_id=str(input.seller_account_id),
        buyer_organization_id=str(input.buyer_organization_id),
        quantity_t=int(input.quantity),
        price_per_tonne=decimal(input.price_per_tonne, "input.pricePerTonne"),
        currency=input.currency,
        delivery_deadline=input.delivery_deadline,
        vintage_from=input.vintage_from,
        vintage_to=input.vintage_to,
        prepayment_share=Decimal(0) if share is None else decimal(share, "input.prepaymentShare"),
        idempotency_key=input.idempotency_key,
    )


def accept_forward(actor: Actor, input: AcceptForwardInput) -> commands.AcceptForward:
    return commands.AcceptForward(
        actor=actor,
        forward_id=str(input.forward_id),
        delivery_account_id=str(input.delivery_account_id),
        idempotency_key=input.idempotency_key,
    )
