"""DeliverForwards (registry.v1.BatchMinted, consumed): a batch minted into a seller's account fills
the ACTIVE contracts on its project in acceptance order, each up to what it still lacks, from the
holder's share (the buffer share never reaches the seller) and only if the batch's vintage is in
the contract's window. Partial deliveries accumulate until the contracted quantity is reached.

The event id and the batch are claimed in the same transaction as the allocation, so a redelivered
event (Kafka after a crash, or the same batch seen twice) allocates nothing more. The allocation is
committed, then each delivery runs the delivery-versus-payment saga (service/forward_saga.py); if
the registry is unavailable the deliveries stay PENDING and the forward worker finishes them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import replace

from carbon_runtime.errors import DomainError
from services.trading.domain import forwards as fw
from services.trading.domain.commands import DeliverForwards
from services.trading.domain.forwards import DeliveryState, ForwardDeliveryRecord
from services.trading.domain.session import Clock
from services.trading.service import forward_saga
from services.trading.service.ports import RegistryPort, UnitOfWork

log = logging.getLogger(__name__)

DELIVERY_NAMESPACE = uuid.UUID("5b0f6a52-2f8e-4d7c-9a51-0c3e8d1f7b26")


def delivery_id(forward_id: str, batch_id: str) -> str:
    """One delivery per contract and batch: the same batch can never be allocated to a contract twice."""
    return str(uuid.uuid5(DELIVERY_NAMESPACE, f"{forward_id}/{batch_id}"))


def handle(
    cmd: DeliverForwards,
    uow: UnitOfWork,
    *,
    registry: RegistryPort,
    clock: Clock,
    service_token: Callable[[], str],
) -> int:
    """Tonnes delivered by this event now (allocated ones left PENDING are finished by the worker)."""
    now = clock.now()
    batch = cmd.batch
    if not uow.forwards.claim(f"event:{cmd.event_id}", now) or not uow.forwards.claim(f"batch:{batch.batch_id}", now):
        return 0
    allocated: list[str] = []
    for forward, quantity_t in fw.allocate(batch, uow.forwards.active_on_project(batch.project_id)):
        delivery = ForwardDeliveryRecord(
            delivery_id=delivery_id(forward.forward_id, batch.batch_id),
            forward_id=forward.forward_id,
            batch_id=batch.batch_id,
            quantity_t=quantity_t,
            amount=forward.release_for(quantity_t),
            state=DeliveryState.PENDING,
            created_at=now,
        )
        uow.forwards.save(replace(forward, deliveries=(*forward.deliveries, delivery)))
        allocated.append(forward.forward_id)
    delivered = 0
    for forward_id in allocated:
        try:
            delivered += forward_saga.run(uow, forward_id, registry=registry, clock=clock, service_token=service_token)
        except DomainError as err:
            log.info("forward delivery deferred", extra={"forward_id": forward_id, "code": err.code.value})
    return delivered
