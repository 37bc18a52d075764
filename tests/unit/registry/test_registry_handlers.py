"""The registry's handlers on the bus over the in-memory unit of work: the ledger's rules, refusals
that change nothing, idempotent replays, and the events each use case raises (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.vocabulary import CancellationPurpose, RetirementPurpose, TransferStatus, UnitStatus
from services.registry.domain import commands as c
from services.registry.domain import events as ev
from services.registry.domain.actor import Actor
from services.registry.domain.models import AccountStatus
from tests.unit.registry.support import ADMIN, World, holder, keyed, world

HOUR = 3600


def refusal(w: World, cmd: object) -> DomainError:
    """Run a command that must be refused; nothing may change (state, events, outbox)."""
    before = (dict(w.uow.blocks), list(w.uow.journal_entries), len(w.uow.events), len(w.uow.messages))
    with pytest.raises(DomainError) as error:
        w.bus.handle(cmd)
    after = (dict(w.uow.blocks), list(w.uow.journal_entries), len(w.uow.events), len(w.uow.messages))
    assert after == before
    return error.value


def transfer(w: World, quantity: int, key: str | None = None, **fields: object) -> c.TransferCredits:
    args: dict[str, object] = {
        "from_account_id": w.proponent_account,
        "to_account_id": w.buyer_account,
        "batch_id": w.batch,
        "quantity_t": quantity,
        **keyed(holder(w.proponent), key),
    }
    args.update(fields)
    return c.TransferCredits(**args)  # type: ignore[arg-type]


def retire(w: World, quantity: int, key: str | None = None, **fields: object) -> c.RetireCredits:
    args: dict[str, object] = {
        "account_id": w.proponent_account,
        "batch_id": w.batch,
        "quantity_t": quantity,
        "purpose": RetirementPurpose.SHK_ADJUSTMENT,
        "beneficiary": "Example K.K.",
        "retirement_year": 2024,
        "offset_emissions_t": Decimal("12.5"),
        **keyed(holder(w.proponent), key),
    }
    args.update(fields)
    return c.RetireCredits(**args)  # type: ignore[arg-type]


def cancel(w: World, quantity: int, **fields: object) -> c.CancelCredits:
    args: dict[str, object] = {
        "account_id": w.proponent_account,
        "batch_id": w.batch,
        "quantity_t": quantity,
        "purpose": CancellationPurpose.OTHER_INTERNATIONAL_SCHEME,
        "beneficiary": "Airline",
        **keyed(holder(w.proponent), None),
    }
    args.update(fields)
    return c.CancelCredits(**args)  # type: ignore[arg-type]


# --- transfer ------------------------------------------------------------------------------


def test_transfer_moves_units_and_raises_credits_transferred() -> None:
    w = world()
    result = w.bus.handle(transfer(w, 300))
    assert result.status is TransferStatus.COMPLETED and result.quantity_t == 300
    assert w.balance(w.proponent_account) == 700 and w.balance(w.buyer_account) == 300
    moved = [e for e in w.uow.events if isinstance(e, ev.CreditsTransferred)]
    assert [(e.transfer_id, e.quantity_t) for e in moved] == [(result.transfer_id, 300)]
    assert w.uow.messages[-1].payload.DESCRIPTOR.name == "CreditsTransferred"


def test_transfer_rejects_quantity_above_balance() -> None:
    w = world()
    assert refusal(w, transfer(w, 1001)).code is ErrorCode.INSUFFICIENT_BALANCE


def test_transfer_rejects_a_caller_outside_the_owning_organization() -> None:
    w = world()
    outsider = holder(w.buyer)
    error = refusal(w, transfer(w, 10, actor=outsider))
    assert (error.code, error.reason) == (ErrorCode.FORBIDDEN, "NOT_AUTHORIZED")


def test_transfer_rejects_non_positive_quantities() -> None:
    w = world()
    assert refusal(w, transfer(w, 0)).code is ErrorCode.INVALID_ARGUMENT


def test_transfer_replay_with_the_same_key_returns_the_first_result_and_changes_nothing() -> None:
    w = world()
    first = w.bus.handle(transfer(w, 100, key="k-1"))
    events = len(w.uow.events)
    again = w.bus.handle(transfer(w, 100, key="k-1"))
    assert again == first
    assert len(w.uow.events) == events
    assert w.balance(w.buyer_account) == 100


def test_reusing_an_idempotency_key_for_other_arguments_is_conflict() -> None:
    w = world()
    w.bus.handle(transfer(w, 100, key="k-1"))
    error = refusal(w, transfer(w, 101, key="k-1"))
    assert (error.code, error.reason) == (ErrorCode.CONFLICT, "TRANSACTION_ID_REUSED")


def test_transfer_above_the_four_eyes_threshold_waits_for_a_second_holder() -> None:
    w = world(four_eyes_threshold_t=100)
    pending = w.bus.handle(transfer(w, 200))
    assert pending.status is TransferStatus.PENDING_APPROVAL
    assert w.balance(w.buyer_account) == 0
    initiator = refusal(w, c.ApproveTransfer(actor=holder(w.proponent), transfer_id=pending.transfer_id))
    assert initiator.code is ErrorCode.FORBIDDEN
    done = w.bus.handle(c.ApproveTransfer(actor=holder(w.proponent, "second"), transfer_id=pending.transfer_id))
    assert done.status is TransferStatus.COMPLETED
    assert w.balance(w.buyer_account) == 200


def test_held_transfer_completes_only_when_the_worker_runs_after_its_hold() -> None:
    w = world(untrusted_transfer_delay_s=HOUR)
    held = w.bus.handle(transfer(w, 50))
    assert held.status is TransferStatus.HELD and w.balance(w.buyer_account) == 0
    assert w.bus.handle(c.CompleteDueHeldTransfers()).completed == 0
    w.clock.advance(HOUR)
    assert w.bus.handle(c.CompleteDueHeldTransfers()).completed == 1
    assert w.balance(w.buyer_account) == 50


def test_cancelled_held_transfer_returns_its_units_to_the_balance() -> None:
    w = world(untrusted_transfer_delay_s=HOUR)
    held = w.bus.handle(transfer(w, 50))
    cancelled = w.bus.handle(c.CancelTransfer(actor=holder(w.proponent), transfer_id=held.transfer_id))
    assert cancelled.status is TransferStatus.CANCELLED and sum(b.quantity_t for b in cancelled.released) == 50
    assert w.balance(w.proponent_account) == 1000
    error = refusal(w, c.CancelTransfer(actor=holder(w.proponent), transfer_id=held.transfer_id))
    assert error.code is ErrorCode.FAILED_PRECONDITION


def test_repeated_refusals_of_a_member_of_the_organization_suspend_the_account() -> None:
    w = world(max_failed_authorizations=2)
    # A member without the ACCOUNT_HOLDER right (e.g. a stolen TRADER login) probing its own account.
    insider = Actor("mallory", w.proponent, frozenset({"TRADER"}))
    for _ in range(2):
        with pytest.raises(DomainError):
            w.bus.handle(transfer(w, 1, actor=insider))
    assert w.uow.accounts_by_id[w.proponent_account].status is AccountStatus.SUSPENDED
    assert any(isinstance(e, ev.AccountSuspended) for e in w.uow.events)
    assert refusal(w, transfer(w, 1)).code is ErrorCode.FAILED_PRECONDITION
    w.bus.handle(c.ReinstateAccount(actor=ADMIN, account_id=w.proponent_account))
    assert w.bus.handle(transfer(w, 1)).status is TransferStatus.COMPLETED
    # Reinstatement cleared the window: one more refusal does not suspend it again.
    with pytest.raises(DomainError):
        w.bus.handle(transfer(w, 1, actor=Actor("mallory-2", w.proponent, frozenset({"TRADER"}))))
    assert w.uow.accounts_by_id[w.proponent_account].status is AccountStatus.OPEN


# --- retire --------------------------------------------------------------------------------


def test_retire_rejects_quantity_above_balance() -> None:
    w = world()
    assert refusal(w, retire(w, 1001)).code is ErrorCode.INSUFFICIENT_BALANCE


def test_retire_requires_a_beneficiary_and_a_purpose() -> None:
    w = world()
    assert refusal(w, retire(w, 1, beneficiary="  ")).reason == "BENEFICIARY_REQUIRED"
    assert refusal(w, retire(w, 1, purpose=None)).reason == "RETIREMENT_PURPOSE_INVALID"


def test_retire_rejects_a_reporting_period_that_ends_before_it_starts() -> None:
    from datetime import date

    w = world()
    error = refusal(w, retire(w, 1, reporting_period_start=date(2024, 3, 1), reporting_period_end=date(2024, 1, 1)))
    assert error.reason == "REPORTING_PERIOD_INVALID"


def test_retirement_is_permanent_and_issues_a_certificate() -> None:
    w = world()
    result = w.bus.handle(retire(w, 250))
    assert result.certificate_id in w.uow.certificates
    assert all(b.status is UnitStatus.RETIRED for b in result.blocks)
    assert w.balance(w.proponent_account) == 750
    assert w.uow.batches.terminal_quantity(w.batch) == 250
    # Retired units never move again: the rest of the balance is all that can still move.
    assert refusal(w, transfer(w, 751)).code is ErrorCode.INSUFFICIENT_BALANCE
    (retired,) = [e for e in w.uow.events if isinstance(e, ev.CreditsRetired)]
    assert retired.offset_emissions_t == Decimal("12.5") and retired.beneficiary == "Example K.K."


def test_retire_replay_with_the_same_key_returns_the_first_retirement() -> None:
    w = world()
    first = w.bus.handle(retire(w, 10, key="r-1"))
    assert w.bus.handle(retire(w, 10, key="r-1")) == first
    assert w.uow.batches.terminal_quantity(w.batch) == 10


# --- cancel --------------------------------------------------------------------------------


def test_cancel_rejects_quantity_above_balance() -> None:
    w = world()
    assert refusal(w, cancel(w, 1001)).code is ErrorCode.INSUFFICIENT_BALANCE


def test_cancel_refuses_an_unset_purpose_and_a_foreign_caller() -> None:
    w = world()
    assert refusal(w, cancel(w, 1, purpose=None)).reason == "CANCELLATION_PURPOSE_INVALID"
    assert refusal(w, cancel(w, 1, actor=holder(w.buyer))).code is ErrorCode.FORBIDDEN


def test_cancel_moves_units_to_the_cancellation_account_for_ever() -> None:
    w = world()
    result = w.bus.handle(cancel(w, 30))
    assert all(b.status is UnitStatus.CANCELLED for b in result.blocks)
    assert all(b.account_id == f"CANCELLATION-{w.proponent}" for b in result.blocks)
    assert w.balance(w.proponent_account) == 970


def test_the_held_transfer_worker_completes_due_transfers_in_the_background() -> None:
    import time

    from services.registry.entrypoints.worker import HeldTransferWorker

    w = world(untrusted_transfer_delay_s=HOUR)
    w.bus.handle(transfer(w, 40))
    w.clock.advance(HOUR)
    assert HeldTransferWorker(w.bus, 1000, any_due=lambda: False).run_once() == 0, "an idle probe sends nothing"
    assert w.balance(w.buyer_account) == 0
    worker = HeldTransferWorker(w.bus, 10)
    worker.start()
    try:
        deadline = time.monotonic() + 5
        while w.balance(w.buyer_account) == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        worker.stop()
    assert w.balance(w.buyer_account) == 40
