"""Query: read-only, through the read model and the live engines (never the bus, never a write)."""

from __future__ import annotations

import strawberry

from carbon_runtime.transport.blocking import blocking
from services.trading.entrypoints.graphql.mappers import Info, app_of, caller
from services.trading.entrypoints.graphql.types import (
    CashBalance,
    ForwardContract,
    ForwardStatistics,
    Instrument,
    MarketData,
    MarketStatistics,
    Order,
    Tender,
    Trade,
    market_data_of,
)
from services.trading.service import queries


@strawberry.type
class Query:
    @strawberry.field
    @blocking
    def instruments(self, info: Info) -> list[Instrument]:
        return [Instrument.from_listing(r) for r in queries.list_instruments(app_of(info).read_model)]

    @strawberry.field
    @blocking
    def order(self, info: Info, id: strawberry.ID) -> Order | None:
        record = queries.get_order(app_of(info).read_model, caller(info), str(id))
        return None if record is None else Order.from_record(record)

    @strawberry.field
    @blocking
    def trades(self, info: Info, instrument_id: strawberry.ID, limit: int | None = 100) -> list[Trade]:
        records = queries.list_trades(app_of(info).read_model, str(instrument_id), 100 if limit is None else limit)
        return [Trade.from_record(t) for t in records]

    @strawberry.field
    @blocking
    def cash_balance(self, info: Info, organization_id: strawberry.ID, currency: str) -> CashBalance:
        record = queries.cash_balance(app_of(info).read_model, caller(info), str(organization_id), currency)
        return CashBalance.from_record(record)

    @strawberry.field(description="Published prices and book depth of an instrument.")
    @blocking
    def market_data(self, info: Info, instrument_id: strawberry.ID, depth: int = 5) -> MarketData:
        return MarketData.from_data(market_data_of(info, str(instrument_id), depth))

    @strawberry.field(description="Volumes by venue, OTC reports counted separately.")
    @blocking
    def market_statistics(self, info: Info, instrument_id: strawberry.ID) -> MarketStatistics:
        app = app_of(info)
        statistics = queries.market_statistics(app.markets, app.read_model, str(instrument_id))
        return MarketStatistics.from_statistics(instrument_id, statistics)

    @strawberry.field
    @blocking
    def tender(self, info: Info, id: strawberry.ID) -> Tender | None:
        view = queries.get_tender(app_of(info).read_model, str(id))
        return None if view is None else Tender.from_view(view)

    @strawberry.field
    @blocking
    def tenders(self, info: Info, instrument_id: strawberry.ID) -> list[Tender]:
        return [Tender.from_view(v) for v in queries.list_tenders(app_of(info).read_model, str(instrument_id))]

    @strawberry.field(description="A forward contract, for members of its seller or buyer (and staff).")
    @blocking
    def forward_contract(self, info: Info, id: strawberry.ID) -> ForwardContract | None:
        record = queries.get_forward(app_of(info).read_model, caller(info), str(id))
        return None if record is None else ForwardContract.from_record(record)

    @strawberry.field(description="Accepted forward contracts' volumes and VWAP, apart from the spot market.")
    @blocking
    def forward_statistics(
        self, info: Info, currency: str, project_id: strawberry.ID | None = None
    ) -> ForwardStatistics:
        stats = queries.forward_statistics(
            app_of(info).read_model, currency, None if project_id is None else str(project_id)
        )
        return ForwardStatistics.from_statistics(stats)
