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

    def __post_init__(self) -> None:
        for name in ("trusted_account_delay_s", "untrusted_transfer_delay_s", "max_failed_authorizations"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
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

    def needs_approval(self, quantity: int) -> bool:
        return self.four_eyes_threshold_t is not None and quantity > self.four_eyes_threshold_t

    def plan(self, *, quantity: int, target_trusted: bool, now: datetime) -> TransferPlan:
        """How a requested transfer proceeds: at once, held until `completes_at`, and/or waiting
        for a second person's approval."""
        delay_s = 0 if target_trusted else self.untrusted_transfer_delay_s
        approval = self.needs_approval(quantity)
        completes_at = now + timedelta(seconds=delay_s)
        if approval:
            return TransferPlan(TransferStatus.PENDING_APPROVAL, completes_at)
        if delay_s > 0:
            return TransferPlan(TransferStatus.HELD, completes_at)
        return TransferPlan(TransferStatus.COMPLETED, completes_at)

    def suspends_after(self, failures_in_window: int) -> bool:
        return self.max_failed_authorizations > 0 and failures_in_window >= self.max_failed_authorizations

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
