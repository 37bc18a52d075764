"""Buffer pool per program (DOMAIN.md §2, Permanent): set aside at issuance, cancelled on reversal."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from carbon_runtime.vocabulary import CreditBasis, CreditCategory, CreditType
from services.reporting.domain.facts import BatchFacts, ProgramId
from services.reporting.domain.permanence import BufferCancellationFacts, ReversalFacts, build_buffer_pool

FOREST_1 = BatchFacts(
    batch_id="B-F1",
    project_id="P-FOREST",
    project_name="Forest",
    program_id=ProgramId.VCS,
    host_country="KE",
    methodology_code="VM0047",
    credit_type=CreditType.REMOVAL,
    basis=CreditBasis.NATURE,
    category=CreditCategory.GLOBAL,
    vintage_start=date(2022, 1, 1),
    vintage_end=date(2022, 12, 31),
    first_crediting_period_start=date(2020, 1, 1),
    corresponding_adjustment=False,
    issued_quantity_t=1000,
    buffer_quantity_t=100,
)
FOREST_2 = replace(FOREST_1, batch_id="B-F2", buffer_quantity_t=60)
OTHER_PROGRAM = replace(FOREST_1, batch_id="B-GS", project_id="P-GS", program_id=ProgramId.GS, buffer_quantity_t=40)
BATCHES = {b.batch_id: b for b in (FOREST_1, FOREST_2, OTHER_PROGRAM)}
AT = datetime(2024, 10, 1, tzinfo=UTC)


def cancel(cid: str, batch_id: str, quantity_t: int, reversal_id: str) -> BufferCancellationFacts:
    return BufferCancellationFacts(cid, batch_id, quantity_t, reversal_id, AT)


def test_remaining_buffer_is_issued_buffer_minus_buffer_cancelled_for_reversals_of_the_program() -> None:
    reversals = [ReversalFacts("REV-1", "P-FOREST", "B-F1", 50, date(2024, 9, 1))]
    cancellations = [
        cancel("C1", "B-F1", 30, "REV-1"),
        cancel("C1", "B-F2", 20, "REV-1"),
        cancel("C2", "B-GS", 10, "REV-GS"),
    ]
    pool = build_buffer_pool("VCS", BATCHES, reversals, cancellations)
    assert (pool.buffer_issued_t, pool.cancelled_for_reversals_t, pool.remaining_t) == (160, 50, 110)
    assert [(r.reversal_id, r.cancelled_t, r.shortfall_t) for r in pool.reversals] == [("REV-1", 50, 0)]


def test_reversal_not_yet_fully_cancelled_from_the_buffer_shows_its_shortfall() -> None:
    reversals = [ReversalFacts("REV-1", "P-FOREST", "B-F1", 80, date(2024, 9, 1))]
    pool = build_buffer_pool("VCS", BATCHES, reversals, [cancel("C1", "B-F1", 30, "REV-1")])
    assert [(r.reversed_quantity_t, r.cancelled_t, r.shortfall_t) for r in pool.reversals] == [(80, 30, 50)]


def test_reversal_without_a_batch_belongs_to_the_program_of_its_project() -> None:
    reversals = [
        ReversalFacts("REV-P", "P-FOREST", "", 10, date(2024, 9, 2)),
        ReversalFacts("REV-GS", "P-GS", "", 5, date(2024, 9, 1)),
    ]
    assert [r.reversal_id for r in build_buffer_pool("VCS", BATCHES, reversals, []).reversals] == ["REV-P"]
    assert [r.reversal_id for r in build_buffer_pool("GS", BATCHES, reversals, []).reversals] == ["REV-GS"]


def test_reversal_and_cancellation_of_a_batch_not_yet_known_are_left_out_until_it_arrives() -> None:
    reversals = [ReversalFacts("REV-X", "P-NEW", "B-NEW", 10, date(2024, 9, 1))]
    pool = build_buffer_pool("VCS", BATCHES, reversals, [cancel("C9", "B-NEW", 10, "REV-X")])
    assert (pool.cancelled_for_reversals_t, pool.reversals) == (0, ())


def test_reversals_are_listed_by_date() -> None:
    reversals = [
        ReversalFacts("REV-B", "P-FOREST", "B-F1", 1, date(2024, 9, 5)),
        ReversalFacts("REV-A", "P-FOREST", "B-F2", 1, date(2024, 9, 1)),
    ]
    assert [r.reversal_id for r in build_buffer_pool("VCS", BATCHES, reversals, []).reversals] == ["REV-A", "REV-B"]
