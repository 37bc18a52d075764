"""The trusted account list of an account (ACCOUNT_HOLDER of the owning organization): transfers to
a listed account complete at once once the entry is effective (`trusted_account_delay_s` after it
was added); transfers elsewhere are held (`untrusted_transfer_delay_s`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from carbon.registry.v1 import events_pb2, registry_pb2
from sqlalchemy import delete, insert, select

from carbon_runtime.errors import invalid, not_found
from carbon_runtime.transport.auth import Principal, require_authenticated
from services.registry.adapters import repository as repo
from services.registry.adapters import tables as t
from services.registry.domain import safeguards
from services.registry.domain.models import AccountKind
from services.registry.service.common import (
    RegistryDeps,
    UnitOfWorkLike,
    actor,
    actor_org,
    load_account,
    locked_account,
    require_account_reader,
    require_holder_of,
    require_id,
    run_idempotent,
    timestamp,
)


@dataclass(frozen=True)
class TrustedAccountView:
    account_id: str
    trusted_account_id: str
    added_at: datetime
    effective_at: datetime


def _view(row: Any) -> TrustedAccountView:
    return TrustedAccountView(
        account_id=row.account_id,
        trusted_account_id=row.trusted_account_id,
        added_at=repo.aware(row.added_at),
        effective_at=repo.aware(row.effective_at),
    )


def _entry(uow: UnitOfWorkLike, account_id: str, trusted_account_id: str) -> Any:
    return uow.conn.execute(
        select(t.trusted_accounts).where(
            t.trusted_accounts.c.account_id == account_id,
            t.trusted_accounts.c.trusted_account_id == trusted_account_id,
        )
    ).first()


def _view_from_proto(response: registry_pb2.AddTrustedAccountResponse) -> TrustedAccountView:
    return TrustedAccountView(
        account_id=response.account_id,
        trusted_account_id=response.trusted_account_id,
        added_at=response.added_at.ToDatetime(tzinfo=UTC),
        effective_at=response.effective_at.ToDatetime(tzinfo=UTC),
    )


def add_trusted_account_request(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.AddTrustedAccountRequest
) -> registry_pb2.AddTrustedAccountResponse:
    """Adding an account that is already listed changes nothing (its effective time stays, and no
    event is published); a new entry publishes TrustedAccountAdded in the same transaction."""
    require_authenticated(principal)
    account_id = require_id(request.account_id, "account_id")
    trusted_account_id = require_id(request.trusted_account_id, "trusted_account_id")

    def effect(uow: UnitOfWorkLike) -> registry_pb2.AddTrustedAccountResponse:
        accounts = repo.lock_accounts(uow.conn, [account_id, trusted_account_id])
        account = locked_account(accounts, account_id)
        require_holder_of(principal, account, "ACCOUNT_HOLDER")
        trusted = locked_account(accounts, trusted_account_id)
        if trusted.id == account.id or trusted.kind is not AccountKind.HOLDING:
            raise invalid(
                safeguards.TRUSTED_ACCOUNT_INVALID,
                "only another HOLDING account can be a trusted account",
                trusted_account_id=trusted.id,
            )
        existing = _entry(uow, account.id, trusted.id)
        if existing is not None:
            return _response(_view(existing))
        now = deps.clock()
        uow.conn.execute(
            insert(t.trusted_accounts).values(
                account_id=account.id,
                trusted_account_id=trusted.id,
                added_by=actor(principal),
                added_at=now,
                effective_at=deps.safeguards.trusted_effective_at(now),
            )
        )
        repo.append_journal(
            uow.conn,
            actor(principal),
            "TrustedAccountAdded",
            {"account_id": account.id, "trusted_account_id": trusted.id},
        )
        view = _view(_entry(uow, account.id, trusted.id))
        uow.add_event(
            "account",
            account.id,
            events_pb2.TrustedAccountAdded(
                account_id=account.id,
                organization_id=account.organization_id,
                trusted_account_id=trusted.id,
                trusted_organization_id=trusted.organization_id,
                added_at=timestamp(view.added_at),
                effective_at=timestamp(view.effective_at),
                idempotency_key=request.idempotency_key,
                actor_user_id=actor(principal),
                actor_organization_id=actor_org(principal),
            ),
        )
        return _response(view)

    return run_idempotent(deps, principal, "AddTrustedAccount", request, registry_pb2.AddTrustedAccountResponse, effect)


def _response(view: TrustedAccountView) -> registry_pb2.AddTrustedAccountResponse:
    return registry_pb2.AddTrustedAccountResponse(
        account_id=view.account_id,
        trusted_account_id=view.trusted_account_id,
        added_at=timestamp(view.added_at),
        effective_at=timestamp(view.effective_at),
    )


def add_trusted_account(
    deps: RegistryDeps, principal: Principal, account_id: str, trusted_account_id: str
) -> TrustedAccountView:
    """The GraphQL mutation's form: no idempotency key (adding again changes nothing anyway)."""
    request = registry_pb2.AddTrustedAccountRequest(account_id=account_id, trusted_account_id=trusted_account_id)
    return _view_from_proto(add_trusted_account_request(deps, principal, request))


