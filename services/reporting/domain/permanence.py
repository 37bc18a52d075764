"""Buffer pool of one program: what was set aside against reversals and what reversals took from it.

Removals with reversal risk set a share of each issuance aside in the program's buffer pool; when stored
carbon is lost (issuance's ReversalReported), the registry cancels that many buffer units
(BufferCancelled, naming the reversal) so the credits already in circulation stay backed (DOMAIN.md §2,
Permanent).

- buffer issued ............. sum of `buffer_quantity_t` over the program's batches;
- cancelled for reversals ... buffer units of the program's batches cancelled by BufferCancelled;
- remaining ................. issued - cancelled (never below zero: a registry cannot cancel more than it
                              holds, so a negative figure only means the read model lags);
- per reversal: the tonnes reversed, the buffer tonnes cancelled for it, and the shortfall still to be
  cancelled (reversed - cancelled, never below zero). A reversal belongs to the program of its batch, or,
  when it names no batch, of its project's batches. A reversal or cancellation whose batch or project the
  read model does not know yet is left out until it does: a public page lags, it does not guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from .facts import BatchFacts


@dataclass(frozen=True, slots=True)
class ReversalFacts:
    """Issuance's report that stored carbon was lost (ReversalReported)."""

    reversal_id: str
    project_id: str
    batch_id: str  # "" when the loss is not attributed to one batch
    reversed_quantity_t: int
    occurred_on: date
    description: str = ""


@dataclass(frozen=True, slots=True)
class BufferCancellationFacts:
    """Buffer units of one batch cancelled by one BufferCancelled (one event may span several batches)."""

    cancellation_id: str
    batch_id: str
    quantity_t: int
    reversal_id: str
    cancelled_at: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ReversalLine:
    reversal_id: str
    project_id: str
    batch_id: str
    reversed_quantity_t: int
    occurred_on: date
    description: str
    cancelled_t: int
    shortfall_t: int


@dataclass(frozen=True, slots=True)
class BufferPool:
    program_id: str
    buffer_issued_t: int
    cancelled_for_reversals_t: int
    remaining_t: int
    reversals: tuple[ReversalLine, ...]


def build_buffer_pool(
    program_id: str,
    batches: Mapping[str, BatchFacts],
    reversals: Iterable[ReversalFacts],
    cancellations: Iterable[BufferCancellationFacts],
) -> BufferPool:
    own = {batch_id: b for batch_id, b in batches.items() if b.program_id.value == program_id}
    own_projects = {b.project_id for b in own.values()}
    issued_t = sum(b.buffer_quantity_t for b in own.values())
    cancelled_by_reversal: dict[str, int] = {}
    cancelled_t = 0
    for cancellation in cancellations:
        if cancellation.batch_id not in own:
            continue
        cancelled_t += cancellation.quantity_t
        cancelled_by_reversal[cancellation.reversal_id] = (
            cancelled_by_reversal.get(cancellation.reversal_id, 0) + cancellation.quantity_t
        )
    lines = []
    for reversal in reversals:
        belongs = reversal.batch_id in own if reversal.batch_id else reversal.project_id in own_projects
        if not belongs:
            continue
        cancelled = cancelled_by_reversal.get(reversal.reversal_id, 0)
        lines.append(
            ReversalLine(
                reversal_id=reversal.reversal_id,
                project_id=reversal.project_id,
                batch_id=reversal.batch_id,
                reversed_quantity_t=reversal.reversed_quantity_t,
                occurred_on=reversal.occurred_on,
                description=reversal.description,
                cancelled_t=cancelled,
                shortfall_t=max(0, reversal.reversed_quantity_t - cancelled),
            )
        )
    lines.sort(key=lambda line: (line.occurred_on, line.reversal_id))
    return BufferPool(
        program_id=program_id,
        buffer_issued_t=issued_t,
        cancelled_for_reversals_t=cancelled_t,
        remaining_t=max(0, issued_t - cancelled_t),
        reversals=tuple(lines),
    )
