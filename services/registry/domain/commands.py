"""What callers ask of the registry: one frozen dataclass per mutation, in domain types.

The gRPC servicer and the GraphQL resolvers build the SAME commands and `bus.handle` them. The
caller travels as `actor` (never part of an idempotency fingerprint); a command that takes an
idempotency key carries it with its scope. `operation` keeps the names the registry has always
stored with keys and failed-authorization records (Transfer, Retire, ...)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import ClassVar

from carbon_runtime.vocabulary import (
    AccountKind,
    Authorization,
    CancellationPurpose,
    CreditBasis,
    CreditCategory,
    CreditType,
    RetirementPurpose,
)
from services.registry.domain.actor import Actor


@dataclass(frozen=True, kw_only=True)
class Command:
    actor: Actor
    idempotency_key: str | None = None
    idempotency_scope: str = ""


@dataclass(frozen=True, kw_only=True)
class CreateOrganization(Command):
    operation: ClassVar[str] = "CreateOrganization"
    name: str
    country: str
    accredited_verifier: bool = False


@dataclass(frozen=True, kw_only=True)
class OpenAccount(Command):
    operation: ClassVar[str] = "OpenAccount"
    organization_id: str
    #: None when the caller left it unset (refused: ACCOUNT_KIND_INVALID).
    kind: AccountKind | None = AccountKind.HOLDING


@dataclass(frozen=True, kw_only=True)
class CreditAttributes:
    """The issued batch's attributes as issuance states them; None enums were left unset."""

    project_id: str
    program_id: str
    methodology_id: str
    country: str
    vintage_start: date
    vintage_end: date
    credit_type: CreditType | None
    basis: CreditBasis | None
    category: CreditCategory | None
    corresponding_adjustment: bool = False
    #: None: unspecified (stored as AUTHORIZATION_UNSPECIFIED).
    authorization: Authorization | None = None
    co_benefits: tuple[int, ...] = ()
    issuer_organization_id: str = ""


@dataclass(frozen=True, kw_only=True)
class MintBatch(Command):
    operation: ClassVar[str] = "MintBatch"
    issuance_id: str
    batch_id: str
    attributes: CreditAttributes
    serial_prefix: str = ""
    issued_quantity_t: int
    buffer_quantity_t: int = 0
    holder_account_id: str
    buffer_account_id: str = ""


@dataclass(frozen=True, kw_only=True)
class TransferCredits(Command):
    operation: ClassVar[str] = "Transfer"
    from_account_id: str
    to_account_id: str
    batch_id: str
    quantity_t: int


@dataclass(frozen=True, kw_only=True)
class RetireCredits(Command):
    operation: ClassVar[str] = "Retire"
    account_id: str
    batch_id: str
    quantity_t: int
    purpose: RetirementPurpose | None
    beneficiary: str
    retirement_year: int
    offset_emissions_t: Decimal | None = None
    activity_description: str = ""
    reporting_period_start: date | None = None
    reporting_period_end: date | None = None
    # ETS_COMPLIANCE only: the scheme the credits are surrendered to (carbon_runtime.rules.permanent_uses
    # EtsScheme) and the obligation, in tonnes, whose 表 8 share limits them.
    ets_scheme: str | None = None
    ets_obligation_t: int | None = None


@dataclass(frozen=True, kw_only=True)
class CancelCredits(Command):
    operation: ClassVar[str] = "Cancel"
    account_id: str
    batch_id: str
    quantity_t: int
    purpose: CancellationPurpose | None
    beneficiary: str


@dataclass(frozen=True, kw_only=True)
class UseForNdc(Command):
    operation: ClassVar[str] = "UseForNdc"
    account_id: str
    batch_id: str
    quantity_t: int
    ndc_country: str
    ndc_year: int


@dataclass(frozen=True, kw_only=True)
class DeliveryCriteria:
    """What a lock may reserve; every restriction that is set must hold."""

    program_ids: tuple[str, ...] = ()
    credit_types: tuple[CreditType, ...] = ()
    categories: tuple[CreditCategory, ...] = ()
    vintage_from: date | None = None
    vintage_to: date | None = None
    corresponding_adjustment_required: bool = False
    batch_id: str = ""


