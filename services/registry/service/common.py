"""What every registry handler shares: dependencies, authorization helpers, idempotency, and the
translation between domain blocks and the protobuf messages that events and responses carry.

Commands are the RegistryService request messages (carbon.registry.v1): gRPC passes them through
and GraphQL builds them, so both entrypoints run exactly the same handler code.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from carbon.issuance.v1 import types_pb2 as issuance_types
from carbon.registry.v1 import events_pb2, types_pb2
from google.protobuf import json_format
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import Connection, Engine

from carbon_runtime.errors import DomainError, ErrorCode, forbidden, insufficient, invalid, not_found
from carbon_runtime.persistence import idempotency
from carbon_runtime.persistence.uow import UnitOfWork
from carbon_runtime.transport.auth import Principal, require_authenticated
from services.registry.adapters import repository as repo
from services.registry.adapters import tables as t
from services.registry.domain.blocks import UnitBlock, UnitStatus
from services.registry.domain.ledger import NOT_AUTHORIZED
from services.registry.domain.models import Account, AccountKind, AccountStatus, Batch
from services.registry.domain.safeguards import SafeguardPolicy, TransferStatus
from services.registry.domain.serials import unit_serial

M = TypeVar("M", bound=Message)


# Handlers only need the connection and add_event of the runtime's unit of work.
UnitOfWorkLike = UnitOfWork


@dataclass(frozen=True)
class RegistryDeps:
    engine: Engine
    uow: Callable[[], UnitOfWorkLike]
    # Transfer safeguards (all off by default) and the clock they run on; tests inject a clock.
    safeguards: SafeguardPolicy = field(default_factory=SafeguardPolicy)
    clock: Callable[[], datetime] = repo.utcnow


def new_id() -> str:
    """Upper-case hex: printable inside serials and certificates, unambiguous when read aloud."""
    return uuid.uuid4().hex.upper()


def idempotency_scope(principal: Principal) -> str:
    """Keys are scoped to the caller's organization, or to the user for platform staff and services."""
    if principal.organization_id:
        return f"org:{principal.organization_id}"
    return f"user:{principal.user_id}"


def run_idempotent(
    deps: RegistryDeps,
    principal: Principal,
    operation: str,
    request: Message,
    response_type: type[M],
    effect: Callable[[UnitOfWorkLike], M],
) -> M:
    """Lookup, effect and store in ONE transaction. A replay (same key, same arguments) returns the
    first response and changes nothing; the same key with other arguments is CONFLICT."""
    key = str(getattr(request, "idempotency_key", ""))
    arguments = json_format.MessageToDict(request, preserving_proto_field_name=True)
    arguments.pop("idempotency_key", None)
    req_hash = idempotency.request_hash(operation, arguments)
    scope = idempotency_scope(principal)
    try:
        with deps.uow() as uow:
            if key:
                if len(key) > 200:
                    raise invalid("IDEMPOTENCY_KEY_TOO_LONG", "idempotency keys are at most 200 characters")
                stored = idempotency.lookup(uow.conn, t.idempotency_keys, scope, key, operation, req_hash)
                if stored is not None:
                    return response_type.FromString(stored)
            response = effect(uow)
            if key:
                idempotency.store(
                    uow.conn, t.idempotency_keys, scope, key, operation, req_hash, response.SerializeToString()
                )
            return response
    except DomainError as err:
        note_refused_authorization(deps, principal, operation, err)
        raise


def note_refused_authorization(deps: RegistryDeps, principal: Principal, operation: str, err: DomainError) -> None:
    """Count a wrong-organization attempt on an account (in its own transaction: the refused one
    rolled back) and suspend the account once the policy's limit is reached within its window. A
    suspended account refuses every move (ACCOUNT_NOT_OPEN) until a REGISTRY_ADMIN reinstates it."""
    policy = deps.safeguards
    account_id = err.details.get("account_id")
    if (
        policy.max_failed_authorizations <= 0
        or err.code is not ErrorCode.FORBIDDEN
        or not isinstance(account_id, str)
        or not principal.authenticated
    ):
        return
    now = deps.clock()
    with deps.uow() as uow:
        account = repo.lock_accounts(uow.conn, [account_id]).get(account_id)
        if account is None or principal.member_of(account.organization_id):
            return
        failures = repo.record_authorization_failure(
            uow.conn,
            account_id=account_id,
            user_id=actor(principal),
            organization_id=principal.organization_id,
            operation=operation,
            now=now,
            window_start=policy.failure_window_start(now),
        )
        if account.status is AccountStatus.OPEN and policy.suspends_after(failures):
            repo.set_account_status(uow.conn, account_id, AccountStatus.SUSPENDED)
            repo.append_journal(
                uow.conn,
                "registry",
                "AccountSuspended",
                {"account_id": account_id, "failed_authorizations": failures, "last_user_id": actor(principal)},
            )
            uow.add_event(
                "account",
                account_id,
                events_pb2.AccountSuspended(
                    account_id=account_id,
                    organization_id=account.organization_id,
                    failed_authorizations=failures,
                    failure_window_s=policy.failed_authorization_window_s,
                    operation=operation,
                    suspended_at=timestamp(now),
                    actor_user_id=actor(principal),
                    actor_organization_id=actor_org(principal),
                ),
            )


