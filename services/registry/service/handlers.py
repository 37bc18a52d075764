"""The registry's handlers, one module per use case, and the bus that runs them.

HANDLERS is collected from the modules of this package (each use case is a module with a
`handle(cmd, uow, *, deps)` function annotated with its command type), so a new use case is a
new module and nothing else registers it."""

from __future__ import annotations

from typing import Any

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.messaging.bus import MessageBus, collect_handlers, operation_of
from services.registry.domain.commands import CheckRefusalBudget, RecordRefusedAuthorization
from services.registry.service.ports import RegistryUnitOfWork


class RegistryBus(MessageBus[RegistryUnitOfWork]):
    """The runtime's bus, plus the registry's safeguard against probing: a command refused
    FORBIDDEN on an account is recorded against that account in a transaction of its own (the
    refused one rolled back), which may suspend the account when the caller belongs to its
    organization (RecordRefusedAuthorization); a caller refused too often is refused before its
    next command runs (CheckRefusalBudget)."""

    def handle(self, cmd: object) -> Any:
        actor = getattr(cmd, "actor", None)
        if actor is not None and not isinstance(cmd, (RecordRefusedAuthorization, CheckRefusalBudget)):
            # Throttle per caller first: a caller refused too often is refused before any effect.
            super().handle(CheckRefusalBudget(actor=actor))
        try:
            return super().handle(cmd)
        except DomainError as err:
            refusal = refused_authorization(cmd, err)
            if refusal is not None:
                super().handle(refusal)
            raise


def refused_authorization(cmd: object, err: DomainError) -> RecordRefusedAuthorization | None:
    account_id = err.details.get("account_id")
    actor = getattr(cmd, "actor", None)
    if err.code is not ErrorCode.FORBIDDEN or not isinstance(account_id, str) or actor is None:
        return None
    if not actor.authenticated or isinstance(cmd, RecordRefusedAuthorization):
        return None
    return RecordRefusedAuthorization(actor=actor, account_id=account_id, refused_operation=operation_of(cmd))


#: Every registry command type and its handler, for bootstrap (and for tests building the bus).
HANDLERS: dict[type, Any] = collect_handlers("services.registry.service")
