"""What happened in the registry, in past tense. Handlers emit these; service/messages.py maps each to
its proto event (carbon.registry.v1 events), so the Kafka payloads stay the contract's."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from carbon_runtime.vocabulary import (
    AccountKind,
    CancellationPurpose,
    RetirementPurpose,
    TransferStatus,
    UnitStatus,
)
from services.registry.domain.blocks import UnitBlock
from services.registry.domain.commands import CreditAttributes, DeliveryCriteria
from services.registry.domain.models import Batch
from services.registry.domain.serials import unit_serial


@dataclass(frozen=True)
class Block:
    """A block of units as partners see it: its unit range, serials and status."""

    batch_id: str
    account_id: str
    start_unit: int
    end_unit: int
    serial_start: str
    serial_end: str
    quantity_t: int
    status: UnitStatus


def block_of(batch: Batch, block: UnitBlock) -> Block:
    return Block(
        batch_id=block.batch_id,
        account_id=block.account_id,
        start_unit=block.start,
        end_unit=block.end,
        serial_start=unit_serial(batch, block.start),
        serial_end=unit_serial(batch, block.end),
        quantity_t=block.quantity,
        status=block.status,
    )


def blocks_of(batch: Batch, blocks: Iterable[UnitBlock]) -> tuple[Block, ...]:
    return tuple(block_of(batch, block) for block in sorted(blocks))


@dataclass(frozen=True)
class TransferAccounting:
    """ITMO first-transfer and issuer-onset facts of one batch's ownership change."""

    batch_id: str
    quantity_t: int
    itmo_first_transfer: bool
    issuer_onset: bool
    #: 0 when the move is not an issuer onset.
    onset_fiscal_year: int


@dataclass(frozen=True, kw_only=True)
class Caused:
    """Who caused an event and under which idempotency key ("" for none)."""

    idempotency_key: str = ""
    actor_user_id: str = ""
    actor_organization_id: str = ""


@dataclass(frozen=True, kw_only=True)
class OrganizationCreated(Caused):
    organization_id: str
    name: str
    country: str
    accredited_verifier: bool


@dataclass(frozen=True, kw_only=True)
class AccountOpened(Caused):
    account_id: str
    organization_id: str
    kind: AccountKind


@dataclass(frozen=True, kw_only=True)
class BatchMinted(Caused):
    batch_id: str
    issuance_id: str
    attributes: CreditAttributes
    issued_quantity_t: int
    buffer_quantity_t: int
    serial_start: str
    serial_end: str
    holder_account_id: str
    buffer_account_id: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True, kw_only=True)
class CreditsTransferred(Caused):
    transfer_id: str
    batch_id: str
    from_account_id: str
    from_organization_id: str
    to_account_id: str
    to_organization_id: str
    quantity_t: int
    blocks: tuple[Block, ...]
    accounting: TransferAccounting


@dataclass(frozen=True, kw_only=True)
class CreditsRetired(Caused):
    retirement_id: str
    batch_id: str
    account_id: str
    organization_id: str
    quantity_t: int
    blocks: tuple[Block, ...]
    serial_ranges: tuple[str, ...]
    purpose: RetirementPurpose
    beneficiary: str
    retirement_year: int
    offset_emissions_t: Decimal | None
    activity_description: str
    reporting_period_start: str
    reporting_period_end: str
    retired_at: datetime
    counts_toward_japan_ndc: bool


@dataclass(frozen=True, kw_only=True)
class CreditsCancelled(Caused):
    cancellation_id: str
    batch_id: str
    account_id: str
    organization_id: str
    quantity_t: int
    blocks: tuple[Block, ...]
    serial_ranges: tuple[str, ...]
    purpose: CancellationPurpose
    beneficiary: str
    cancelled_at: datetime


@dataclass(frozen=True, kw_only=True)
class CreditsUsedForNdc(Caused):
    ndc_use_id: str
    batch_id: str
    account_id: str
    organization_id: str
    quantity_t: int
    blocks: tuple[Block, ...]
    serial_ranges: tuple[str, ...]
    ndc_country: str
    ndc_year: int
    used_at: datetime


@dataclass(frozen=True, kw_only=True)
class CreditsLocked(Caused):
    lock_id: str
    account_id: str
    quantity_t: int
    criteria: DeliveryCriteria
    blocks: tuple[Block, ...]


@dataclass(frozen=True, kw_only=True)
class CreditsUnlocked(Caused):
    lock_id: str
    account_id: str
    quantity_t: int
    blocks: tuple[Block, ...]
    remaining_locked_t: int


@dataclass(frozen=True, kw_only=True)
class CreditsSettled(Caused):
    settlement_id: str
    lock_id: str
    trade_id: str
    from_account_id: str
    from_organization_id: str
    to_account_id: str
    to_organization_id: str
    quantity_t: int
    blocks: tuple[Block, ...]
    deliveries: tuple[TransferAccounting, ...]
    remaining_locked_t: int


@dataclass(frozen=True, kw_only=True)
class BufferCancelled(Caused):
    cancellation_id: str
    batch_id: str
    buffer_account_id: str
    program_id: str
    quantity_t: int
    blocks: tuple[Block, ...]
    serial_ranges: tuple[str, ...]
    reversal_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class TransferHeld(Caused):
    transfer_id: str
    batch_id: str
    from_account_id: str
    from_organization_id: str
    to_account_id: str
    to_organization_id: str
    quantity_t: int
    status: TransferStatus
    completes_at: datetime
    blocks: tuple[Block, ...]


@dataclass(frozen=True, kw_only=True)
class TransferApproved(Caused):
    transfer_id: str
    batch_id: str
    from_account_id: str
    to_account_id: str
    quantity_t: int
    status: TransferStatus
    completes_at: datetime
    requested_by_user_id: str


@dataclass(frozen=True, kw_only=True)
class TransferCancelled(Caused):
    transfer_id: str
    batch_id: str
    from_account_id: str
    to_account_id: str
    quantity_t: int
    blocks: tuple[Block, ...]


@dataclass(frozen=True, kw_only=True)
class AccountSuspended(Caused):
    account_id: str
    organization_id: str
    failed_authorizations: int
    failure_window_s: int
    operation: str
    suspended_at: datetime


@dataclass(frozen=True, kw_only=True)
class AccountReinstated(Caused):
    account_id: str
    organization_id: str
    reinstated_at: datetime


@dataclass(frozen=True, kw_only=True)
class TrustedAccountAdded(Caused):
    account_id: str
    organization_id: str
    trusted_account_id: str
    trusted_organization_id: str
    added_at: datetime
    effective_at: datetime


@dataclass(frozen=True, kw_only=True)
class TrustedAccountRemoved(Caused):
    account_id: str
    organization_id: str
    trusted_account_id: str
