"""ReinstateAccount (REGISTRY_ADMIN): reopen an account suspended after repeated failed
authorizations on it; its failure count starts again from zero. Publishes AccountReinstated."""

from __future__ import annotations

from carbon.registry.v1 import events_pb2, registry_pb2

from carbon_runtime.errors import precondition
from carbon_runtime.transport.auth import Principal, require_role
from services.registry.adapters import repository as repo
from services.registry.domain import safeguards
from services.registry.domain.models import AccountStatus
from services.registry.service.common import (
    RegistryDeps,
    UnitOfWorkLike,
    actor,
    actor_org,
    locked_account,
    require_id,
    run_idempotent,
    timestamp,
)


def reinstate_account_request(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.ReinstateAccountRequest
) -> registry_pb2.ReinstateAccountResponse:
    require_role(principal, "REGISTRY_ADMIN")
    account_id = require_id(request.account_id, "account_id")

    def effect(uow: UnitOfWorkLike) -> registry_pb2.ReinstateAccountResponse:
        account = locked_account(repo.lock_accounts(uow.conn, [account_id]), account_id)
        if account.status is not AccountStatus.SUSPENDED:
            raise precondition(
                safeguards.ACCOUNT_NOT_SUSPENDED,
                f"account {account.id} is {account.status.value}; only a SUSPENDED account can be reinstated",
                account_id=account.id,
            )
        now = deps.clock()
        repo.set_account_status(uow.conn, account.id, AccountStatus.OPEN)
        repo.clear_authorization_failures(uow.conn, account.id)
        repo.append_journal(uow.conn, actor(principal), "AccountReinstated", {"account_id": account.id})
        uow.add_event(
            "account",
            account.id,
            events_pb2.AccountReinstated(
                account_id=account.id,
                organization_id=account.organization_id,
                reinstated_at=timestamp(now),
                idempotency_key=request.idempotency_key,
                actor_user_id=actor(principal),
                actor_organization_id=actor_org(principal),
            ),
        )
        return registry_pb2.ReinstateAccountResponse(account_id=account.id, reinstated_at=timestamp(now))

    return run_idempotent(deps, principal, "ReinstateAccount", request, registry_pb2.ReinstateAccountResponse, effect)


def reinstate_account(deps: RegistryDeps, principal: Principal, account_id: str) -> None:
    """The GraphQL mutation's form (no idempotency key)."""
    reinstate_account_request(deps, principal, registry_pb2.ReinstateAccountRequest(account_id=account_id))
