"""ReinstateAccount (REGISTRY_ADMIN): reopen an account suspended after repeated failed
authorizations on it; its failure count starts again from zero."""

from __future__ import annotations

from carbon_runtime.auth import Principal, require_role
from carbon_runtime.errors import precondition
from services.registry.adapters import repository as repo
from services.registry.domain import safeguards
from services.registry.domain.models import AccountStatus
from services.registry.service.common import RegistryDeps, actor, locked_account, require_id


def reinstate_account(deps: RegistryDeps, principal: Principal, account_id: str) -> None:
    require_role(principal, "REGISTRY_ADMIN")
    require_id(account_id, "account_id")
    with deps.uow() as uow:
        account = locked_account(repo.lock_accounts(uow.conn, [account_id]), account_id)
        if account.status is not AccountStatus.SUSPENDED:
            raise precondition(
                safeguards.ACCOUNT_NOT_SUSPENDED,
                f"account {account.id} is {account.status.value}; only a SUSPENDED account can be reinstated",
                account_id=account.id,
            )
        repo.set_account_status(uow.conn, account.id, AccountStatus.OPEN)
        repo.clear_authorization_failures(uow.conn, account.id)
        repo.append_journal(uow.conn, actor(principal), "AccountReinstated", {"account_id": account.id})
