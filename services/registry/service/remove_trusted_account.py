"""RemoveTrustedAccount (ACCOUNT_HOLDER of the owning organization): takes effect at once, because
protection is never delayed. Publishes TrustedAccountRemoved."""

from __future__ import annotations

from carbon_runtime.errors import not_found
from services.registry.domain import safeguards
from services.registry.domain.actor import require_authenticated
from services.registry.domain.commands import RemoveTrustedAccount
from services.registry.domain.events import TrustedAccountRemoved
from services.registry.service.common import caused_by, locked_account, require_holder_of, require_id
from services.registry.service.ports import RegistryUnitOfWork
from services.registry.service.results import RemovedTrustedAccount


def handle(cmd: RemoveTrustedAccount, uow: RegistryUnitOfWork) -> RemovedTrustedAccount:
    actor = cmd.actor
    require_authenticated(actor)
    account_id = require_id(cmd.account_id, "account_id")
    trusted_account_id = cmd.trusted_account_id
    account = locked_account(uow.accounts.lock([account_id]), account_id)
    require_holder_of(actor, account, "ACCOUNT_HOLDER")
    if not uow.records.remove_trusted_entry(account.id, trusted_account_id):
        raise not_found(
            safeguards.TRUSTED_ACCOUNT_NOT_LISTED,
            f"account {trusted_account_id} is not on the trusted list of account {account.id}",
            trusted_account_id=trusted_account_id,
        )
    uow.journal.append(
        actor.name, "TrustedAccountRemoved", {"account_id": account.id, "trusted_account_id": trusted_account_id}
    )
    uow.emit(
        TrustedAccountRemoved(
            account_id=account.id,
            organization_id=account.organization_id,
            trusted_account_id=trusted_account_id,
            **caused_by(actor, cmd.idempotency_key),
        )
    )
    return RemovedTrustedAccount(account.id, trusted_account_id)