# ----------------------------------------------------------------------------------------------
# Authorization.


def require_holder_of(principal: Principal, account: Account, *roles: str) -> None:
    """Members of the owning organization with one of `roles` act on an account's units."""
    require_authenticated(principal)
    if not principal.has_role(*roles) or not principal.member_of(account.organization_id):
        raise forbidden(
            NOT_AUTHORIZED,
            f"only {' or '.join(roles)} members of the organization owning account {account.id} may do this",
            account_id=account.id,
        )


def can_read_account(principal: Principal, organization_id: str) -> bool:
    return principal.member_of(organization_id) or principal.has_role("AUDITOR", "REGISTRY_ADMIN", "SERVICE")


def require_account_reader(principal: Principal, organization_id: str, account_id: str) -> None:
    require_authenticated(principal)
    if not can_read_account(principal, organization_id):
        raise forbidden(NOT_AUTHORIZED, f"you may not read account {account_id}", account_id=account_id)


def load_account(conn: Connection, account_id: str) -> Account:
    row = repo.get_account_row(conn, account_id)
    if row is None:
        raise not_found("ACCOUNT_NOT_FOUND", f"account {account_id} does not exist", account_id=account_id)
    return repo.account_from_row(row)


def locked_account(accounts: dict[str, Account], account_id: str) -> Account:
    account = accounts.get(account_id)
    if account is None:
        raise not_found("ACCOUNT_NOT_FOUND", f"account {account_id} does not exist", account_id=account_id)
    return account


def locked_batch(conn: Connection, batch_id: str) -> Batch:
    row = repo.get_batch_row(conn, batch_id, for_update=True)
    if row is None:
        raise not_found("BATCH_NOT_FOUND", f"batch {batch_id} does not exist in the registry", batch_id=batch_id)
    return repo.batch_from_row(row)


def require_id(value: str, field: str) -> str:
    if not value:
        raise invalid("FIELD_REQUIRED", f"{field} is required", field=field)
    return value


def actor(principal: Principal) -> str:
    return principal.user_id or "anonymous"


def actor_org(principal: Principal) -> str:
    return principal.organization_id or ""


# ----------------------------------------------------------------------------------------------
# Protobuf translation.

_STATUS_TO_PROTO = {status: types_pb2.UnitStatus.Value(f"UNIT_STATUS_{status.value}") for status in UnitStatus}
_KIND_TO_PROTO = {kind: types_pb2.AccountKind.Value(f"ACCOUNT_KIND_{kind.value}") for kind in AccountKind}
_TRANSFER_STATUS_TO_PROTO = {
    status: types_pb2.TransferStatus.Value(f"TRANSFER_STATUS_{status.value}") for status in TransferStatus
}


def transfer_status_to_proto(status: TransferStatus) -> types_pb2.TransferStatus.ValueType:
    return _TRANSFER_STATUS_TO_PROTO[status]


def status_to_proto(status: UnitStatus) -> types_pb2.UnitStatus.ValueType:
    return _STATUS_TO_PROTO[status]


def status_from_proto(value: int) -> UnitStatus:
    for status, number in _STATUS_TO_PROTO.items():
        if number == value:
            return status
    raise invalid("UNIT_STATUS_INVALID", "unit status must be set")


def kind_to_proto(kind: AccountKind) -> types_pb2.AccountKind.ValueType:
    return _KIND_TO_PROTO[kind]


def kind_from_proto(value: int) -> AccountKind:
    for kind, number in _KIND_TO_PROTO.items():
        if number == value:
            return kind
    raise invalid("ACCOUNT_KIND_INVALID", "account kind must be set (HOLDING, BUFFER, RETIREMENT, ...)")


def enum_suffix(enum_type: object, value: int, prefix: str) -> str:
    """'RETIREMENT_PURPOSE_SHK_ADJUSTMENT' -> 'SHK_ADJUSTMENT'; refuses UNSPECIFIED."""
    name: str = enum_type.Name(value)  # type: ignore[attr-defined]
    if name.endswith("UNSPECIFIED"):
        raise invalid(f"{prefix}INVALID", f"{prefix.lower().replace('_', ' ').strip()} must be set")
    return name[len(prefix) :]


def block_to_proto(batch: Batch, block: UnitBlock) -> types_pb2.UnitBlock:
    return types_pb2.UnitBlock(
        batch_id=block.batch_id,
        account_id=block.account_id,
        start_unit=block.start,
        end_unit=block.end,
        serial_start=unit_serial(batch, block.start),
        serial_end=unit_serial(batch, block.end),
        quantity_t=block.quantity,
        status=status_to_proto(block.status),
    )


def blocks_to_proto(batch: Batch, blocks: Iterable[UnitBlock]) -> list[types_pb2.UnitBlock]:
    return [block_to_proto(batch, block) for block in sorted(blocks)]


def credit_type_name(value: int) -> str:
    return enum_suffix(issuance_types.CreditType, value, "CREDIT_TYPE_")


def category_name(value: int) -> str:
    return enum_suffix(issuance_types.CreditCategory, value, "CREDIT_CATEGORY_")


def timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


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
