"""ReinstateAccount (REGISTRY_ADMIN): reopen an account suspended after repeated failed
authorizations on it; its failure count starts again from zero. Publishes AccountReinstated."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from carbon_runtime.errors import precondition
from services.registry.domain import safeguards
from services.registry.domain.actor import require_role
from services.registry.domain.commands import ReinstateAccount
from services.registry.domain.events import AccountReinstated
from services.registry.domain.models import AccountStatus
from services.registry.service.common import caused_by, locked_account, require_id
from services.registry.service.ports import RegistryUnitOfWork
from services.registry.service.results import ReinstatedAccount


def handle(cmd: ReinstateAccount, uow: RegistryUnitOfWork, *, clock: Callable[[], datetime]) -> ReinstatedAccount:
    actor = cmd.actor
    require_role(actor, "REGISTRY_ADMIN")
    account_id = require_id(cmd.account_id, "account_id")
    account = locked_account(uow.accounts.lock([account_id]), account_id)
    if account.status is not AccountStatus.SUSPENDED:
        raise precondition(
            safeguards.ACCOUNT_NOT_SUSPENDED,
            f"account {account.id} is {account.status.value}; only a SUSPENDED account can be reinstated",
            account_id=account.id,
        )
    now = clock()
    uow.accounts.set_status(account.id, AccountStatus.OPEN)
    uow.accounts.clear_authorization_failures(account.id)
    uow.journal.append(actor.name, "AccountReinstated", {"account_id": account.id})
    uow.emit(
        AccountReinstated(
            account_id=account.id,
            organization_id=account.organization_id,
            reinstated_at=now,
            **caused_by(actor, cmd.idempotency_key),
        )
    )
    return ReinstatedAccount(account.id, account.organization_id, account.kind, now)
