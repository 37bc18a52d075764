"""What the registry's handlers return: plain dataclasses of domain values. The bus stores them with
idempotency keys (and replays them), and the entrypoints map them to protobuf responses and GraphQL
types, so no caller reads the database again after a mutation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from carbon_runtime.vocabulary import CancellationPurpose, RetirementPurpose
from services.registry.domain.events import Block, TransferAccounting
from services.registry.domain.models import AccountKind, AccountStatus
from services.registry.domain.safeguards import TransferStatus


@dataclass(frozen=True)
class OrganizationResult:
    id: str
    name: str
    country: str
    accredited_verifier: bool
    account_ids: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class AccountResult:
    id: str
    organization_id: str
    kind: AccountKind
    status: AccountStatus
    balance_t: int
    locked_t: int
    opened_at: datetime


@dataclass(frozen=True)
class MintResult:
    batch_id: str
    serial_start: str
    serial_end: str
    holder_blocks: tuple[Block, ...]
    buffer_blocks: tuple[Block, ...]


@dataclass(frozen=True)
class TransferResult:
    """A transfer as its caller sees it: completed at once (with accounting and time), held or
    pending (its units locked until `completes_at`), or cancelled."""

    transfer_id: str
    batch_id: str
    from_account_id: str
    to_account_id: str
    quantity_t: int
    status: TransferStatus
    #: The units moved (COMPLETED) or locked for the transfer (HELD, PENDING_APPROVAL).
    blocks: tuple[Block, ...]
    accounting: TransferAccounting | None = None
    transferred_at: datetime | None = None
    completes_at: datetime | None = None
    #: Units returned to the source's balance by a cancellation.
    released: tuple[Block, ...] = ()


@dataclass(frozen=True)
class RetirementResult:
    retirement_id: str
    account_id: str
    batch_id: str
    quantity_t: int
    blocks: tuple[Block, ...]
    serial_ranges: tuple[str, ...]
    purpose: RetirementPurpose
    beneficiary: str
    retirement_year: int
    offset_emissions_t: Decimal | None
    activity_description: str
    reporting_period_start: date | None
    reporting_period_end: date | None
    retired_at: datetime
    certificate_id: str
    counts_toward_japan_ndc: bool


@dataclass(frozen=True)
class CancellationResult:
    cancellation_id: str
    account_id: str
    batch_id: str
    quantity_t: int
    blocks: tuple[Block, ...]
    serial_ranges: tuple[str, ...]
    purpose: CancellationPurpose
    beneficiary: str
    cancelled_at: datetime
    certificate_id: str


@dataclass(frozen=True)
class NdcUseResult:
    ndc_use_id: str
    blocks: tuple[Block, ...]
    serial_ranges: tuple[str, ...]
    used_at: datetime


@dataclass(frozen=True)
class LockResult:
    lock_id: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class UnlockResult:
    blocks: tuple[Block, ...]
    remaining_locked_t: int


@dataclass(frozen=True)
class SettleResult:
    settlement_id: str
    blocks: tuple[Block, ...]
    deliveries: tuple[TransferAccounting, ...]
    remaining_locked_t: int


@dataclass(frozen=True)
class BufferCancellationResult:
    cancellation_id: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class ImportBatchResult:
    mint: MintResult
    holder_account_id: str


@dataclass(frozen=True)
class ImportBlockEventResult:
    operation_id: str
    batch_id: str
    blocks: tuple[Block, ...]
    serial_ranges: tuple[str, ...]


@dataclass(frozen=True)
class TrustedAccountResult:
    account_id: str
    trusted_account_id: str
    added_at: datetime
    effective_at: datetime


@dataclass(frozen=True)
class RemovedTrustedAccount:
    account_id: str
    trusted_account_id: str


@dataclass(frozen=True)
class ReinstatedAccount:
    account_id: str
    organization_id: str
    kind: AccountKind
    reinstated_at: datetime


@dataclass(frozen=True)
class CompletedTransfers:
    completed: int