@dataclass(frozen=True, kw_only=True)
class LockCredits(Command):
    operation: ClassVar[str] = "Lock"
    account_id: str
    quantity_t: int
    lock_id: str
    criteria: DeliveryCriteria = field(default_factory=DeliveryCriteria)


@dataclass(frozen=True, kw_only=True)
class UnlockCredits(Command):
    operation: ClassVar[str] = "Unlock"
    lock_id: str
    #: None: release everything still locked.
    quantity_t: int | None = None


@dataclass(frozen=True, kw_only=True)
class SettleCredits(Command):
    operation: ClassVar[str] = "Settle"
    lock_id: str
    quantity_t: int
    to_account_id: str
    trade_id: str


@dataclass(frozen=True, kw_only=True)
class CancelFromBuffer(Command):
    operation: ClassVar[str] = "CancelFromBuffer"
    buffer_account_id: str
    batch_id: str = ""
    program_id: str = ""
    quantity_t: int
    reversal_id: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class OriginUnits:
    """Units of an external registry's numbering scope (import)."""

    numbering_scope: str
    unit_start: int
    unit_end: int
    serial_start: str = ""
    serial_end: str = ""
    origin_serial: str = ""


@dataclass(frozen=True, kw_only=True)
class ImportBatch:
    """Idempotent by the import record (`import_key`), not by the caller: no bus idempotency."""

    operation: ClassVar[str] = "ImportBatch"
    actor: Actor
    import_key: str
    mint: MintBatch
    origin_registry: str
    origin_batch_id: str = ""
    origin_project_id: str
    origin_units: OriginUnits | None = None


@dataclass(frozen=True, kw_only=True)
class ImportBlockEvent:
    """A retirement or cancellation made at the origin registry (RETIRED / CANCELLED)."""

    operation: ClassVar[str] = "ImportBlockEvent"
    actor: Actor
    import_key: str
    origin_registry: str
    #: "RETIRED" or "CANCELLED"; None when unset (refused).
    kind: str | None
    batch_id: str = ""
    quantity_t: int
    origin_units: OriginUnits | None = None
    beneficiary: str = ""
    reason: str = ""
    details: str = ""
    event_date: date | None = None


@dataclass(frozen=True, kw_only=True)
class AddTrustedAccount(Command):
    operation: ClassVar[str] = "AddTrustedAccount"
    account_id: str
    trusted_account_id: str


@dataclass(frozen=True, kw_only=True)
class RemoveTrustedAccount(Command):
    operation: ClassVar[str] = "RemoveTrustedAccount"
    account_id: str
    trusted_account_id: str


@dataclass(frozen=True, kw_only=True)
class ApproveTransfer(Command):
    operation: ClassVar[str] = "ApproveTransfer"
    transfer_id: str


@dataclass(frozen=True, kw_only=True)
class CancelTransfer(Command):
    operation: ClassVar[str] = "CancelTransfer"
    transfer_id: str


@dataclass(frozen=True, kw_only=True)
class ReinstateAccount(Command):
    operation: ClassVar[str] = "ReinstateAccount"
    account_id: str


@dataclass(frozen=True, kw_only=True)
class CompleteDueHeldTransfers:
    """The background worker's command: complete HELD transfers whose hold has ended."""

    account_id: str | None = None
    limit: int = 100


@dataclass(frozen=True, kw_only=True)
class CheckRefusalBudget:
    """Before any command of an authenticated caller: refuse a caller who was refused too often in
    the safeguard window (a stranger probing accounts is throttled; it cannot suspend them)."""

    actor: Actor


@dataclass(frozen=True, kw_only=True)
class RecordRefusedAuthorization:
    """A wrong-organization attempt on an account, recorded after the refused command rolled back."""

    actor: Actor
    account_id: str
    #: The refused command's operation (Transfer, Retire, ...).
    refused_operation: str
