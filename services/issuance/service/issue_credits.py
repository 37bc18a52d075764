"""IssueCredits: the program issues a verified report's tonnes (certification step 6).

Two transactions around one registry call, so that no crash or outage can lose or double an issuance:
  1. decide: the IssuancePlan is computed and persisted as a PENDING batch (the report is then spent);
  2. MintBatch at the registry, idempotent per issuance_id (a retry re-sends the identical order);
  3. confirm: the batch becomes ISSUED with its serials and CreditsIssued is recorded, exactly once.
A registry outage between 1 and 3 surfaces as UNAVAILABLE; repeating issueCredits resumes at step 2.
"""

from __future__ import annotations

from dataclasses import dataclass

from carbon.issuance.v1 import events_pb2, types_pb2

from carbon_runtime.errors import conflict
from carbon_runtime.transport.auth import Principal
from services.issuance.domain.actor import Actor, Role, require_role
from services.issuance.service.common import (
    PROJECT,
    Deps,
    actor_fields,
    actor_of,
    authorization_name,
    basis_pb,
    category_pb,
    credit_type_pb,
    idempotency_scope,
)
from services.issuance.service.ports import BatchRecord, MintOrder, UnitOfWork

PENDING = "PENDING"
ISSUED = "ISSUED"


@dataclass(frozen=True)
class IssueCredits:
    monitoring_report_id: str
    account_id: str
    idempotency_key: str | None = None


def serial_token(value: str) -> str:
    """The letters and digits of an id, upper-cased: the only characters a serial number may carry."""
    return "".join(ch for ch in value.upper() if ch.isascii() and ch.isalnum()) or "X"


def _same_request(record: BatchRecord, cmd: IssueCredits) -> bool:
    """A repeat of the issuance already decided for this report (e.g. a retry after UNAVAILABLE)."""
    if record.holder_account_id != cmd.account_id:
        return False
    return cmd.idempotency_key is None or record.idempotency_key in (None, cmd.idempotency_key)


def _decide(deps: Deps, uow: UnitOfWork, actor: Actor, cmd: IssueCredits) -> BatchRecord:
    loaded = uow.get_report(cmd.monitoring_report_id, for_update=True)
    existing = uow.batch_for_report(cmd.monitoring_report_id)
    if existing is not None:
        require_role(actor, Role.PROGRAM_ADMIN, "issueCredits")
        if not _same_request(existing, cmd):
            raise conflict(
                "ALREADY_ISSUED",
                f"credits were already issued for report {cmd.monitoring_report_id} (batch {existing.batch_id})",
                batch_id=existing.batch_id,
            )
        return existing
    report = loaded.report
    project = uow.get_project(report.project_id, for_update=True)
    now = deps.clock()
    plan = report.issue(actor=actor, project=project, at=now)
    settings = uow.get_program(plan.program_id)
    # Batch ids are printed inside serial numbers (docs/serials.md): upper-case letters and digits only.
    batch_id = serial_token(deps.new_id())[:16]
    issuance_id = deps.new_id()
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
        credit_type=plan.credit_type.value,
        basis=plan.basis.value,
        category=plan.category.value,
        corresponding_adjustment=plan.corresponding_adjustment,
        authorization=authorization_name(plan.authorization),
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
        registered_on=uow.registered_on(project.project_id),
        requested_by=actor.user_id,
        requested_by_org=actor.organization_id,
        requested_at=now,
        exchange_category=plan.exchange_category.value if plan.exchange_category else None,
    )
    uow.add_pending_batch(record)
    uow.mark_report_issued(report.report_id)
    return record


def credit_attributes(order: MintOrder) -> types_pb2.CreditAttributes:
    return types_pb2.CreditAttributes(
        project_id=order.project_id,
        program_id=order.program_id,
        methodology_id=order.methodology_id,
        country=order.country,
        vintage_start=order.vintage_start.isoformat(),
        vintage_end=order.vintage_end.isoformat(),
        credit_type=credit_type_pb(order.credit_type),
        basis=basis_pb(order.basis),
        category=category_pb(order.category),
        corresponding_adjustment=order.corresponding_adjustment,
        authorization=types_pb2.Authorization.Value(order.authorization),
        co_benefits=list(order.co_benefits),
        issuer_organization_id=order.issuer_organization_id,
    )


def issue_credits(deps: Deps, principal: Principal, cmd: IssueCredits) -> str:
    actor = actor_of(principal)
    require_role(actor, Role.PROGRAM_ADMIN, "issueCredits")
    args = {"monitoring_report_id": cmd.monitoring_report_id, "account_id": cmd.account_id}
    with deps.uow() as uow:
        if cmd.idempotency_key is not None:
            # Refuses a key reused for another report or account (CONFLICT) before anything else.
            uow.idempotent_lookup(idempotency_scope(actor), cmd.idempotency_key, "issueCredits", args)
        record = _decide(deps, uow, actor, cmd)
    if record.state == ISSUED:
        return record.batch_id

    minted = deps.registry.mint_batch(record.order, principal.token)

    with deps.uow() as uow:
        current = uow.batch_for_report(cmd.monitoring_report_id)
        if current is not None and current.state == ISSUED:
            return current.batch_id  # a concurrent retry confirmed it first
        now = deps.clock()
        uow.mark_batch_issued(record.batch_id, minted.serial_start, minted.serial_end, now)
        if cmd.idempotency_key is not None:
            scope = idempotency_scope(actor)
            if uow.idempotent_lookup(scope, cmd.idempotency_key, "issueCredits", args) is None:
                uow.idempotent_store(scope, cmd.idempotency_key, "issueCredits", args, record.batch_id.encode())
        order = record.order
        uow.add_event(
            PROJECT,
            order.project_id,
            events_pb2.CreditsIssued(
                batch_id=record.batch_id,
                issuance_id=record.issuance_id,
                monitoring_report_id=record.monitoring_report_id,
                attributes=credit_attributes(order),
                project_name=record.project_name,
                program_name=record.program_name,
                methodology_title=record.methodology_title,
                issued_quantity_t=order.issued_quantity_t,
                buffer_quantity_t=order.buffer_quantity_t,
                serial_start=minted.serial_start,
                serial_end=minted.serial_end,
                holder_account_id=order.holder_account_id,
                buffer_account_id=order.buffer_account_id,
                idempotency_key=cmd.idempotency_key or record.idempotency_key or "",
                **actor_fields(actor),
            ),
        )
    return record.batch_id
