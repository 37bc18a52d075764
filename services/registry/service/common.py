"""What registry handlers share: argument checks, authorization on accounts, and loading
accounts and batches under the registry's lock order (service/ports.py)."""

from __future__ import annotations

from typing import Any

from carbon_runtime.errors import forbidden, insufficient, invalid, not_found
from services.registry.domain.actor import NOT_AUTHORIZED, Actor, require_authenticated
from services.registry.domain.blocks import UnitBlock
from services.registry.domain.models import Account, Batch
from services.registry.service.ports import RegistryUnitOfWork


def require_id(value: str, field: str) -> str:
    if not value:
        raise invalid("FIELD_REQUIRED", f"{field} is required", field=field)
    return value


def caused_by(actor: Actor, idempotency_key: str | None) -> dict[str, Any]:
    """The fields every event carries about its cause (see domain/events.Caused)."""
    return {
        "idempotency_key": idempotency_key or "",
        "actor_user_id": actor.name,
        "actor_organization_id": actor.org,
    }


def require_holder_of(actor: Actor, account: Account, *roles: str) -> None:
    """Members of the owning organization with one of `roles` act on an account's units."""
    require_authenticated(actor)
    if not actor.has_role(*roles) or not actor.member_of(account.organization_id):
        raise forbidden(
            NOT_AUTHORIZED,
            f"only {' or '.join(roles)} members of the organization owning account {account.id} may do this",
            account_id=account.id,
        )


def locked_account(accounts: dict[str, Account], account_id: str) -> Account:
    account = accounts.get(account_id)
    if account is None:
        raise not_found("ACCOUNT_NOT_FOUND", f"account {account_id} does not exist", account_id=account_id)
    return account


def locked_batch(uow: RegistryUnitOfWork, batch_id: str) -> Batch:
    batch = uow.batches.lock(batch_id)
    if batch is None:
        raise not_found("BATCH_NOT_FOUND", f"batch {batch_id} does not exist in the registry", batch_id=batch_id)
    return batch


def require_some_held(blocks: list[UnitBlock], account: Account, batch_id: str, quantity: int) -> None:
    """An account that holds none of the batch (any more) has a balance of 0 there: asking for more
    is INSUFFICIENT_BALANCE, like any other request above the balance. (The domain reports
    UNITS_NOT_HELD, a precondition, which partners could not tell apart from a lifecycle error.)"""
    if any(block.account_id == account.id for block in blocks):
        return
    raise insufficient(
        "INSUFFICIENT_BALANCE",
        f"account {account.id} has 0 available credits of batch {batch_id}; {quantity} requested",
        account_id=account.id,
        batch_id=batch_id,
        available=0,
        requested=quantity,
    )
