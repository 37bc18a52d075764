"""The reporting subgraph (Strawberry federation): Query plus the entity types the router joins on."""

from __future__ import annotations

from carbon_runtime.transport.graphql_contract import Role
from services.reporting.entrypoints.graphql.query import Query
from services.reporting.entrypoints.graphql.types import CreditBatch, Organization

# Role is listed so the composed API schema carries the contract's enum even where no field uses it yet.
ENTITY_TYPES: list[type] = [CreditBatch, Organization, Role]

__all__ = ["ENTITY_TYPES", "Query"]
