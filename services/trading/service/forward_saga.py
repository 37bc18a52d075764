"""Delivery versus payment of forward contracts: the same idempotent saga as exchange settlement
(service/settlement.py), one delivery at a time.

A delivery is allocated from a minted batch and committed PENDING before the registry hears of it.
Then, each step safe to repeat:
1. Lock the delivery's tonnes of that batch in the seller's account (lock id = delivery id, the
   idempotency key derived from it): the contracted credits cannot be sold on the exchange any more.
2. Settle them to the buyer's delivery account (idempotency key derived from the delivery id: a
   retried settlement delivers once, whatever happened before).
3. In ONE local transaction, under the contract's row lock and a state check: the delivery becomes
   SETTLED, the tonnes count as delivered, the escrowed cash for them moves from the buyer's locked
   cash to the seller's available cash, and ForwardDelivered is recorded.
A crash between 2 and 3 leaves the delivery PENDING; the forward worker runs the saga again, the
registry answers the first settlement, and step 3 happens once. An unavailable registry leaves the
delivery PENDING for the worker; a refused lock (the units are gone) fails the delivery, and its
tonnes are open again for the project's next batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal

from carbon_runtime.errors import DomainError, ErrorCode
from services.trading.domain import forwards as fw
from services.trading.domain.events import ForwardDelivered
from services.trading.domain.forwards import DeliveryState, ForwardDeliveryRecord, ForwardRecord
from services.trading.domain.session import Clock
from services.trading.service.ports import DeliveryCriteria, RegistryPort, UnitOfWork

log = logging.getLogger(__name__)


def lock_key(delivery_id: str) -> str:
    return f"forward-lock-{delivery_id}"


def settle_key(delivery_id: str) -> str:
    return f"forward-settle-{delivery_id}"


def run(
    uow: UnitOfWork, forward_id: str, *, registry: RegistryPort, clock: Clock, service_token: Callable[[], str]
) -> int:
    """Settle every PENDING delivery of the contract; returns the tonnes delivered now. Raises the
    registry's UNAVAILABLE (the delivery stays PENDING for the worker)."""
    uow.commit()  # the allocation is durable before the registry is called: a restart resumes it
    forward = uow.forwards.get(forward_id)
    if forward is None:
        return 0
    delivered = 0
    for delivery in [d for d in forward.deliveries if d.state is DeliveryState.PENDING]:
        delivered += _deliver(uow, forward, delivery, registry=registry, clock=clock, service_token=service_token)
    return delivered


def _deliver(
    uow: UnitOfWork,
    forward: ForwardRecord,
    delivery: ForwardDeliveryRecord,
    *,
    registry: RegistryPort,
    clock: Clock,
    service_token: Callable[[], str],
) -> int:
    assert forward.delivery_account_id is not None, "an ACTIVE contract has a delivery account"
    locked = False
    try:
        registry.lock(
            account_id=forward.seller_account_id,
            quantity_t=delivery.quantity_t,
            lock_id=delivery.delivery_id,
            criteria=DeliveryCriteria(batch_id=delivery.batch_id),
            idempotency_key=lock_key(delivery.delivery_id),
            token=service_token(),
        )
        locked = True
        receipt = registry.settle(
            lock_id=delivery.delivery_id,
            quantity_t=delivery.quantity_t,
            to_account_id=forward.delivery_account_id,
            trade_id=delivery.delivery_id,
            idempotency_key=settle_key(delivery.delivery_id),
            token=service_token(),
        )
    except DomainError as err:
        if err.code is ErrorCode.UNAVAILABLE:
            raise
        _fail(uow, forward.forward_id, delivery, err, owe_unlock=locked, clock=clock)
        return 0
    now = clock.now()
    current = uow.forwards.get(forward.forward_id, for_update=True)
    assert current is not None
    pending = next(d for d in current.deliveries if d.delivery_id == delivery.delivery_id)
    if pending.state is not DeliveryState.PENDING:
        return 0  # finished concurrently (worker and consumer); the registry delivered once
    updated, done = fw.settle_delivery(current, delivery.delivery_id, receipt.settlement_id, now)
    if done.amount:
        uow.cash.adjust(
            current.buyer_organization_id, current.currency, available_delta=Decimal(0), locked_delta=-done.amount,
            kind="FORWARD_DELIVERY_DEBIT", reference_id=done.delivery_id, at=now,
        )  # fmt: skip
        uow.cash.adjust(
            current.seller_organization_id, current.currency, available_delta=done.amount, locked_delta=Decimal(0),
            kind="FORWARD_DELIVERY_CREDIT", reference_id=done.delivery_id, at=now,
        )  # fmt: skip
    uow.forwards.save(updated)
    uow.emit(ForwardDelivered(forward=updated, delivery=done))
    uow.commit()
    return done.quantity_t


def _fail(
    uow: UnitOfWork,
    forward_id: str,
    delivery: ForwardDeliveryRecord,
    err: DomainError,
    *,
    owe_unlock: bool,
    clock: Clock,
) -> None:
    log.warning(
        "forward delivery refused by the registry",
        extra={"delivery_id": delivery.delivery_id, "code": err.code.value, "reason": err.reason},
    )
    current = uow.forwards.get(forward_id, for_update=True)
    assert current is not None
    pending = next(d for d in current.deliveries if d.delivery_id == delivery.delivery_id)
    if pending.state is not DeliveryState.PENDING:
        return
    if owe_unlock:
        # Locked but not delivered: the seller's units go back (the settlement worker gives locks back).
        uow.unlocks.add(delivery.delivery_id, delivery.quantity_t, clock.now())
    uow.forwards.save(fw.fail_delivery(current, delivery.delivery_id, f"{err.code.value} {err.reason}: {err.message}"))
    uow.commit()
