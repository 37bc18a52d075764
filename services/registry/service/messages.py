"""Registry domain events -> outbox messages: the one service module that knows the proto event
types (carbon.registry.v1 events). The payloads are the contract's, field for field."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from carbon.issuance.v1 import types_pb2 as issuance_types
from carbon.registry.v1 import events_pb2, types_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from carbon_runtime.messaging.message import NewEvent
from carbon_runtime.vocabulary import proto_prefix
from services.registry.domain import events as ev
from services.registry.domain.commands import CreditAttributes, DeliveryCriteria


def _enum(proto_enum: Any, value: Any) -> Any:
    """A shared-vocabulary member as its proto enum number (None: UNSPECIFIED, 0)."""
    if value is None:
        return 0
    return proto_enum.Value(proto_prefix(type(value).__name__) + value.value)


def timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def block(b: ev.Block) -> types_pb2.UnitBlock:
    return types_pb2.UnitBlock(
        batch_id=b.batch_id,
        account_id=b.account_id,
        start_unit=b.start_unit,
        end_unit=b.end_unit,
        serial_start=b.serial_start,
        serial_end=b.serial_end,
        quantity_t=b.quantity_t,
        status=_enum(types_pb2.UnitStatus, b.status),
    )


def blocks(items: Iterable[ev.Block]) -> list[types_pb2.UnitBlock]:
    return [block(b) for b in items]


def accounting(a: ev.TransferAccounting) -> types_pb2.TransferAccounting:
    return types_pb2.TransferAccounting(
        batch_id=a.batch_id,
        quantity_t=a.quantity_t,
        itmo_first_transfer=a.itmo_first_transfer,
        issuer_onset=a.issuer_onset,
        onset_fiscal_year=a.onset_fiscal_year,
    )


def attributes(a: CreditAttributes) -> issuance_types.CreditAttributes:
    return issuance_types.CreditAttributes(
        project_id=a.project_id,
        program_id=a.program_id,
        methodology_id=a.methodology_id,
        country=a.country,
        vintage_start=a.vintage_start.isoformat(),
        vintage_end=a.vintage_end.isoformat(),
        credit_type=_enum(issuance_types.CreditType, a.credit_type),
        basis=_enum(issuance_types.CreditBasis, a.basis),
        category=_enum(issuance_types.CreditCategory, a.category),
        corresponding_adjustment=a.corresponding_adjustment,
        authorization=_enum(issuance_types.Authorization, a.authorization),
        co_benefits=list(a.co_benefits),
        issuer_organization_id=a.issuer_organization_id,
    )


def criteria(c: DeliveryCriteria) -> types_pb2.DeliveryCriteria:
    return types_pb2.DeliveryCriteria(
        program_ids=list(c.program_ids),
        credit_types=[_enum(issuance_types.CreditType, v) for v in c.credit_types],
        categories=[_enum(issuance_types.CreditCategory, v) for v in c.categories],
        vintage_from=c.vintage_from.isoformat() if c.vintage_from else "",
        vintage_to=c.vintage_to.isoformat() if c.vintage_to else "",
        corresponding_adjustment_required=c.corresponding_adjustment_required,
        batch_id=c.batch_id,
    )


def _caused(e: ev.Caused) -> dict[str, str]:
    return {
        "idempotency_key": e.idempotency_key,
        "actor_user_id": e.actor_user_id,
        "actor_organization_id": e.actor_organization_id,
    }


def _organization_created(e: ev.OrganizationCreated) -> NewEvent:
    return NewEvent(
        "organization",
        e.organization_id,
        events_pb2.OrganizationCreated(
            organization_id=e.organization_id,
            name=e.name,
            country=e.country,
            accredited_verifier=e.accredited_verifier,
            **_caused(e),
        ),
    )


def _account_opened(e: ev.AccountOpened) -> NewEvent:
    return NewEvent(
        "account",
        e.account_id,
        events_pb2.AccountOpened(
            account_id=e.account_id,
            organization_id=e.organization_id,
            kind=_enum(types_pb2.AccountKind, e.kind),
            **_caused(e),
        ),
    )


def _batch_minted(e: ev.BatchMinted) -> NewEvent:
    return NewEvent(
        "batch",
        e.batch_id,
        events_pb2.BatchMinted(
            batch_id=e.batch_id,
            issuance_id=e.issuance_id,
            attributes=attributes(e.attributes),
            issued_quantity_t=e.issued_quantity_t,
            buffer_quantity_t=e.buffer_quantity_t,
            serial_start=e.serial_start,
            serial_end=e.serial_end,
            holder_account_id=e.holder_account_id,
            buffer_account_id=e.buffer_account_id,
            blocks=blocks(e.blocks),
            **_caused(e),
        ),
    )


def _credits_transferred(e: ev.CreditsTransferred) -> NewEvent:
    return NewEvent(
        "batch",
        e.batch_id,
        events_pb2.CreditsTransferred(
            transfer_id=e.transfer_id,
            batch_id=e.batch_id,
            from_account_id=e.from_account_id,
            from_organization_id=e.from_organization_id,
            to_account_id=e.to_account_id,
            to_organization_id=e.to_organization_id,
            quantity_t=e.quantity_t,
            blocks=blocks(e.blocks),
            accounting=accounting(e.accounting),
            **_caused(e),
        ),
    )


def _credits_retired(e: ev.CreditsRetired) -> NewEvent:
    return NewEvent(
        "batch",
        e.batch_id,
        events_pb2.CreditsRetired(
            retirement_id=e.retirement_id,
            batch_id=e.batch_id,
            account_id=e.account_id,
            organization_id=e.organization_id,
            quantity_t=e.quantity_t,
            blocks=blocks(e.blocks),
            serial_ranges=list(e.serial_ranges),
            purpose=_enum(types_pb2.RetirementPurpose, e.purpose),
            beneficiary=e.beneficiary,
            retirement_year=e.retirement_year,
            offset_emissions_decimal=str(e.offset_emissions_t) if e.offset_emissions_t is not None else "",
            activity_description=e.activity_description,
            reporting_period_start=e.reporting_period_start,
            reporting_period_end=e.reporting_period_end,
            retired_at=timestamp(e.retired_at),
            counts_toward_japan_ndc=e.counts_toward_japan_ndc,
            **_caused(e),
        ),
    )


def _credits_cancelled(e: ev.CreditsCancelled) -> NewEvent:
    return NewEvent(
        "batch",
        e.batch_id,
        events_pb2.CreditsCancelled(
            cancellation_id=e.cancellation_id,
            batch_id=e.batch_id,
            account_id=e.account_id,
            organization_id=e.organization_id,
            quantity_t=e.quantity_t,
            blocks=blocks(e.blocks),
            serial_ranges=list(e.serial_ranges),
            purpose=_enum(types_pb2.CancellationPurpose, e.purpose),
            beneficiary=e.beneficiary,
            cancelled_at=timestamp(e.cancelled_at),
            **_caused(e),
        ),
    )


def _credits_used_for_ndc(e: ev.CreditsUsedForNdc) -> NewEvent:
    return NewEvent(
        "batch",
        e.batch_id,
        events_pb2.CreditsUsedForNdc(
            ndc_use_id=e.ndc_use_id,
            batch_id=e.batch_id,
            account_id=e.account_id,
            organization_id=e.organization_id,
            quantity_t=e.quantity_t,
            blocks=blocks(e.blocks),
            serial_ranges=list(e.serial_ranges),
            ndc_country=e.ndc_country,
            ndc_year=e.ndc_year,
            used_at=timestamp(e.used_at),
            **_caused(e),
        ),
    )


def _credits_locked(e: ev.CreditsLocked) -> NewEvent:
    return NewEvent(
        "lock",
        e.lock_id,
        events_pb2.CreditsLocked(
            lock_id=e.lock_id,
            account_id=e.account_id,
            quantity_t=e.quantity_t,
            criteria=criteria(e.criteria),
            blocks=blocks(e.blocks),
            **_caused(e),
        ),
    )


def _credits_unlocked(e: ev.CreditsUnlocked) -> NewEvent:
    return NewEvent(
        "lock",
        e.lock_id,
        events_pb2.CreditsUnlocked(
            lock_id=e.lock_id,
            account_id=e.account_id,
            quantity_t=e.quantity_t,
            blocks=blocks(e.blocks),
            remaining_locked_t=e.remaining_locked_t,
            **_caused(e),
        ),
    )


def _credits_settled(e: ev.CreditsSettled) -> NewEvent:
    return NewEvent(
        "lock",
        e.lock_id,
        events_pb2.CreditsSettled(
            settlement_id=e.settlement_id,
            lock_id=e.lock_id,
            trade_id=e.trade_id,
            from_account_id=e.from_account_id,
            from_organization_id=e.from_organization_id,
            to_account_id=e.to_account_id,
            to_organization_id=e.to_organization_id,
            quantity_t=e.quantity_t,
            blocks=blocks(e.blocks),
            deliveries=[accounting(d) for d in e.deliveries],
            remaining_locked_t=e.remaining_locked_t,
            **_caused(e),
        ),
    )


def _buffer_cancelled(e: ev.BufferCancelled) -> NewEvent:
    return NewEvent(
        "account",
        e.buffer_account_id,
        events_pb2.BufferCancelled(
            cancellation_id=e.cancellation_id,
            batch_id=e.batch_id,
            buffer_account_id=e.buffer_account_id,
            quantity_t=e.quantity_t,
            blocks=blocks(e.blocks),
            serial_ranges=list(e.serial_ranges),
            reversal_id=e.reversal_id,
            reason=e.reason,
            program_id=e.program_id,
            **_caused(e),
        ),
    )


def _transfer_held(e: ev.TransferHeld) -> NewEvent:
    return NewEvent(
        "batch",
        e.batch_id,
        events_pb2.TransferHeld(
            transfer_id=e.transfer_id,
            batch_id=e.batch_id,
            from_account_id=e.from_account_id,
            from_organization_id=e.from_organization_id,
            to_account_id=e.to_account_id,
            to_organization_id=e.to_organization_id,
            quantity_t=e.quantity_t,
            status=_enum(types_pb2.TransferStatus, e.status),
            completes_at=timestamp(e.completes_at),
            blocks=blocks(e.blocks),
            **_caused(e),
        ),
    )


def _transfer_approved(e: ev.TransferApproved) -> NewEvent:
    return NewEvent(
        "batch",
        e.batch_id,
        events_pb2.TransferApproved(
            transfer_id=e.transfer_id,
            batch_id=e.batch_id,
            from_account_id=e.from_account_id,
            to_account_id=e.to_account_id,
            quantity_t=e.quantity_t,
            status=_enum(types_pb2.TransferStatus, e.status),
            completes_at=timestamp(e.completes_at),
            requested_by_user_id=e.requested_by_user_id,
            **_caused(e),
        ),
    )


def _transfer_cancelled(e: ev.TransferCancelled) -> NewEvent:
    return NewEvent(
        "batch",
        e.batch_id,
        events_pb2.TransferCancelled(
            transfer_id=e.transfer_id,
            batch_id=e.batch_id,
            from_account_id=e.from_account_id,
            to_account_id=e.to_account_id,
            quantity_t=e.quantity_t,
            blocks=blocks(e.blocks),
            **_caused(e),
        ),
    )


def _account_suspended(e: ev.AccountSuspended) -> NewEvent:
    return NewEvent(
        "account",
        e.account_id,
        events_pb2.AccountSuspended(
            account_id=e.account_id,
            organization_id=e.organization_id,
            failed_authorizations=e.failed_authorizations,
            failure_window_s=e.failure_window_s,
            operation=e.operation,
            suspended_at=timestamp(e.suspended_at),
            actor_user_id=e.actor_user_id,
            actor_organization_id=e.actor_organization_id,
        ),
    )


def _account_reinstated(e: ev.AccountReinstated) -> NewEvent:
    return NewEvent(
        "account",
        e.account_id,
        events_pb2.AccountReinstated(
            account_id=e.account_id,
            organization_id=e.organization_id,
            reinstated_at=timestamp(e.reinstated_at),
            **_caused(e),
        ),
    )


def _trusted_account_added(e: ev.TrustedAccountAdded) -> NewEvent:
    return NewEvent(
        "account",
        e.account_id,
        events_pb2.TrustedAccountAdded(
            account_id=e.account_id,
            organization_id=e.organization_id,
            trusted_account_id=e.trusted_account_id,
            trusted_organization_id=e.trusted_organization_id,
            added_at=timestamp(e.added_at),
            effective_at=timestamp(e.effective_at),
            **_caused(e),
        ),
    )


def _trusted_account_removed(e: ev.TrustedAccountRemoved) -> NewEvent:
    return NewEvent(
        "account",
        e.account_id,
        events_pb2.TrustedAccountRemoved(
            account_id=e.account_id,
            organization_id=e.organization_id,
            trusted_account_id=e.trusted_account_id,
            **_caused(e),
        ),
    )


_MAPPERS: dict[type, Callable[[Any], NewEvent]] = {
    ev.OrganizationCreated: _organization_created,
    ev.AccountOpened: _account_opened,
    ev.BatchMinted: _batch_minted,
    ev.CreditsTransferred: _credits_transferred,
    ev.CreditsRetired: _credits_retired,
    ev.CreditsCancelled: _credits_cancelled,
    ev.CreditsUsedForNdc: _credits_used_for_ndc,
    ev.CreditsLocked: _credits_locked,
    ev.CreditsUnlocked: _credits_unlocked,
    ev.CreditsSettled: _credits_settled,
    ev.BufferCancelled: _buffer_cancelled,
    ev.TransferHeld: _transfer_held,
    ev.TransferApproved: _transfer_approved,
    ev.TransferCancelled: _transfer_cancelled,
    ev.AccountSuspended: _account_suspended,
    ev.AccountReinstated: _account_reinstated,
    ev.TrustedAccountAdded: _trusted_account_added,
    ev.TrustedAccountRemoved: _trusted_account_removed,
}


def to_messages(event: object) -> Iterable[NewEvent]:
    mapper = _MAPPERS.get(type(event))
    if mapper is None:
        raise TypeError(f"no outbox message for {type(event).__name__}")
    return (mapper(event),)
