"""OpenAccount (REGISTRY_ADMIN). BUFFER accounts are not opened here: each program's buffer pool is
created on demand when a batch with a buffer share is minted, so it always names its program."""

from __future__ import annotations

from typing import Any

from carbon.registry.v1 import events_pb2, registry_pb2, types_pb2
from sqlalchemy import insert

from carbon_runtime.errors import invalid, not_found
from carbon_runtime.transport.auth import Principal, require_role
from services.registry.adapters import repository as repo
from services.registry.adapters import tables as t
from services.registry.domain.models import Account, AccountKind, AccountStatus
from services.registry.service.common import (
    RegistryDeps,
    UnitOfWorkLike,
    actor,
    actor_org,
    kind_from_proto,
    kind_to_proto,
    new_id,
    require_id,
    run_idempotent,
    timestamp,
)


def account_to_proto(row: Any, held: int, locked: int) -> types_pb2.Account:
    return types_pb2.Account(
        account_id=row.id,
        organization_id=row.organization_id,
        kind=kind_to_proto(AccountKind(row.kind)),
        balance_t=held,
        locked_t=locked,
        opened_at=timestamp(repo.aware(row.opened_at)),
    )


def open_account(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.OpenAccountRequest
) -> registry_pb2.OpenAccountResponse:
    require_role(principal, "REGISTRY_ADMIN")
    organization_id = require_id(request.organization_id, "organization_id")
    kind = kind_from_proto(request.kind)
    if kind is AccountKind.BUFFER:
        raise invalid(
            "BUFFER_ACCOUNT_BY_MINTING",
            "a program's BUFFER account is created when its first batch with a buffer share is minted",
        )

    def effect(uow: UnitOfWorkLike) -> registry_pb2.OpenAccountResponse:
        if repo.get_organization_row(uow.conn, organization_id) is None:
            raise not_found(
                "ORGANIZATION_NOT_FOUND",
                f"organization {organization_id} does not exist",
                organization_id=organization_id,
            )
        account = Account(id=new_id(), organization_id=organization_id, kind=kind)
        uow.conn.execute(
            insert(t.accounts).values(
                id=account.id,
                organization_id=organization_id,
                kind=kind.value,
                status=AccountStatus.OPEN.value,
                program_id=None,
                opened_at=repo.utcnow(),
            )
        )
        repo.append_journal(
            uow.conn,
            actor(principal),
            "OpenAccount",
            {"account_id": account.id, "organization_id": organization_id, "kind": kind.value},
        )
        uow.add_event(
            "account",
            account.id,
            events_pb2.AccountOpened(
                account_id=account.id,
                organization_id=organization_id,
                kind=kind_to_proto(kind),
                idempotency_key=request.idempotency_key,
                actor_user_id=actor(principal),
                actor_organization_id=actor_org(principal),
            ),
        )
        row = repo.get_account_row(uow.conn, account.id)
        return registry_pb2.OpenAccountResponse(account=account_to_proto(row, 0, 0))

    return run_idempotent(deps, principal, "OpenAccount", request, registry_pb2.OpenAccountResponse, effect)
