"""GetBatchTotals: units of batches counted by status, for reconciliation against issuance's
issued totals (SERVICE, REGISTRY_ADMIN, PROGRAM_ADMIN, AUDITOR). Every batch's statuses must add up
to its minted quantity; `reconcile` reports the batches where they do not."""

from __future__ import annotations

from carbon.registry.v1 import registry_pb2, types_pb2
from sqlalchemy import func, select

from carbon_runtime.transport.auth import Principal, require_role
from services.registry.adapters import tables as t
from services.registry.domain.blocks import UnitStatus
from services.registry.service.common import RegistryDeps, status_to_proto


def batch_totals(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.GetBatchTotalsRequest
) -> registry_pb2.GetBatchTotalsResponse:
    require_role(principal, "SERVICE", "REGISTRY_ADMIN", "PROGRAM_ADMIN", "AUDITOR")
    units = t.unit_blocks.c.end_unit - t.unit_blocks.c.start_unit + 1
    with deps.engine.connect() as conn:
        batch_query = select(t.batches.c.id, t.batches.c.issued_quantity).order_by(t.batches.c.id)
        if request.batch_ids:
            batch_query = batch_query.where(t.batches.c.id.in_(list(request.batch_ids)))
        minted = {row.id: int(row.issued_quantity) for row in conn.execute(batch_query)}
        by_status: dict[str, dict[str, int]] = {bid: {} for bid in minted}
        in_buffer: dict[str, int] = dict.fromkeys(minted, 0)
        rows = conn.execute(
            select(t.unit_blocks.c.batch_id, t.unit_blocks.c.status, t.accounts.c.kind, func.sum(units).label("q"))
            .join(t.accounts, t.accounts.c.id == t.unit_blocks.c.account_id)
            .where(t.unit_blocks.c.batch_id.in_(list(minted)))
            .group_by(t.unit_blocks.c.batch_id, t.unit_blocks.c.status, t.accounts.c.kind)
        )
        for row in rows:
            statuses = by_status[row.batch_id]
            statuses[row.status] = statuses.get(row.status, 0) + int(row.q)
            if row.kind == "BUFFER":
                in_buffer[row.batch_id] += int(row.q)
    return registry_pb2.GetBatchTotalsResponse(
        batches=[
            types_pb2.BatchTotals(
                batch_id=bid,
                minted_quantity_t=minted[bid],
                by_status=[
                    types_pb2.StatusQuantity(status=status_to_proto(status), quantity_t=by_status[bid][status.value])
                    for status in UnitStatus
                    if by_status[bid].get(status.value)
                ],
                buffer_quantity_t=in_buffer[bid],
            )
            for bid in sorted(minted)
        ]
    )


def reconcile(deps: RegistryDeps, principal: Principal) -> list[str]:
    """Ids of batches whose units by status do not add up to the minted quantity (should be none)."""
    totals = batch_totals(deps, principal, registry_pb2.GetBatchTotalsRequest())
    return [b.batch_id for b in totals.batches if sum(s.quantity_t for s in b.by_status) != b.minted_quantity_t]
