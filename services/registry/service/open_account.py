"""OpenAccount (REGISTRY_ADMIN). BUFFER accounts are not opened here: each program's buffer pool is
created on demand when a batch with a buffer share is minted, so it always names its program."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from carbon_runtime.errors import invalid, not_found
from services.registry.domain.actor import require_role
from services.registry.domain.commands import OpenAccount
from services.registry.domain.events import AccountOpened
from services.registry.domain.models import Account, AccountKind, AccountStatus
from services.registry.service.common import caused_by, require_id
from services.registry.service.ports import RegistryUnitOfWork
from services.registry.service.results import AccountResult


def handle(
    cmd: OpenAccount,
    uow: RegistryUnitOfWork,
    *,
    clock: Callable[[], datetime],
    new_id: Callable[[], str],
) -> AccountResult:
    actor = cmd.actor
    require_role(actor, "REGISTRY_ADMIN")
    organization_id = require_id(cmd.organization_id, "organization_id")
    if cmd.kind is None:
        raise invalid("ACCOUNT_KIND_INVALID", "account kind must be set (HOLDING, BUFFER, RETIREMENT, ...)")
    kind = cmd.kind
    if kind is AccountKind.BUFFER:
        raise invalid(
            "BUFFER_ACCOUNT_BY_MINTING",
            "a program's BUFFER account is created when its first batch with a buffer share is minted",
        )
    if not uow.accounts.organization_exists(organization_id):
        raise not_found(
            "ORGANIZATION_NOT_FOUND",
            f"organization {organization_id} does not exist",
            organization_id=organization_id,
        )
    account = Account(id=new_id(), organization_id=organization_id, kind=kind)
    now = clock()
    uow.accounts.add_account(account, now)
    uow.journal.append(
        actor.name,
        "OpenAccount",
        {"account_id": account.id, "organization_id": organization_id, "kind": kind.value},
    )
    uow.emit(
        AccountOpened(
            account_id=account.id,
            organization_id=organization_id,
            kind=kind,
            **caused_by(actor, cmd.idempotency_key),
        )
    )
    return AccountResult(account.id, organization_id, kind, AccountStatus.OPEN, 0, 0, now)
