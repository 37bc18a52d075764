"""The reporting subgraph (walking skeleton): adds disclosure fields to CreditBatch."""

from __future__ import annotations

import strawberry

from carbon_runtime.graphql_contract import Tonnes
from carbon_runtime.graphql_runtime import RequestContext

Info = strawberry.Info[RequestContext, None]


@strawberry.federation.type(keys=["id"])
class CreditBatch:
    id: strawberry.ID

    @strawberry.field(description="Tonnes of this batch seen retired by the reporting read model.")
    def reported_quantity(self) -> Tonnes:
        return Tonnes(0)

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> CreditBatch:  # noqa: A002
        return CreditBatch(id=id)


@strawberry.type
class Query:
    @strawberry.field
    def reporting_version(self) -> str:
        return "v1"
