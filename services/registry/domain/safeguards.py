"""Transfer safeguards in the style of the EU Union Registry: a trusted account list per account,
a hold on transfers to accounts not (yet) on it, a second person's approval above a threshold, and
suspension of an account after repeated failed authorizations on it.

Pure policy: what to do with a transfer, given the facts the service read under its row locks.
The settings come from RegistrySettings (env REGISTRY_*); with the dev defaults every rule is off,
so a transfer completes in the call that requests it (the contract's read-your-writes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from carbon_runtime.vocabulary import TransferStatus as TransferStatus  # shared vocabulary, re-exported

TRANSFER_NOT_PENDING = "TRANSFER_NOT_PENDING"
TRANSFER_NOT_FOUND = "TRANSFER_NOT_FOUND"
APPROVER_IS_INITIATOR = "APPROVER_IS_INITIATOR"
APPROVAL_NOT_REQUIRED = "APPROVAL_NOT_REQUIRED"
TRUSTED_ACCOUNT_INVALID = "TRUSTED_ACCOUNT_INVALID"
TRUSTED_ACCOUNT_NOT_LISTED = "TRUSTED_ACCOUNT_NOT_LISTED"
ACCOUNT_NOT_SUSPENDED = "ACCOUNT_NOT_SUSPENDED"
FOUR_EYES_REQUIRED = "FOUR_EYES_REQUIRED"

# Only PENDING_APPROVAL and HELD transfers keep units LOCKED; they can be cancelled until they
# complete, after which the move is final.
OPEN_STATUSES = frozenset({TransferStatus.PENDING_APPROVAL, TransferStatus.HELD})


@dataclass(frozen=True, slots=True)
class SafeguardPolicy:
    """0 seconds / None threshold / 0 failures switch the corresponding rule off."""

    trusted_account_delay_s: int = 0
    untrusted_transfer_delay_s: int = 0
    four_eyes_threshold_t: int | None = None
    max_failed_authorizations: int = 0
    failed_authorization_window_s: int = 3600
    #: Refusals one caller may collect within the failure window before its commands are refused
    #: (TOO_MANY_REFUSED_AUTHORIZATIONS); 0: four times max_failed_authorizations.
    max_refusals_per_caller: int = 0
    #: Four-eyes counts the sum moved out of an account over this rolling window, not each transfer:
    #: otherwise a thief splits the theft into transfers just under the threshold.
    four_eyes_window_s: int = 24 * 3600
    #: Selling on the exchange (a registry Lock of the delivering account) needs the ACCOUNT_HOLDER
    #: right on it, not only TRADER: a stolen TRADER login alone cannot move an organization's credits.
    sell_requires_account_holder: bool = False

    # The exchange as a venue. A Lock reserves units for delivery to whoever the order book matches,
    # so the trusted-account list cannot apply per counterparty and a settlement cannot be held
    # (the trade is already done). The exchange is trusted as a venue because (1) delivery is only
    # versus payment at a price inside the instrument's limits, (2) selling needs the ACCOUNT_HOLDER
    # right on the delivering account (sell_requires_account_holder), and (3) what is locked for
    # sale counts toward the same rolling four-eyes sum as transfers: above it, a Lock is refused
    # (FOUR_EYES_REQUIRED) and the holder uses a transfer, which a second person approves.

    def __post_init__(self) -> None:
        for name in (
            "trusted_account_delay_s",
            "untrusted_transfer_delay_s",
            "max_failed_authorizations",
            "max_refusals_per_caller",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.four_eyes_window_s <= 0:
            raise ValueError("four_eyes_window_s must be positive")
        if self.failed_authorization_window_s <= 0:
            raise ValueError("failed_authorization_window_s must be positive")
        if self.four_eyes_threshold_t is not None and self.four_eyes_threshold_t < 0:
            raise ValueError("four_eyes_threshold_t must not be negative")

    def trusted_effective_at(self, added_at: datetime) -> datetime:
        """A new trusted-list entry protects nobody until the delay has passed: a thief who adds
        their own account cannot use it at once, and the holder has time to notice."""
        return added_at + timedelta(seconds=self.trusted_account_delay_s)

    @property
    def holds_untrusted_transfers(self) -> bool:
        """Whether the trusted list matters to a transfer's plan: with no hold on transfers to
        untrusted accounts, plan() is the same whether the target is trusted or not."""
        return self.untrusted_transfer_delay_s > 0

    def needs_approval(self, quantity: int, recent_outgoing_t: int = 0) -> bool:
        """Above the threshold counting what already left the account in the rolling window."""
        return self.four_eyes_threshold_t is not None and quantity + recent_outgoing_t > self.four_eyes_threshold_t

    def four_eyes_window_start(self, now: datetime) -> datetime:
        return now - timedelta(seconds=self.four_eyes_window_s)

    def plan(self, *, quantity: int, target_trusted: bool, now: datetime, recent_outgoing_t: int = 0) -> TransferPlan:
        """How a requested transfer proceeds: at once, held until `completes_at`, and/or waiting
        for a second person's approval."""
        delay_s = 0 if target_trusted else self.untrusted_transfer_delay_s
        approval = self.needs_approval(quantity, recent_outgoing_t)
        completes_at = now + timedelta(seconds=delay_s)
        if approval:
            return TransferPlan(TransferStatus.PENDING_APPROVAL, completes_at)
        if delay_s > 0:
            return TransferPlan(TransferStatus.HELD, completes_at)
        return TransferPlan(TransferStatus.COMPLETED, completes_at)

    def suspends_after(self, failures_in_window: int) -> bool:
        return self.max_failed_authorizations > 0 and failures_in_window >= self.max_failed_authorizations

    @property
    def caller_refusal_limit(self) -> int:
        """0 when the safeguard is off."""
        if self.max_failed_authorizations <= 0:
            return 0
        return self.max_refusals_per_caller or 4 * self.max_failed_authorizations

    def failure_window_start(self, now: datetime) -> datetime:
        return now - timedelta(seconds=self.failed_authorization_window_s)


@dataclass(frozen=True, slots=True)
class TransferPlan:
    status: TransferStatus
    completes_at: datetime

    @property
    def immediate(self) -> bool:
        return self.status is TransferStatus.COMPLETED


def is_trusted(
    *,
    same_organization: bool,
    entry_effective_at: datetime | None,
    now: datetime,
) -> bool:
    """Accounts of the same organization are always trusted (moving between one's own accounts
    cannot be theft); any other account only once its trusted-list entry has become effective."""
    if same_organization:
        return True
    return entry_effective_at is not None and entry_effective_at <= now


def due(status: TransferStatus, completes_at: datetime, now: datetime) -> bool:
    """A HELD transfer completes when its hold ends; one awaiting approval never completes alone."""
    return status is TransferStatus.HELD and completes_at <= now


def hold_lock_id(transfer_id: str) -> str:
    """The lock that keeps a held transfer's units from moving any other way. Not a row of the
    exchange's locks table, so neither Unlock nor Settle can release or deliver them."""
    return f"transfer:{transfer_id}"
