"""Three-way reconciliation of per-batch totals (DOMAIN.md §2 "Unique": each tonne exists once)."""

from __future__ import annotations

from carbon_runtime.vocabulary import UnitStatus
from services.reporting.domain.reconciliation import (
    Discrepancy,
    Measure,
    ReadModelTotals,
    Source,
    reconcile,
)

HELD, RETIRED, CANCELLED, NDC_USED, LOCKED = (
    UnitStatus.HELD,
    UnitStatus.RETIRED,
    UnitStatus.CANCELLED,
    UnitStatus.NDC_USED,
    UnitStatus.LOCKED,
)


def test_consistent_sources_have_no_discrepancy() -> None:
    assert (
        reconcile(
            {"B1": 100},
            {"B1": {HELD: 60, LOCKED: 10, RETIRED: 20, CANCELLED: 5, NDC_USED: 5}},
            {"B1": ReadModelTotals(issued_quantity_t=100, retired_quantity_t=30)},
        )
        == ()
    )


def test_every_discrepancy_is_listed_with_batch_source_pair_and_both_numbers() -> None:
    found = reconcile(
        {"B1": 100, "B2": 50, "B3": 10},
        {
            "B1": {HELD: 70, RETIRED: 20},  # registry lost 10 units
            "B2": {HELD: 40, RETIRED: 10},
            "B4": {HELD: 7},  # registry holds a batch issuance never issued
        },
        {
            "B1": ReadModelTotals(100, 20),
            "B2": ReadModelTotals(50, 9),  # read model missed a retirement of 1
            "B3": ReadModelTotals(10, 0),
        },
    )
    assert found == (
        Discrepancy("B1", Measure.ISSUED, Source.ISSUANCE, Source.REGISTRY, 100, 90),
        Discrepancy("B2", Measure.RETIRED, Source.REGISTRY, Source.READ_MODEL, 10, 9),
        Discrepancy("B3", Measure.ISSUED, Source.ISSUANCE, Source.REGISTRY, 10, None),
        Discrepancy("B3", Measure.RETIRED, Source.REGISTRY, Source.READ_MODEL, None, 0),
        Discrepancy("B4", Measure.ISSUED, Source.ISSUANCE, Source.REGISTRY, None, 7),
        Discrepancy("B4", Measure.RETIRED, Source.REGISTRY, Source.READ_MODEL, 0, None),
    )
    assert found[0].describe() == "batch B1: issued issuance=100 t vs registry=90 t"
    assert found[2].describe() == "batch B3: issued issuance=10 t vs registry=missing"