def remove_trusted_account_request(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.RemoveTrustedAccountRequest
) -> registry_pb2.RemoveTrustedAccountResponse:
    """Removal takes effect at once: protection is never delayed. Publishes TrustedAccountRemoved."""
    require_authenticated(principal)
    account_id = require_id(request.account_id, "account_id")
    trusted_account_id = request.trusted_account_id

    def effect(uow: UnitOfWorkLike) -> registry_pb2.RemoveTrustedAccountResponse:
        account = locked_account(repo.lock_accounts(uow.conn, [account_id]), account_id)
        require_holder_of(principal, account, "ACCOUNT_HOLDER")
        removed = uow.conn.execute(
            delete(t.trusted_accounts).where(
                t.trusted_accounts.c.account_id == account.id,
                t.trusted_accounts.c.trusted_account_id == trusted_account_id,
            )
        )
        if removed.rowcount != 1:
            raise not_found(
                safeguards.TRUSTED_ACCOUNT_NOT_LISTED,
                f"account {trusted_account_id} is not on the trusted list of account {account.id}",
                trusted_account_id=trusted_account_id,
            )
        repo.append_journal(
            uow.conn,
            actor(principal),
            "TrustedAccountRemoved",
            {"account_id": account.id, "trusted_account_id": trusted_account_id},
        )
        uow.add_event(
            "account",
            account.id,
            events_pb2.TrustedAccountRemoved(
                account_id=account.id,
                organization_id=account.organization_id,
                trusted_account_id=trusted_account_id,
                idempotency_key=request.idempotency_key,
                actor_user_id=actor(principal),
                actor_organization_id=actor_org(principal),
            ),
        )
        return registry_pb2.RemoveTrustedAccountResponse(account_id=account.id, trusted_account_id=trusted_account_id)

    return run_idempotent(
        deps, principal, "RemoveTrustedAccount", request, registry_pb2.RemoveTrustedAccountResponse, effect
    )


def remove_trusted_account(deps: RegistryDeps, principal: Principal, account_id: str, trusted_account_id: str) -> bool:
    """The GraphQL mutation's form; NOT_FOUND when the account is not listed."""
    request = registry_pb2.RemoveTrustedAccountRequest(account_id=account_id, trusted_account_id=trusted_account_id)
    remove_trusted_account_request(deps, principal, request)
    return True


def trusted_accounts(deps: RegistryDeps, principal: Principal, account_id: str) -> list[TrustedAccountView]:
    with deps.engine.connect() as conn:
        account = load_account(conn, account_id)
        require_account_reader(principal, account.organization_id, account.id)
        rows = conn.execute(
            select(t.trusted_accounts)
            .where(t.trusted_accounts.c.account_id == account.id)
            .order_by(t.trusted_accounts.c.added_at, t.trusted_accounts.c.trusted_account_id)
        )
        return [_view(row) for row in rows]
