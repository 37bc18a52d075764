"""The registry subgraph (walking skeleton): adds ledger fields to CreditBatch."""

from __future__ import annotations

import strawberry

from carbon_runtime.graphql_contract import Tonnes
from carbon_runtime.graphql_runtime import RequestContext

Info = strawberry.Info[RequestContext, None]


@strawberry.federation.type(keys=["id"])
class CreditBatch:
    id: strawberry.ID

    @strawberry.field(description="Retired, cancelled and NDC-used together: out of circulation for ever.")
    def retired_quantity(self) -> Tonnes:
        return Tonnes(0)

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> CreditBatch:
        return CreditBatch(id=id)


@strawberry.type
class Query:
    @strawberry.field
    def registry_version(self) -> str:
        return "v1"
