"""The issuance subgraph (Strawberry federation): Query, Mutation and the entity types the router
joins on."""

from __future__ import annotations

from typing import Any

from services.issuance.entrypoints.graphql.mutation import Mutation
from services.issuance.entrypoints.graphql.query import Query
from services.issuance.entrypoints.graphql.types import (
    CreditBatch,
    Methodology,
    MonitoringReport,
    Organization,
    Program,
    Project,
)

ENTITY_TYPES: list[type[Any]] = [Organization, Program, Methodology, Project, MonitoringReport, CreditBatch]

__all__ = ["ENTITY_TYPES", "Mutation", "Query"]
