"""Reconciliation: issuance's issued totals, the registry's units by status and this read model, per
batch. The run is recorded as ReconciliationCompleted with the batches that disagree."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.vocabulary import UnitStatus
from services.reporting.domain import reconciliation
from services.reporting.domain.actor import authorize_reconciliation
from services.reporting.domain.commands import ReconcileBatches
from services.reporting.domain.events import ReconciliationCompleted
from services.reporting.service.ports import IssuedTotals, RegistryTotals, UnitOfWork


@dataclass(frozen=True, slots=True)
class ReconciliationResult:
    reconciliation_id: str
    batches_checked: int
    discrepancies: tuple[reconciliation.Discrepancy, ...]
    issued_by_batch_t: Mapping[str, int]
    registry_by_batch_t: Mapping[str, Mapping[UnitStatus, int]]
    read_model_by_batch: Mapping[str, reconciliation.ReadModelTotals]


def handle(
    cmd: ReconcileBatches,
    uow: UnitOfWork,
    *,
    issuance: IssuedTotals | None,
    registry: RegistryTotals | None,
    new_id: Callable[[], str],
) -> ReconciliationResult:
    authorize_reconciliation(cmd.actor)
    if issuance is None or registry is None:
        raise DomainError(ErrorCode.UNAVAILABLE, "PEERS_NOT_CONFIGURED", "issuance or registry is not configured")
    batch_ids = list(cmd.batch_ids)
    # The peers answer before this transaction reads or writes anything, so no lock waits on them.
    issued = issuance.issued_totals(batch_ids)
    registry_totals = registry.batch_totals(batch_ids)
    records = uow.facts.batches(batch_ids or None)
    out = uow.facts.out_of_circulation_by_batch()
    read_totals = {
        batch_id: reconciliation.ReadModelTotals(record.facts.issued_quantity_t, out.get(batch_id, 0))
        for batch_id, record in records.items()
    }
    found = reconciliation.reconcile(issued, registry_totals, read_totals)
    checked = len(set(issued) | set(registry_totals) | set(read_totals))
    run_id = new_id()
    uow.emit(
        ReconciliationCompleted(
            reconciliation_id=run_id,
            batches_checked=checked,
            discrepant_batch_ids=tuple(sorted({d.batch_id for d in found})),
        )
    )
    return ReconciliationResult(run_id, checked, found, issued, registry_totals, read_totals)
