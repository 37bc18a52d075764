"""What happened, as the reporting service sees it: the other services' events it projects into its read
models (decoded from their protobuf envelopes by entrypoints/consumer.py), and the events it raises
itself (an audit trail of generated reports and reconciliations).

The consumed events carry domain types only: dates, instants (UTC), Decimal amounts, shared enums. The
decoder resolves every default the wire leaves open (an instant missing on the event falls back to the
envelope's `occurred_at`), so projecting an event is a pure function of it and a replay of the
producers' logs builds the same read model as live delivery did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from carbon_runtime.vocabulary import (
    AccountKind,
    Authorization,
    CancellationPurpose,
    CreditBasis,
    CreditCategory,
    CreditType,
    RetirementPurpose,
)


class MalformedEventError(Exception):
    """An event a reader must reject (an UNSPECIFIED enum, a bad date, tonnes that do not add up): it is
    logged and skipped, nothing of it is written and its id is not claimed."""


# --- what travels with the events ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreditAttributes:
    """carbon.issuance.v1.CreditAttributes: fixed at issuance, carried by CreditsIssued and BatchMinted."""

    project_id: str
    program_id: str
    methodology_id: str
    country: str
    vintage_start: date
    vintage_end: date
    credit_type: CreditType
    basis: CreditBasis
    category: CreditCategory
    corresponding_adjustment: bool
    authorization: Authorization
    co_benefits: tuple[int, ...]
    issuer_organization_id: str


@dataclass(frozen=True, slots=True)
class UnitBlock:
    """A contiguous run of units of one batch (the serials a movement touched)."""

    batch_id: str
    serial_start: str
    serial_end: str
    quantity_t: int


@dataclass(frozen=True, slots=True)
class TransferAccounting:
    """One batch's share of a transfer, with what the SHK onset and Article 6 need."""

    batch_id: str
    quantity_t: int
    itmo_first_transfer: bool = False
    issuer_onset: bool = False
    onset_fiscal_year: int = 0


# --- registry ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrganizationCreated:
    organization_id: str
    name: str
    country: str
    accredited_verifier: bool


@dataclass(frozen=True, slots=True)
class AccountOpened:
    account_id: str
    organization_id: str
    kind: AccountKind


@dataclass(frozen=True, slots=True)
class BatchMinted:
    batch_id: str
    attributes: CreditAttributes
    issued_quantity_t: int
    buffer_quantity_t: int
    serial_start: str
    serial_end: str
    minted_at: datetime


@dataclass(frozen=True, slots=True)
class CreditsTransferred:
    transfer_id: str
    from_account_id: str
    from_organization_id: str
    to_account_id: str
    to_organization_id: str
    #: The accounting block is the authority on onset; batch and quantity are the event's own.
    accounting: TransferAccounting
    blocks: tuple[UnitBlock, ...]
    transferred_at: datetime


@dataclass(frozen=True, slots=True)
class CreditsSettled:
    """A trade's delivery: one transfer per delivered batch."""

    settlement_id: str
    trade_id: str
    from_account_id: str
    from_organization_id: str
    to_account_id: str
    to_organization_id: str
    deliveries: tuple[TransferAccounting, ...]
    blocks: tuple[UnitBlock, ...]
    settled_at: datetime


@dataclass(frozen=True, slots=True)
class CreditsRetired:
    retirement_id: str
    batch_id: str
    account_id: str
    organization_id: str
    quantity_t: int
    serial_ranges: tuple[str, ...]
    purpose: RetirementPurpose
    beneficiary: str
    #: 0 when the wire left it empty: the projection refuses such a retirement.
    retirement_year: int
    offset_emissions_tco2e: Decimal | None
    activity_description: str
    retired_at: datetime
    counts_toward_japan_ndc: bool


@dataclass(frozen=True, slots=True)
class CreditsCancelled:
    cancellation_id: str
    batch_id: str
    account_id: str
    organization_id: str
    quantity_t: int
    serial_ranges: tuple[str, ...]
    purpose: CancellationPurpose
    beneficiary: str
    cancelled_at: datetime


@dataclass(frozen=True, slots=True)
class CreditsUsedForNdc:
    ndc_use_id: str
    batch_id: str
    account_id: str
    organization_id: str
    quantity_t: int
    serial_ranges: tuple[str, ...]
    ndc_country: str
    ndc_year: int
    used_at: datetime


@dataclass(frozen=True, slots=True)
class BufferCancelled:
    """Buffer-pool units cancelled after a reversal; a pool-wide cancellation names several batches."""

    cancellation_id: str
    #: Empty for a pool-wide cancellation (its blocks name the batches).
    batch_id: str
    buffer_account_id: str
    quantity_t: int
    blocks: tuple[UnitBlock, ...]
    serial_ranges: tuple[str, ...]
    reversal_id: str
    reason: str
    cancelled_at: datetime


# --- issuance ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProjectCreated:
    project_id: str
    name: str
    country: str
    proponent_organization_id: str
    crediting_period_start: date | None


@dataclass(frozen=True, slots=True)
class ProjectRegistered:
    project_id: str
    registered_on: date


@dataclass(frozen=True, slots=True)
class CreditsIssued:
    batch_id: str
    attributes: CreditAttributes
    project_name: str
    program_name: str
    methodology_title: str
    issued_quantity_t: int
    buffer_quantity_t: int
    serial_start: str
    serial_end: str
    holder_account_id: str
    issued_at: datetime


@dataclass(frozen=True, slots=True)
class ReversalReported:
    reversal_id: str
    project_id: str
    #: Empty when the reversal is not tied to one batch.
    batch_id: str
    reversed_quantity_t: int
    occurred_on: date
    description: str


# --- trading -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InstrumentCreated:
    instrument_id: str
    name: str
    currency: str


@dataclass(frozen=True, slots=True)
class TradeExecuted:
    trade_id: str
    instrument_id: str
    #: Per tonne; None when the wire carried none (the projection refuses such a trade).
    price: Decimal | None
    quantity_t: int
    buyer_organization_id: str
    seller_organization_id: str
    executed_at: datetime


@dataclass(frozen=True, slots=True)
class DeliveredBatch:
    batch_id: str
    quantity_t: int


@dataclass(frozen=True, slots=True)
class TradeSettled:
    trade_id: str
    settlement_id: str
    amount: Decimal | None
    currency: str | None
    deliveries: tuple[DeliveredBatch, ...]
    settled_at: datetime


ConsumedEvent = (
    OrganizationCreated
    | AccountOpened
    | BatchMinted
    | CreditsTransferred
    | CreditsSettled
    | CreditsRetired
    | CreditsCancelled
    | CreditsUsedForNdc
    | BufferCancelled
    | ProjectCreated
    | ProjectRegistered
    | CreditsIssued
    | ReversalReported
    | InstrumentCreated
    | TradeExecuted
    | TradeSettled
)


# --- raised by reporting (an audit trail) --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportGenerated:
    """Someone generated a disclosure or SHK report of an organization."""

    report_id: str
    report_kind: str  # "DISCLOSURE" | "SHK"
    organization_id: str
    year: int
    total_quantity_t: int
    actor_user_id: str
    actor_organization_id: str


@dataclass(frozen=True, slots=True)
class ReconciliationCompleted:
    reconciliation_id: str
    batches_checked: int
    discrepant_batch_ids: tuple[str, ...]
