"""Cancel (取消, ACCOUNT_HOLDER of the owning organization): HELD units are used without counting
towards a target (e.g. CORSIA). Permanent: they reach the organization's CANCELLATION account."""

from __future__ import annotations

from carbon.registry.v1 import events_pb2, registry_pb2, types_pb2

from carbon_runtime.transport.auth import Principal, require_authenticated
from services.registry.adapters import repository as repo
from services.registry.adapters import tables as t
from services.registry.domain import ledger
from services.registry.domain.certificates import CertificateKind
from services.registry.domain.models import AccountKind
from services.registry.service.common import (
    RegistryDeps,
    UnitOfWorkLike,
    actor,
    actor_org,
    blocks_to_proto,
    enum_suffix,
    new_id,
    require_holder_of,
    require_id,
    run_idempotent,
    timestamp,
)
from services.registry.service.permanent_use import record_use, take_units
from services.registry.service.retire_credits import require_beneficiary


def cancel_credits(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.CancelRequest
) -> registry_pb2.CancelResponse:
    require_authenticated(principal)
    account_id = require_id(request.account_id, "account_id")
    batch_id = require_id(request.batch_id, "batch_id")
    quantity = ledger.require_positive_quantity(int(request.quantity_t))
    purpose = enum_suffix(types_pb2.CancellationPurpose, request.purpose, "CANCELLATION_PURPOSE_")
    beneficiary = require_beneficiary(request.beneficiary)

    def effect(uow: UnitOfWorkLike) -> registry_pb2.CancelResponse:
        used = take_units(
            uow,
            principal,
            account_id=account_id,
            batch_id=batch_id,
            quantity=quantity,
            sink_kind=AccountKind.CANCELLATION,
            operation=ledger.cancel,
            authorize=lambda account: require_holder_of(principal, account, "ACCOUNT_HOLDER"),
        )
        cancellation_id = new_id()
        ranges = used.serial_ranges
        entry = repo.append_journal(
            uow.conn,
            actor(principal),
            "Cancel",
            {
                "cancellation_id": cancellation_id,
                "batch_id": batch_id,
                "account_id": account_id,
                "quantity": quantity,
                "serial_ranges": ranges,
                "purpose": purpose,
                "beneficiary": beneficiary,
            },
        )
        record_use(
            uow,
            used,
            kind=CertificateKind.CANCELLATION,
            table=t.cancellations,
            use_id=cancellation_id,
            account_id=account_id,
            quantity=quantity,
            entry=entry,
            beneficiary=beneficiary,
            purpose=purpose,
            columns={"purpose": purpose, "beneficiary": beneficiary},
        )
        blocks = blocks_to_proto(used.batch, used.result.affected)
        uow.add_event(
            "batch",
            batch_id,
            events_pb2.CreditsCancelled(
                cancellation_id=cancellation_id,
                batch_id=batch_id,
                account_id=account_id,
                organization_id=used.source.organization_id,
                quantity_t=quantity,
                blocks=blocks,
                serial_ranges=ranges,
                purpose=request.purpose,
                beneficiary=beneficiary,
                cancelled_at=timestamp(entry.occurred_at),
                idempotency_key=request.idempotency_key,
                actor_user_id=actor(principal),
                actor_organization_id=actor_org(principal),
            ),
        )
        return registry_pb2.CancelResponse(
            cancellation_id=cancellation_id,
            blocks=blocks,
            serial_ranges=ranges,
            cancelled_at=timestamp(entry.occurred_at),
        )

    return run_idempotent(deps, principal, "Cancel", request, registry_pb2.CancelResponse, effect)
