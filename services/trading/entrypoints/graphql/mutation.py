"""Mutation: each maps its input to a command, runs it on the bus (off the event loop) and maps the
handler's result to the answer. No re-read."""

from __future__ import annotations

import strawberry

from carbon_runtime.transport.blocking import blocking
from services.trading.domain import commands
from services.trading.entrypoints.graphql import mappers
from services.trading.entrypoints.graphql.inputs import (
    AcceptForwardInput,
    AmendOrderInput,
    CreateInstrumentInput,
    CreateTenderInput,
    DepositFundsInput,
    OfferForwardInput,
    PlaceOrderInput,
    ReportOtcTradeInput,
    SubmitBidInput,
)
from services.trading.entrypoints.graphql.mappers import Info, app_of, caller
from services.trading.entrypoints.graphql.types import (
    CashBalance,
    ForwardContract,
    Instrument,
    Order,
    OtcTradeReport,
    Tender,
    TenderBid,
)


@strawberry.type
class Mutation:
    @strawberry.mutation
    @blocking
    def create_instrument(self, info: Info, input: CreateInstrumentInput) -> Instrument:
        listed = app_of(info).bus.handle(mappers.create_instrument(caller(info), input))
        return Instrument.from_listing(listed)

    @strawberry.mutation
    @blocking
    def deposit_funds(self, info: Info, input: DepositFundsInput) -> CashBalance:
        return CashBalance.from_record(app_of(info).bus.handle(mappers.deposit_funds(caller(info), input)))

    @strawberry.mutation
    @blocking
    def place_order(self, info: Info, input: PlaceOrderInput) -> Order:
        placed = app_of(info).bus.handle(mappers.place_order(caller(info), input))
        return Order.from_record(placed.order)

    @strawberry.mutation
    @blocking
    def cancel_order(self, info: Info, order_id: strawberry.ID) -> Order:
        cancelled = app_of(info).bus.handle(commands.CancelOrder(caller(info), str(order_id)))
        return Order.from_record(cancelled)

    @strawberry.mutation
    @blocking
    def amend_order(self, info: Info, input: AmendOrderInput) -> Order:
        placed = app_of(info).bus.handle(mappers.amend_order(caller(info), input))
        return Order.from_record(placed.order)

    @strawberry.mutation
    @blocking
    def create_tender(self, info: Info, input: CreateTenderInput) -> Tender:
        return Tender.from_view(app_of(info).bus.handle(mappers.create_tender(caller(info), input)))

    @strawberry.mutation
    @blocking
    def submit_bid(self, info: Info, input: SubmitBidInput) -> TenderBid:
        return TenderBid.from_view(app_of(info).bus.handle(mappers.submit_bid(caller(info), input)))

    @strawberry.mutation
    @blocking
    def close_tender(self, info: Info, tender_id: strawberry.ID) -> Tender:
        return Tender.from_view(app_of(info).bus.handle(commands.CloseTender(caller(info), str(tender_id))))

    @strawberry.mutation
    @blocking
    def report_otc_trade(self, info: Info, input: ReportOtcTradeInput) -> OtcTradeReport:
        return OtcTradeReport.from_report(app_of(info).bus.handle(mappers.report_otc_trade(caller(info), input)))

    @strawberry.mutation(description="A forward contract on the project's future tonnes (TRADER of its proponent).")
    @blocking
    def offer_forward(self, info: Info, input: OfferForwardInput) -> ForwardContract:
        return ForwardContract.from_record(app_of(info).bus.handle(mappers.offer_forward(caller(info), input)))

    @strawberry.mutation(description="Accept an offered forward (TRADER of the buyer): the escrow is locked.")
    @blocking
    def accept_forward(self, info: Info, input: AcceptForwardInput) -> ForwardContract:
        return ForwardContract.from_record(app_of(info).bus.handle(mappers.accept_forward(caller(info), input)))

    @strawberry.mutation(
        description="Withdraw or decline an offer; an ACTIVE contract ends once both parties have cancelled it."
    )
    @blocking
    def cancel_forward(self, info: Info, forward_id: strawberry.ID) -> ForwardContract:
        cancelled = app_of(info).bus.handle(commands.CancelForward(caller(info), str(forward_id)))
        return ForwardContract.from_record(cancelled)
