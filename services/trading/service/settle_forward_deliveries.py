"""SettleForwardDeliveries (the forward worker): finish every delivery left PENDING by a crash or an
unavailable registry. The saga is idempotent (service/forward_saga.py), so running it again after a
settlement the registry already made pays the seller once and delivers nothing twice."""

from __future__ import annotations

import logging
from collections.abc import Callable

from carbon_runtime.errors import DomainError
from services.trading.domain.commands import SettleForwardDeliveries
from services.trading.domain.session import Clock
from services.trading.service import forward_saga
from services.trading.service.ports import RegistryPort, UnitOfWork

log = logging.getLogger(__name__)


def handle(
    cmd: SettleForwardDeliveries,
    uow: UnitOfWork,
    *,
    registry: RegistryPort,
    clock: Clock,
    service_token: Callable[[], str],
) -> int:
    delivered = 0
    for forward_id in uow.forwards.with_pending_deliveries(cmd.limit):
        try:
            delivered += forward_saga.run(uow, forward_id, registry=registry, clock=clock, service_token=service_token)
        except DomainError as err:
            log.info("forward delivery deferred", extra={"forward_id": forward_id, "code": err.code.value})
    return delivered
