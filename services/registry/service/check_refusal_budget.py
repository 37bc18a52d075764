"""CheckRefusalBudget: the per-caller throttle of the safeguards. A caller refused
`caller_refusal_limit` times within the window (on any accounts) is refused FORBIDDEN
`TOO_MANY_REFUSED_AUTHORIZATIONS` before its next command has any effect, until the window passes.
Strangers' refusals never suspend the accounts they probe (record_refused_authorization.py); this
is what slows them down instead. Platform services are exempt (they act for the exchange)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from carbon_runtime.errors import forbidden
from services.registry.domain.commands import CheckRefusalBudget
from services.registry.domain.safeguards import SafeguardPolicy
from services.registry.service.ports import RegistryUnitOfWork

TOO_MANY_REFUSED_AUTHORIZATIONS = "TOO_MANY_REFUSED_AUTHORIZATIONS"


def handle(
    cmd: CheckRefusalBudget,
    uow: RegistryUnitOfWork,
    *,
    safeguards: SafeguardPolicy,
    clock: Callable[[], datetime],
) -> None:
    actor = cmd.actor
    limit = safeguards.caller_refusal_limit
    if limit <= 0 or not actor.authenticated or actor.has_role("SERVICE"):
        return
    refused = uow.accounts.caller_authorization_failures(actor.name, safeguards.failure_window_start(clock()))
    if refused >= limit:
        raise forbidden(
            TOO_MANY_REFUSED_AUTHORIZATIONS,
            f"too many refused operations ({refused}) in the last {safeguards.failed_authorization_window_s} s; "
            "try again later",
        )
