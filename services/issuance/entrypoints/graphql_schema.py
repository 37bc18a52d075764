"""The issuance subgraph: owner of Program, Methodology, Project, MonitoringReport and CreditBatch."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from sqlalchemy import select

from carbon_runtime.graphql_contract import CreditBasis, CreditCategory, CreditType, Tonnes
from carbon_runtime.graphql_runtime import RequestContext
from services.issuance.adapters.tables import credit_batches

Info = strawberry.Info[RequestContext, None]


@strawberry.federation.type(keys=["id"])
class CreditBatch:
    id: strawberry.ID
    vintage_start: dt.date
    vintage_end: dt.date
    issued_quantity: Tonnes = strawberry.field(description="All credits issued in the batch, buffer included.")
    buffer_quantity: Tonnes = strawberry.field(
        description="The part set aside in the program's buffer pool against reversal."
    )
    serial_start: str
    serial_end: str
    credit_type: CreditType
    basis: CreditBasis
    category: CreditCategory
    corresponding_adjustment: bool

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> CreditBatch | None:  # noqa: A002
        return load_batch(info, str(id))


def _row_to_batch(row: Any) -> CreditBatch:
    return CreditBatch(
        id=strawberry.ID(row.id),
        vintage_start=row.vintage_start,
        vintage_end=row.vintage_end,
        issued_quantity=row.issued_quantity,
        buffer_quantity=row.buffer_quantity,
        serial_start=row.serial_start,
        serial_end=row.serial_end,
        credit_type=CreditType(row.credit_type),
        basis=CreditBasis(row.basis),
        category=CreditCategory(row.category),
        corresponding_adjustment=row.corresponding_adjustment,
    )


def load_batch(info: Info, batch_id: str) -> CreditBatch | None:
    engine = info.context.extras["engine"]
    with engine.connect() as conn:
        row = conn.execute(select(credit_batches).where(credit_batches.c.id == batch_id)).first()
    return _row_to_batch(row) if row is not None else None


@strawberry.type
class Query:
    @strawberry.field
    def credit_batch(self, info: Info, id: strawberry.ID) -> CreditBatch | None:  # noqa: A002
        return load_batch(info, str(id))
