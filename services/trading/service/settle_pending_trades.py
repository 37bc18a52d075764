"""SettlePendingTrades: one pass of the settlement worker. Registry unlocks owed first, then every
PENDING trade; a trade the registry cannot settle now stays PENDING for the next pass."""

from __future__ import annotations

import logging
from collections.abc import Callable

from carbon_runtime.errors import DomainError
from services.trading.domain.commands import SettlePendingTrades
from services.trading.domain.session import Clock
from services.trading.service.ports import RegistryPort, UnitOfWork
from services.trading.service.settlement import release_unlocks, settle

log = logging.getLogger(__name__)


def handle(
    cmd: SettlePendingTrades,
    uow: UnitOfWork,
    *,
    registry: RegistryPort,
    clock: Clock,
    service_token: Callable[[], str],
) -> int:
    """Returns how many trades settled."""
    release_unlocks(uow, registry=registry, clock=clock, service_token=service_token)
    settled = 0
    for trade_id in uow.trades.pending_ids(cmd.limit):
        try:
            settle(uow, trade_id, registry=registry, clock=clock, service_token=service_token)
            settled += 1
        except DomainError as err:
            log.info("settlement still pending", extra={"trade_id": trade_id, "code": err.code.value})
    return settled
