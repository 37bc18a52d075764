"""RecordRefusedAuthorization: record a refused attempt on an account (in its own transaction: the
refused command rolled back). Only refusals of callers who belong to the account's organization
(a stolen or misused login inside it) count toward suspending the account, once the policy's limit
is reached within its window; account ids are public, so if strangers' refusals counted, anyone
could freeze any account. Strangers are throttled per caller instead (RegistryBus refuses a caller
with too many refusals in the window). System accounts (BUFFER-<program>, RETIREMENT-<org>, ...)
are never suspended: suspending a buffer pool would block every issuance of its program.
A suspended account refuses every move (ACCOUNT_NOT_OPEN) until a REGISTRY_ADMIN reinstates it,
which clears its window. The bus runs this after any command refused FORBIDDEN on an account
(service/handlers.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from carbon_runtime.vocabulary import AccountKind
from services.registry.domain.commands import RecordRefusedAuthorization
from services.registry.domain.events import AccountSuspended
from services.registry.domain.models import AccountStatus
from services.registry.domain.safeguards import SafeguardPolicy
from services.registry.service.ports import RegistryUnitOfWork


def handle(
    cmd: RecordRefusedAuthorization,
    uow: RegistryUnitOfWork,
    *,
    safeguards: SafeguardPolicy,
    clock: Callable[[], datetime],
) -> None:
    actor = cmd.actor
    if safeguards.max_failed_authorizations <= 0 or not actor.authenticated:
        return
    now = clock()
    account = uow.accounts.lock([cmd.account_id]).get(cmd.account_id)
    if account is None:
        return
    failures = uow.accounts.record_authorization_failure(
        account_id=account.id,
        user_id=actor.name,
        organization_id=actor.organization_id,
        operation=cmd.refused_operation,
        now=now,
        window_start=safeguards.failure_window_start(now),
    )
    if not actor.member_of(account.organization_id) or account.kind is not AccountKind.HOLDING:
        return
    if account.status is AccountStatus.OPEN and safeguards.suspends_after(failures):
        uow.accounts.set_status(account.id, AccountStatus.SUSPENDED)
        uow.journal.append(
            "registry",
            "AccountSuspended",
            {"account_id": account.id, "failed_authorizations": failures, "last_user_id": actor.name},
        )
        uow.emit(
            AccountSuspended(
                account_id=account.id,
                organization_id=account.organization_id,
                failed_authorizations=failures,
                failure_window_s=safeguards.failed_authorization_window_s,
                operation=cmd.refused_operation,
                suspended_at=now,
                actor_user_id=actor.name,
                actor_organization_id=actor.org,
            )
        )
