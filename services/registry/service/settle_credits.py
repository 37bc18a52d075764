"""Settle (the exchange's own SERVICE identity only): deliver locked units to the buyer's holding account in one
transaction, so a settled trade never leaves units neither locked nor delivered. Each batch
delivered is reported with its ITMO first-transfer and issuer-onset facts."""

from __future__ import annotations

from collections.abc import Callable

from carbon_runtime.errors import forbidden
from services.registry.domain import ledger
from services.registry.domain.actor import NOT_AUTHORIZED, require_role
from services.registry.domain.commands import SettleCredits
from services.registry.domain.events import Block, CreditsSettled, TransferAccounting, blocks_of
from services.registry.service.common import caused_by, locked_account, require_id
from services.registry.service.locked_units import load_locked_units
from services.registry.service.ports import RegistryUnitOfWork
from services.registry.service.results import SettleResult
from services.registry.service.transfer_credits import record_ownership_change

#: The subject of the exchange's service tokens (issue_service_token(..., "trading")).
EXCHANGE_SERVICE = "service:trading"


def handle(cmd: SettleCredits, uow: RegistryUnitOfWork, *, new_id: Callable[[], str]) -> SettleResult:
    actor = cmd.actor
    require_role(actor, "SERVICE")
    if actor.name != EXCHANGE_SERVICE:
        # A settlement must have a trade behind it: only the exchange, which settles the trades its
        # engine executed, delivers locked units. An EXCHANGE_ADMIN (or another service) calling
        # Settle directly would move a seller's credits with no trade at all.
        raise forbidden(NOT_AUTHORIZED, "only the exchange settles its trades")
    lock_id = require_id(cmd.lock_id, "lock_id")
    to_id = require_id(cmd.to_account_id, "to_account_id")
    trade_id = require_id(cmd.trade_id, "trade_id")
    quantity = ledger.require_positive_quantity(cmd.quantity_t)

    units = load_locked_units(uow, lock_id, to_id)
    target = locked_account(units.accounts, to_id)
    source = locked_account(units.accounts, units.lock.account_id)
    plan = units.plan(quantity)
    settlement_id = new_id()
    entry = uow.journal.append(
        actor.name,
        "Settle",
        {
            "settlement_id": settlement_id,
            "lock_id": lock_id,
            "trade_id": trade_id,
            "to_account_id": target.id,
            "quantity": quantity,
            "allocations": [[a.batch_id, a.quantity] for a in plan],
        },
    )
    delivered: list[Block] = []
    deliveries: list[TransferAccounting] = []
    for index, allocation in enumerate(plan, start=1):
        batch = units.batches[allocation.batch_id]
        result = ledger.settle(units.blocks[batch.id], lock_id, allocation.quantity, target)
        uow.batches.write(result)
        uow.batches.check(batch, result)
        deliveries.append(
            record_ownership_change(
                uow,
                transfer_id=f"{settlement_id}-{index}",
                kind="SETTLEMENT",
                batch=batch,
                source=source,
                target=target,
                result=result,
                journal_sequence=entry.sequence,
                occurred_at=entry.occurred_at,
                settlement_id=settlement_id,
                trade_id=trade_id,
            )
        )
        delivered.extend(blocks_of(batch, result.affected))
    uow.records.add_settlement(
        settlement_id=settlement_id,
        lock_id=lock_id,
        trade_id=trade_id,
        to_account_id=target.id,
        quantity_t=quantity,
        journal_sequence=entry.sequence,
        occurred_at=entry.occurred_at,
    )
    remaining = units.remaining - quantity
    uow.emit(
        CreditsSettled(
            settlement_id=settlement_id,
            lock_id=lock_id,
            trade_id=trade_id,
            from_account_id=source.id,
            from_organization_id=source.organization_id,
            to_account_id=target.id,
            to_organization_id=target.organization_id,
            quantity_t=quantity,
            blocks=tuple(delivered),
            deliveries=tuple(deliveries),
            remaining_locked_t=remaining,
            **caused_by(actor, cmd.idempotency_key),
        )
    )
    return SettleResult(settlement_id, tuple(delivered), tuple(deliveries), remaining)
