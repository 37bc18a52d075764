"""Cancel (取消, ACCOUNT_HOLDER of the owning organization): HELD units are used without counting
towards a target (e.g. CORSIA). Permanent: they reach the organization's CANCELLATION account."""

from __future__ import annotations

from collections.abc import Callable

from carbon_runtime.errors import invalid
from services.registry.domain import ledger
from services.registry.domain.actor import require_authenticated
from services.registry.domain.certificates import CertificateKind
from services.registry.domain.commands import CancelCredits
from services.registry.domain.events import CreditsCancelled, blocks_of
from services.registry.domain.models import AccountKind
from services.registry.domain.permanent_uses import check_cancellation
from services.registry.service.common import caused_by, require_holder_of, require_id
from services.registry.service.permanent_use import record_use, take_units
from services.registry.service.ports import RegistryUnitOfWork
from services.registry.service.results import CancellationResult
from services.registry.service.retire_credits import require_beneficiary


def handle(cmd: CancelCredits, uow: RegistryUnitOfWork, *, new_id: Callable[[], str]) -> CancellationResult:
    actor = cmd.actor
    require_authenticated(actor)
    account_id = require_id(cmd.account_id, "account_id")
    batch_id = require_id(cmd.batch_id, "batch_id")
    quantity = ledger.require_positive_quantity(cmd.quantity_t)
    if cmd.purpose is None:
        raise invalid("CANCELLATION_PURPOSE_INVALID", "cancellation purpose must be set")
    purpose = cmd.purpose
    beneficiary = require_beneficiary(cmd.beneficiary)

    used = take_units(
        uow,
        account_id=account_id,
        batch_id=batch_id,
        quantity=quantity,
        sink_kind=AccountKind.CANCELLATION,
        operation=ledger.cancel,
        authorize=lambda account: require_holder_of(actor, account, "ACCOUNT_HOLDER"),
        check_batch=lambda batch: check_cancellation(batch, purpose),
    )
    cancellation_id = new_id()
    ranges = used.serial_ranges
    entry = uow.journal.append(
        actor.name,
        "Cancel",
        {
            "cancellation_id": cancellation_id,
            "batch_id": batch_id,
            "account_id": account_id,
            "quantity": quantity,
            "serial_ranges": list(ranges),
            "purpose": purpose.value,
            "beneficiary": beneficiary,
        },
    )
    certificate_id = record_use(
        uow,
        used,
        kind=CertificateKind.CANCELLATION,
        use_id=cancellation_id,
        account_id=account_id,
        quantity=quantity,
        entry=entry,
        beneficiary=beneficiary,
        purpose=purpose.value,
        columns={"purpose": purpose.value, "beneficiary": beneficiary},
    )
    blocks = blocks_of(used.batch, used.result.affected)
    uow.emit(
        CreditsCancelled(
            cancellation_id=cancellation_id,
            batch_id=batch_id,
            account_id=account_id,
            organization_id=used.source.organization_id,
            quantity_t=quantity,
            blocks=blocks,
            serial_ranges=ranges,
            purpose=purpose,
            beneficiary=beneficiary,
            cancelled_at=entry.occurred_at,
            **caused_by(actor, cmd.idempotency_key),
        )
    )
    return CancellationResult(
        cancellation_id=cancellation_id,
        account_id=account_id,
        batch_id=batch_id,
        quantity_t=quantity,
        blocks=blocks,
        serial_ranges=ranges,
        purpose=purpose,
        beneficiary=beneficiary,
        cancelled_at=entry.occurred_at,
        certificate_id=certificate_id,
    )
