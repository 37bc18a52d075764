"""AddTrustedAccount (ACCOUNT_HOLDER of the owning organization): transfers to a listed account
complete at once once the entry is effective (`trusted_account_delay_s` after it was added);
transfers elsewhere are held (`untrusted_transfer_delay_s`). Adding an account that is already
listed changes nothing (its effective time stays, and no event is published)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from carbon_runtime.errors import invalid
from services.registry.domain import safeguards
from services.registry.domain.actor import require_authenticated
from services.registry.domain.commands import AddTrustedAccount
from services.registry.domain.events import TrustedAccountAdded
from services.registry.domain.models import AccountKind
from services.registry.domain.safeguards import SafeguardPolicy
from services.registry.service.common import caused_by, locked_account, require_holder_of, require_id
from services.registry.service.ports import RegistryUnitOfWork, TrustedEntry
from services.registry.service.results import TrustedAccountResult


def _result(entry: TrustedEntry) -> TrustedAccountResult:
    return TrustedAccountResult(entry.account_id, entry.trusted_account_id, entry.added_at, entry.effective_at)


def handle(
    cmd: AddTrustedAccount,
    uow: RegistryUnitOfWork,
    *,
    safeguards: SafeguardPolicy,
    clock: Callable[[], datetime],
) -> TrustedAccountResult:
    actor = cmd.actor
    require_authenticated(actor)
    account_id = require_id(cmd.account_id, "account_id")
    trusted_account_id = require_id(cmd.trusted_account_id, "trusted_account_id")
    accounts = uow.accounts.lock([account_id, trusted_account_id])
    account = locked_account(accounts, account_id)
    require_holder_of(actor, account, "ACCOUNT_HOLDER")
    trusted = locked_account(accounts, trusted_account_id)
    if trusted.id == account.id or trusted.kind is not AccountKind.HOLDING:
        raise invalid(
            TRUSTED_ACCOUNT_INVALID,
            "only another HOLDING account can be a trusted account",
            trusted_account_id=trusted.id,
        )
    existing = uow.records.trusted_entry(account.id, trusted.id)
    if existing is not None:
        return _result(existing)
    now = clock()
    entry = TrustedEntry(account.id, trusted.id, now, safeguards.trusted_effective_at(now))
    uow.records.add_trusted_entry(entry, added_by=actor.name)
    uow.journal.append(actor.name, "TrustedAccountAdded", {"account_id": account.id, "trusted_account_id": trusted.id})
    uow.emit(
        TrustedAccountAdded(
            account_id=account.id,
            organization_id=account.organization_id,
            trusted_account_id=trusted.id,
            trusted_organization_id=trusted.organization_id,
            added_at=entry.added_at,
            effective_at=entry.effective_at,
            **caused_by(actor, cmd.idempotency_key),
        )
    )
    return _result(entry)


TRUSTED_ACCOUNT_INVALID = safeguards.TRUSTED_ACCOUNT_INVALID
