"""The registry subgraph (Strawberry federation): Query, Mutation and the entity types the router
joins on."""

from __future__ import annotations

from services.registry.entrypoints.graphql.mutation import Mutation
from services.registry.entrypoints.graphql.query import Query
from services.registry.entrypoints.graphql.types import Account, CreditBatch, Organization

SCHEMA_TYPES: list[type] = [CreditBatch, Organization, Account]

__all__ = ["SCHEMA_TYPES", "Mutation", "Query"]
