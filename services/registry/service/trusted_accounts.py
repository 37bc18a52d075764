"""The trusted account list of an account (ACCOUNT_HOLDER of the owning organization): transfers to
a listed account complete at once once the entry is effective (`trusted_account_delay_s` after it
was added); transfers elsewhere are held (`untrusted_transfer_delay_s`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select

from carbon_runtime.auth import Principal, require_authenticated
from carbon_runtime.errors import DomainError, invalid, not_found
from services.registry.adapters import repository as repo
from services.registry.adapters import tables as t
from services.registry.domain import safeguards
from services.registry.domain.models import AccountKind
from services.registry.service.common import (
    RegistryDeps,
    UnitOfWorkLike,
    actor,
    load_account,
    locked_account,
    note_refused_authorization,
    require_account_reader,
    require_holder_of,
    require_id,
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


def add_trusted_account(
    deps: RegistryDeps, principal: Principal, account_id: str, trusted_account_id: str
) -> TrustedAccountView:
    """Adding an account that is already listed changes nothing (its effective time stays)."""
    require_authenticated(principal)
    require_id(account_id, "account_id")
    require_id(trusted_account_id, "trusted_account_id")
    try:
        with deps.uow() as uow:
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
                return _view(existing)
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
            return _view(_entry(uow, account.id, trusted.id))
    except DomainError as err:
        note_refused_authorization(deps, principal, "AddTrustedAccount", err)
        raise


def remove_trusted_account(deps: RegistryDeps, principal: Principal, account_id: str, trusted_account_id: str) -> bool:
    """Removal takes effect at once: protection is never delayed."""
    require_authenticated(principal)
    try:
        with deps.uow() as uow:
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
            return True
    except DomainError as err:
        note_refused_authorization(deps, principal, "RemoveTrustedAccount", err)
        raise


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
