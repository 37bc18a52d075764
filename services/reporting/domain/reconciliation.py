"""Three-way reconciliation of per-batch totals: issuance vs registry vs the reporting read model.

A credit must exist exactly once (DOMAIN.md §2 "Unique"), so for every batch:
- issued (issuance service) == sum of registry units over all statuses (buffer units included);
- issued (issuance service) == issued in the read model;
- registry RETIRED + CANCELLED + NDC_USED == retired in the read model (the contract's
  `retiredQuantity`: out of circulation for ever).
A batch missing from one source is a discrepancy too, reported with `None` on the missing side.
Nothing is corrected here: a discrepancy is evidence for an operator, and auto-fixing would hide it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from carbon_runtime.vocabulary import UnitStatus

OUT_OF_CIRCULATION = (UnitStatus.RETIRED, UnitStatus.CANCELLED, UnitStatus.NDC_USED)


class Source(enum.StrEnum):
    ISSUANCE = "issuance"
    REGISTRY = "registry"
    READ_MODEL = "read_model"


class Measure(enum.StrEnum):
    ISSUED = "issued"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class ReadModelTotals:
    issued_quantity_t: int
    retired_quantity_t: int


@dataclass(frozen=True, slots=True)
class Discrepancy:
    batch_id: str
    measure: Measure
    left_source: Source
    right_source: Source
    left_t: int | None  # None: the batch is absent from that source
    right_t: int | None

    def describe(self) -> str:
        def show(value: int | None) -> str:
            return "missing" if value is None else f"{value} t"

        return (
            f"batch {self.batch_id}: {self.measure.value} {self.left_source.value}={show(self.left_t)} "
            f"vs {self.right_source.value}={show(self.right_t)}"
        )


def reconcile(
    issued_by_batch_t: Mapping[str, int],
    registry_by_batch_t: Mapping[str, Mapping[UnitStatus, int]],
    read_model_by_batch: Mapping[str, ReadModelTotals],
) -> tuple[Discrepancy, ...]:
    """Every discrepancy, ordered by batch id then check, so repeated runs diff cleanly."""
    found: list[Discrepancy] = []
    batch_ids = sorted(set(issued_by_batch_t) | set(registry_by_batch_t) | set(read_model_by_batch))
    for batch_id in batch_ids:
        issued = issued_by_batch_t.get(batch_id)
        statuses = registry_by_batch_t.get(batch_id)
        read_model = read_model_by_batch.get(batch_id)
        registry_total = None if statuses is None else sum(statuses.values())
        registry_out = None if statuses is None else sum(statuses.get(s, 0) for s in OUT_OF_CIRCULATION)
        checks = (
            (Measure.ISSUED, Source.ISSUANCE, issued, Source.REGISTRY, registry_total),
            (
                Measure.ISSUED,
                Source.ISSUANCE,
                issued,
                Source.READ_MODEL,
                None if read_model is None else read_model.issued_quantity_t,
            ),
            (
                Measure.RETIRED,
                Source.REGISTRY,
                registry_out,
                Source.READ_MODEL,
                None if read_model is None else read_model.retired_quantity_t,
            ),
        )
        for measure, left_source, left, right_source, right in checks:
            if left != right:
                found.append(Discrepancy(batch_id, measure, left_source, right_source, left, right))
    return tuple(found)
