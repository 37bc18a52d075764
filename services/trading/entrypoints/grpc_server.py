"""carbon.trading.v1.TradingService: the exchange's internal gRPC API. Requests become the same
commands as GraphQL's, run on the bus in a worker thread (they do database and registry I/O); the
handler's result is the response. DomainErrors become status codes in the interceptor."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from carbon.issuance.v1 import types_pb2 as issuance_types_pb2
from carbon.registry.v1 import types_pb2 as registry_types_pb2
from carbon.trading.v1 import trading_pb2, trading_pb2_grpc, types_pb2

from carbon_runtime.errors import invalid, not_found
from carbon_runtime.transport.auth import Principal
from carbon_runtime.transport.blocking import in_thread
from carbon_runtime.transport.graphql_contract import parse_decimal
from carbon_runtime.transport.grpc_runtime import current_principal
from carbon_runtime.vocabulary import CreditCategory, CreditType
from services.trading.domain import commands
from services.trading.domain.actor import Actor
from services.trading.domain.instruments import InstrumentCriteria
from services.trading.domain.orders import Side
from services.trading.domain.records import money
from services.trading.entrypoints.app import TradingApp
from services.trading.service import queries
from services.trading.service.messages import instrument_proto, order_proto, trade_proto


def _criteria(c: registry_types_pb2.DeliveryCriteria) -> InstrumentCriteria:
    try:
        return InstrumentCriteria(
            program_ids=frozenset(c.program_ids) or None,
            credit_types=frozenset(
                CreditType(issuance_types_pb2.CreditType.Name(x).removeprefix("CREDIT_TYPE_")) for x in c.credit_types
            )
            or None,
            categories=frozenset(
                CreditCategory(issuance_types_pb2.CreditCategory.Name(x).removeprefix("CREDIT_CATEGORY_"))
                for x in c.categories
            )
            or None,
            vintage_from=date.fromisoformat(c.vintage_from) if c.vintage_from else None,
            vintage_to=date.fromisoformat(c.vintage_to) if c.vintage_to else None,
            corresponding_adjustment_required=c.corresponding_adjustment_required,
            batch_id=c.batch_id or None,
        )
    except ValueError as exc:
        raise invalid("CRITERIA_MALFORMED", f"delivery criteria are malformed: {exc}") from None


_SIDES = {types_pb2.ORDER_SIDE_BUY: Side.BUY, types_pb2.ORDER_SIDE_SELL: Side.SELL}


def _actor() -> Actor:
    p: Principal = current_principal()
    return Actor(p.user_id, p.organization_id, p.roles, p.token)


class TradingServicer(trading_pb2_grpc.TradingServiceServicer):
    def __init__(self, app: TradingApp) -> None:
        self.app = app

    async def CreateInstrument(self, request: Any, context: Any) -> trading_pb2.CreateInstrumentResponse:  # noqa: N802
        cmd = commands.CreateInstrument(
            actor=_actor(),
            name=request.name,
            currency=request.currency,
            tick_size=parse_decimal(request.tick_size_decimal, "tick_size_decimal"),
            criteria=_criteria(request.criteria),
            idempotency_key=request.idempotency_key or None,
        )
        listed = await in_thread(self.app.bus.handle, cmd)
        return trading_pb2.CreateInstrumentResponse(instrument=instrument_proto(listed))

    async def PlaceOrder(self, request: Any, context: Any) -> trading_pb2.PlaceOrderResponse:  # noqa: N802
        actor = _actor()
        side = _SIDES.get(request.side)
        if side is None:
            raise invalid("SIDE_UNSPECIFIED", "side must be BUY or SELL")
        cmd = commands.PlaceOrder(
            actor=actor,
            instrument_id=request.instrument_id,
            side=side,
            price=parse_decimal(request.price_decimal, "price_decimal"),
            quantity_t=int(request.quantity_t),
            account_id=request.account_id,
            idempotency_key=request.idempotency_key or None,
        )
        placed = await in_thread(self.app.bus.handle, cmd)
        return trading_pb2.PlaceOrderResponse(
            order=order_proto(placed.order), trades=[trade_proto(t) for t in placed.trades]
        )

    async def CancelOrder(self, request: Any, context: Any) -> trading_pb2.CancelOrderResponse:  # noqa: N802
        order = await in_thread(self.app.bus.handle, commands.CancelOrder(_actor(), request.order_id))
        return trading_pb2.CancelOrderResponse(order=order_proto(order))

    async def GetOrder(self, request: Any, context: Any) -> trading_pb2.GetOrderResponse:  # noqa: N802
        order = await in_thread(queries.get_order, self.app.read_model, _actor(), request.order_id)
        if order is None:
            raise not_found("ORDER_NOT_FOUND", f"no order {request.order_id!r}")
        return trading_pb2.GetOrderResponse(order=order_proto(order))

    async def ListTrades(self, request: Any, context: Any) -> trading_pb2.ListTradesResponse:  # noqa: N802
        limit = int(request.limit) or 100
        trades = await in_thread(queries.list_trades, self.app.read_model, request.instrument_id, limit)
        return trading_pb2.ListTradesResponse(trades=[trade_proto(t) for t in trades])

    async def GetMarketData(self, request: Any, context: Any) -> trading_pb2.GetMarketDataResponse:  # noqa: N802
        depth = max(0, int(request.depth))
        app = self.app
        data = await in_thread(
            queries.market_data, app.markets, app.read_model, app.clock, request.instrument_id, depth
        )

        def levels(side: Any) -> list[types_pb2.PriceLevel]:
            return [
                types_pb2.PriceLevel(
                    price_decimal=money(lv.price), quantity_t=lv.quantity_t, order_count=lv.order_count
                )
                for lv in side[:depth]
            ]

        def dec(value: Decimal | None) -> str:
            return "" if value is None else money(value)

        return trading_pb2.GetMarketDataResponse(
            instrument=instrument_proto(data.instrument),
            last_price_decimal=dec(data.last_price),
            best_bid_decimal=dec(data.quote.best_bid),
            best_ask_decimal=dec(data.quote.best_ask),
            bids=levels(data.quote.bids),
            asks=levels(data.quote.asks),
            volume_24h_t=data.volume_24h_t,
        )
