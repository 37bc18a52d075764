"""ReportReversal: stored carbon of a removal project was lost; the program's buffer pool covers what
it can (CancelFromBuffer at the registry) and the rest is a shortfall that holds the project's issuance.

Same saga shape as IssueCredits: the reversal is recorded (PENDING) with its shortfall and committed,
then the registry cancels buffer units (idempotent per reversal), then the reversal is confirmed and
ReversalReported raised. A retry with the same idempotency key resumes.
"""

from __future__ import annotations

import uuid

from carbon_runtime.errors import conflict, invalid, not_found
from services.issuance.domain.commands import ReportReversal
from services.issuance.domain.events import ReversalReported
from services.issuance.service.ports import (
    BufferCancellationOrder,
    Clock,
    IdGenerator,
    RegistryPort,
    ReversalRecord,
    UnitOfWork,
)
from services.issuance.service.results import ReversalRef

PENDING = "PENDING"
RECORDED = "RECORDED"
_KEY_NAMESPACE = uuid.UUID("5b0c6f0e-8c4f-4a8e-9d0e-6a7f1c2b3d4e")


def _record(cmd: ReportReversal, uow: UnitOfWork, reversal_id: str, clock: Clock) -> ReversalRecord:
    if not cmd.description.strip():
        raise invalid("REQUIRED_FIELD", "description must not be empty", field="description")
    project = uow.projects.get_project(cmd.project_id, for_update=True)
    if cmd.batch_id is not None:
        batch = uow.batches.get_batch(cmd.batch_id)
        if batch is None or batch.order.project_id != cmd.project_id:
            raise not_found("BATCH_NOT_FOUND", f"project {cmd.project_id} has no batch {cmd.batch_id}")
    program_id = project.program.program_id
    # The pool holds what issuance put in minus what reversals already took (pending included).
    available_t = max(0, uow.batches.buffer_issued_t(program_id) - uow.reversals.buffer_cancelled_t(program_id))
    now = clock()
    assessed = project.report_reversal(cmd.actor, cmd.quantity_t, available_t, now)
    uow.projects.save_project(project, cmd.description)
    record = ReversalRecord(
        reversal_id=reversal_id,
        state=PENDING,
        project_id=cmd.project_id,
        program_id=program_id,
        batch_id=cmd.batch_id,
        reversed_quantity_t=cmd.quantity_t,
        buffer_cancellation_t=assessed.buffer_cancellation_t,
        shortfall_t=assessed.shortfall_t,
        occurred_on=cmd.occurred_on,
        description=cmd.description,
        buffer_account_id=uow.reference.get_program(program_id).buffer_account_id,
        idempotency_key=cmd.idempotency_key,
        reported_by=cmd.actor.user_id,
        reported_by_org=cmd.actor.organization_id,
        reported_at=now,
    )
    uow.reversals.add_reversal(record)
    return record


def handle(
    cmd: ReportReversal, uow: UnitOfWork, *, registry: RegistryPort, clock: Clock, new_id: IdGenerator
) -> ReversalRef:
    actor = cmd.actor
    # Derived from the key, so a retry after a failed registry call finds the pending reversal.
    reversal_id = (
        str(uuid.uuid5(_KEY_NAMESPACE, f"{cmd.idempotency_scope}|{cmd.idempotency_key}"))
        if cmd.idempotency_key is not None
        else new_id()
    )
    record = uow.reversals.get_reversal(reversal_id)
    if record is not None:
        if (record.project_id, record.reversed_quantity_t, record.batch_id) != (
            cmd.project_id,
            cmd.quantity_t,
            cmd.batch_id,
        ):
            raise conflict("TRANSACTION_ID_REUSED", "idempotency key was already used for a different reversal")
        if record.state == RECORDED:
            return ReversalRef(reversal_id, record.project_id)
    else:
        record = _record(cmd, uow, reversal_id, clock)
        # Durable before the registry call: a retry resumes the cancellation instead of re-deciding it.
        uow.commit()

    cancellation_id: str | None = None
    if record.buffer_cancellation_t > 0:
        cancellation_id = registry.cancel_from_buffer(
            BufferCancellationOrder(
                reversal_id=reversal_id,
                idempotency_key=f"reversal:{reversal_id}",
                program_id=record.program_id,
                buffer_account_id=record.buffer_account_id or "",
                quantity_t=record.buffer_cancellation_t,
                reason=record.description,
            ),
            cmd.token,
        )

    current = uow.reversals.get_reversal(reversal_id)
    if current is not None and current.state == RECORDED:
        return ReversalRef(reversal_id, record.project_id)
    now = clock()
    uow.reversals.complete_reversal(reversal_id, cancellation_id, now)
    uow.emit(
        ReversalReported(
            aggregate_id=record.project_id,
            actor_user_id=actor.user_id,
            actor_org_id=actor.organization_id,
            occurred_at=now,
            reversal_id=reversal_id,
            batch_id=record.batch_id,
            reversed_quantity_t=record.reversed_quantity_t,
            occurred_on=record.occurred_on,
            description=record.description,
        )
    )
    return ReversalRef(reversal_id, record.project_id)
