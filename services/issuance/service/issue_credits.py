"""IssueCredits: the program issues a verified report's tonnes (certification step 6).

A saga around one registry call, so that no crash or outage can lose or double an issuance:
  1. decide: the IssuancePlan is computed and persisted as a PENDING batch (the report is then spent),
     and committed (`uow.commit()`) before the registry is called;
  2. MintBatch at the registry, idempotent per issuance_id (a retry re-sends the identical order);
  3. confirm: the batch becomes ISSUED with its serials and CreditsIssued is raised, exactly once.
A registry outage between 1 and 3 surfaces as UNAVAILABLE; repeating issueCredits resumes at step 2.
"""

from __future__ import annotations

from carbon_runtime.errors import conflict
from services.issuance.domain.actor import Actor, Role, require_role
from services.issuance.domain.commands import IssueCredits
from services.issuance.domain.events import CreditsIssued
from services.issuance.domain.values import authorization_of
from services.issuance.service.ports import BatchRecord, Clock, IdGenerator, MintOrder, RegistryPort, UnitOfWork
from services.issuance.service.results import BatchRef

PENDING = "PENDING"
ISSUED = "ISSUED"


def serial_token(value: str) -> str:
    """The letters and digits of an id, upper-cased: the only characters a serial number may carry."""
    return "".join(ch for ch in value.upper() if ch.isascii() and ch.isalnum()) or "X"


def _same_request(record: BatchRecord, cmd: IssueCredits) -> bool:
    """A repeat of the issuance already decided for this report (e.g. a retry after UNAVAILABLE)."""
    if record.holder_account_id != cmd.account_id:
        return False
    return cmd.idempotency_key is None or record.idempotency_key in (None, cmd.idempotency_key)


def _decide(uow: UnitOfWork, actor: Actor, cmd: IssueCredits, clock: Clock, new_id: IdGenerator) -> BatchRecord:
    loaded = uow.reports.get_report(cmd.monitoring_report_id, for_update=True)
    existing = uow.batches.batch_for_report(cmd.monitoring_report_id)
    if existing is not None:
        if not _same_request(existing, cmd):
            raise conflict(
                "ALREADY_ISSUED",
                f"credits were already issued for report {cmd.monitoring_report_id} (batch {existing.batch_id})",
                batch_id=existing.batch_id,
            )
        return existing
    report = loaded.report
    project = uow.projects.get_project(report.project_id, for_update=True)
    now = clock()
    plan = report.issue(actor=actor, project=project, at=now)
    settings = uow.reference.get_program(plan.program_id)
    # Batch ids are printed inside serial numbers (docs/serials.md): upper-case letters and digits only.
    batch_id = serial_token(new_id())[:16]
    issuance_id = new_id()
    order = MintOrder(
        issuance_id=issuance_id,
        batch_id=batch_id,
        # Fixed per issuance, whoever retries: the registry refuses a key reused with other arguments.
        idempotency_key=f"issuance:{issuance_id}",
        serial_prefix=(
            f"{serial_token(plan.program_id)[:10]}-{plan.host_country}-{serial_token(plan.project_id)[:16]}"
            f"-{plan.vintage.start.year:04d}-{batch_id}"
        ),
        issued_quantity_t=plan.issued_quantity_t,
        buffer_quantity_t=plan.buffer_quantity_t,
        holder_account_id=cmd.account_id,
        buffer_account_id=(settings.buffer_account_id or "") if plan.buffer_quantity_t else "",
        project_id=plan.project_id,
        program_id=plan.program_id,
        methodology_id=plan.methodology_id,
        country=plan.host_country,
        vintage_start=plan.vintage.start,
        vintage_end=plan.vintage.end,
        credit_type=plan.credit_type,
        basis=plan.basis,
        category=plan.category,
        corresponding_adjustment=plan.corresponding_adjustment,
        authorization=authorization_of(plan.authorization),
        co_benefits=project.co_benefits,
        issuer_organization_id=project.proponent_org_id,
    )
    record = BatchRecord(
        batch_id=batch_id,
        issuance_id=issuance_id,
        state=PENDING,
        monitoring_report_id=report.report_id,
        holder_account_id=cmd.account_id,
        idempotency_key=cmd.idempotency_key,
        order=order,
        project_name=project.name,
        program_name=project.program.name,
        methodology_title=project.methodology.title,
        registered_on=uow.projects.registered_on(project.project_id),
        requested_by=actor.user_id,
        requested_by_org=actor.organization_id,
        requested_at=now,
        exchange_category=plan.exchange_category.value if plan.exchange_category else None,
    )
    uow.batches.add_pending_batch(record)
    uow.reports.mark_report_issued(report.report_id)
    return record


def handle(
    cmd: IssueCredits, uow: UnitOfWork, *, registry: RegistryPort, clock: Clock, new_id: IdGenerator
) -> BatchRef:
    actor = cmd.actor
    require_role(actor, Role.PROGRAM_ADMIN, "issueCredits")
    record = _decide(uow, actor, cmd, clock, new_id)
    if record.state == ISSUED:
        return BatchRef(record.batch_id)
    # The decision must survive a crash or an outage during the call: a retry resumes from it.
    uow.commit()

    minted = registry.mint_batch(record.order, cmd.token)

    current = uow.batches.batch_for_report(cmd.monitoring_report_id)
    if current is not None and current.state == ISSUED:
        return BatchRef(current.batch_id)  # a concurrent retry confirmed it first
    now = clock()
    uow.batches.mark_batch_issued(record.batch_id, minted.serial_start, minted.serial_end, now)
    order = record.order
    uow.emit(
        CreditsIssued(
            aggregate_id=order.project_id,
            actor_user_id=actor.user_id,
            actor_org_id=actor.organization_id,
            occurred_at=now,
            batch_id=record.batch_id,
            issuance_id=record.issuance_id,
            monitoring_report_id=record.monitoring_report_id,
            attributes=order.attributes,
            project_name=record.project_name,
            program_name=record.program_name,
            methodology_title=record.methodology_title,
            issued_quantity_t=order.issued_quantity_t,
            buffer_quantity_t=order.buffer_quantity_t,
            serial_start=minted.serial_start,
            serial_end=minted.serial_end,
            holder_account_id=order.holder_account_id,
            buffer_account_id=order.buffer_account_id,
            idempotency_key=cmd.idempotency_key or record.idempotency_key,
        )
    )
    return BatchRef(record.batch_id)
