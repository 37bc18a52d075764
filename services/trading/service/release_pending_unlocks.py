"""ReleasePendingUnlocks: give back the registry locks the exchange owes (cancelled sells, refused
orders, unsold tenders); an unlock the registry refuses now stays owed."""

from __future__ import annotations

from collections.abc import Callable

from services.trading.domain.commands import ReleasePendingUnlocks
from services.trading.domain.session import Clock
from services.trading.service.ports import RegistryPort, UnitOfWork
from services.trading.service.settlement import release_unlocks


def handle(
    cmd: ReleasePendingUnlocks,
    uow: UnitOfWork,
    *,
    registry: RegistryPort,
    clock: Clock,
    service_token: Callable[[], str],
) -> int:
    """Returns how many unlocks the registry confirmed."""
    return release_unlocks(uow, registry=registry, clock=clock, service_token=service_token)
