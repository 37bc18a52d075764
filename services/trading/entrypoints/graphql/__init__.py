"""The trading subgraph (Strawberry federation): instruments, orders, trades, cash balances, tenders
and market data, with live market-data subscriptions."""

from __future__ import annotations

from typing import Any

from services.trading.entrypoints.graphql.mutation import Mutation
from services.trading.entrypoints.graphql.query import Query
from services.trading.entrypoints.graphql.subscription import Subscription
from services.trading.entrypoints.graphql.types import (
    Account,
    CreditBatch,
    ForwardContract,
    Instrument,
    Order,
    Organization,
    Project,
    Trade,
)


def schema_types() -> list[Any]:
    return [Instrument, Order, Trade, CreditBatch, Organization, Project, Account, ForwardContract]


__all__ = ["Mutation", "Query", "Subscription", "schema_types"]
