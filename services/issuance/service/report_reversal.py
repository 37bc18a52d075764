"""ReportReversal: stored carbon of a removal project was lost; the program's buffer pool covers what
it can (CancelFromBuffer at the registry) and the rest is a shortfall that holds the project's issuance.

Same two-transaction shape as IssueCredits: the reversal is recorded (PENDING) with its shortfall
first, then the registry cancels buffer units (idempotent per reversal), then the reversal is
confirmed and ReversalReported recorded. A retry with the same idempotency key resumes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from carbon.issuance.v1 import events_pb2

from carbon_runtime.errors import conflict, invalid, not_found
from carbon_runtime.transport.auth import Principal
from services.issuance.service.common import PROJECT, Deps, actor_fields, actor_of, idempotency_scope
from services.issuance.service.ports import BufferCancellationOrder, ReversalRecord

PENDING = "PENDING"
RECORDED = "RECORDED"
_KEY_NAMESPACE = uuid.UUID("5b0c6f0e-8c4f-4a8e-9d0e-6a7f1c2b3d4e")


@dataclass(frozen=True)
class ReportReversal:
    project_id: str
    quantity_t: int
    occurred_on: date
    description: str
    batch_id: str | None = None
    idempotency_key: str | None = None


def report_reversal(deps: Deps, principal: Principal, cmd: ReportReversal) -> str:
    actor = actor_of(principal)
    reversal_id = (
        str(uuid.uuid5(_KEY_NAMESPACE, f"{idempotency_scope(actor)}|{cmd.idempotency_key}"))
        if cmd.idempotency_key is not None
        else deps.new_id()
    )
    with deps.uow() as uow:
        record = uow.get_reversal(reversal_id)
        if record is not None:
            if (record.project_id, record.reversed_quantity_t, record.batch_id) != (
                cmd.project_id,
                cmd.quantity_t,
                cmd.batch_id,
            ):
                raise conflict("TRANSACTION_ID_REUSED", "idempotency key was already used for a different reversal")
            if record.state == RECORDED:
                return reversal_id
        else:
            if not cmd.description.strip():
                raise invalid("REQUIRED_FIELD", "description must not be empty", field="description")
            project = uow.get_project(cmd.project_id, for_update=True)
            if cmd.batch_id is not None:
                batch = uow.get_batch(cmd.batch_id)
                if batch is None or batch.order.project_id != cmd.project_id:
                    raise not_found("BATCH_NOT_FOUND", f"project {cmd.project_id} has no batch {cmd.batch_id}")
            program_id = project.program.program_id
            # The pool holds what issuance put in minus what reversals already took (pending included).
            available_t = max(0, uow.buffer_issued_t(program_id) - uow.buffer_cancelled_t(program_id))
            now = deps.clock()
            event = project.report_reversal(actor, cmd.quantity_t, available_t, now)
            uow.save_project(project, cmd.description)
            record = ReversalRecord(
                reversal_id=reversal_id,
                state=PENDING,
                project_id=cmd.project_id,
                program_id=program_id,
                batch_id=cmd.batch_id,
                reversed_quantity_t=cmd.quantity_t,
                buffer_cancellation_t=event.buffer_cancellation_t,
                shortfall_t=event.shortfall_t,
                occurred_on=cmd.occurred_on,
                description=cmd.description,
                buffer_account_id=uow.get_program(program_id).buffer_account_id,
                idempotency_key=cmd.idempotency_key,
                reported_by=actor.user_id,
                reported_by_org=actor.organization_id,
                reported_at=now,
            )
            uow.add_reversal(record)

    cancellation_id: str | None = None
    if record.buffer_cancellation_t > 0:
        cancellation_id = deps.registry.cancel_from_buffer(
            BufferCancellationOrder(
                reversal_id=reversal_id,
                idempotency_key=f"reversal:{reversal_id}",
                program_id=record.program_id,
                buffer_account_id=record.buffer_account_id or "",
                quantity_t=record.buffer_cancellation_t,
                reason=record.description,
            ),
            principal.token,
        )

    with deps.uow() as uow:
        current = uow.get_reversal(reversal_id)
        if current is not None and current.state == RECORDED:
            return reversal_id
        uow.complete_reversal(reversal_id, cancellation_id, deps.clock())
        uow.add_event(
            PROJECT,
            record.project_id,
            events_pb2.ReversalReported(
                reversal_id=reversal_id,
                project_id=record.project_id,
                batch_id=record.batch_id or "",
                reversed_quantity_t=record.reversed_quantity_t,
                occurred_on=record.occurred_on.isoformat(),
                description=record.description,
                **actor_fields(actor),
            ),
        )
    return reversal_id
