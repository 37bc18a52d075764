from __future__ import annotations

from datetime import date

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from services.registry.domain.blocks import (
    UnitBlock,
    UnitStatus,
    balances,
    check_invariants,
    held_quantity,
    normalize,
    terminal_quantity,
)
from services.registry.domain.ledger import (
    BatchAllocation,
    BatchAvailability,
    authorize_account_holder,
    cancel,
    cancel_from_buffer,
    lock,
    mint,
    plan_lock_across_batches,
    require_account,
    retire,
    settle,
    transfer,
    unlock,
    use_for_ndc,
)
from services.registry.domain.models import (
    Account,
    AccountKind,
    AccountStatus,
    Batch,
    CreditBasis,
    CreditCategory,
    CreditType,
)

BATCH = Batch(
    id="B1",
    issuance_id="ISS-1",
    program_id="prog-jcr",
    program_code="JCR",
    host_country="JP",
    project_id="P1",
    vintage_start=date(2023, 4, 1),
    vintage_end=date(2024, 3, 31),
    issued_quantity=1000,
    buffer_quantity=100,
    serial_start_unit=1,
    serial_end_unit=1000,
    credit_type=CreditType.REMOVAL,
    basis=CreditBasis.NATURE,
    category=CreditCategory.NDC_CONTRIBUTING,
    proponent_organization_id="org-p",
)
HOLDER = Account("acc-holder", "org-p")
BUYER = Account("acc-buyer", "org-b")
OTHER = Account("acc-other", "org-c")
BUFFER = Account("acc-buffer", "org-registry", AccountKind.BUFFER, program_id="prog-jcr")
RETIREMENT = Account("acc-retirement", "org-registry", AccountKind.RETIREMENT)
CANCELLATION = Account("acc-cancellation", "org-registry", AccountKind.CANCELLATION)
NDC = Account("acc-ndc", "org-gov", AccountKind.NDC_USE)
SUSPENDED = Account("acc-suspended", "org-s", status=AccountStatus.SUSPENDED)


def minted() -> tuple[UnitBlock, ...]:
    return mint(BATCH, HOLDER, BUFFER).blocks


def refusal(call: object) -> DomainError:
    assert callable(call)
    with pytest.raises(DomainError) as error:
        call()
    return error.value


# --- mint -------------------------------------------------------------------------------------


def test_mint_gives_buffer_the_lowest_serials_and_holder_the_rest() -> None:
    blocks = minted()
    assert blocks == (
        UnitBlock("B1", 1, 100, "acc-buffer"),
        UnitBlock("B1", 101, 1000, "acc-holder"),
    )
    check_invariants(BATCH, blocks)


def test_mint_refuses_a_batch_that_already_has_units() -> None:
    error = refusal(lambda: mint(BATCH, HOLDER, BUFFER, existing=minted()))
    assert (error.code, error.reason) == (ErrorCode.CONFLICT, "BATCH_ALREADY_MINTED")


def test_mint_refuses_buffer_of_another_program() -> None:
    other_pool = Account("acc-pool", "org-registry", AccountKind.BUFFER, program_id="prog-vcs")
    assert refusal(lambda: mint(BATCH, HOLDER, other_pool)).reason == "BUFFER_PROGRAM_MISMATCH"


def test_mint_requires_buffer_account_when_batch_sets_a_share_aside() -> None:
    assert refusal(lambda: mint(BATCH, HOLDER, None)).reason == "BUFFER_ACCOUNT_REQUIRED"


def test_mint_issues_only_to_the_proponents_holding_account() -> None:
    assert refusal(lambda: mint(BATCH, BUYER, BUFFER)).reason == "HOLDER_NOT_PROPONENT"


def test_mint_refuses_account_that_is_not_open() -> None:
    closed = Account("acc-holder", "org-p", status=AccountStatus.CLOSED)
    error = refusal(lambda: mint(BATCH, closed, BUFFER))
    assert (error.code, error.reason) == (ErrorCode.FAILED_PRECONDITION, "ACCOUNT_NOT_OPEN")


# --- transfer ---------------------------------------------------------------------------------


def test_transfer_splits_the_block_moving_lowest_serials_first() -> None:
    blocks = minted()
    result = transfer(blocks, HOLDER, BUYER, 300)
    assert result.affected == (UnitBlock("B1", 101, 400, "acc-buyer"),)
    assert result.blocks == (
        UnitBlock("B1", 1, 100, "acc-buffer"),
        UnitBlock("B1", 101, 400, "acc-buyer"),
        UnitBlock("B1", 401, 1000, "acc-holder"),
    )
    assert result.removed == (UnitBlock("B1", 101, 1000, "acc-holder"),)
    assert set(result.added) == {
        UnitBlock("B1", 101, 400, "acc-buyer"),
        UnitBlock("B1", 401, 1000, "acc-holder"),
    }
    assert result.quantity == 300
    check_invariants(BATCH, result.blocks)


def test_transfer_does_not_mutate_its_input() -> None:
    blocks = list(minted())
    snapshot = list(blocks)
    transfer(blocks, HOLDER, BUYER, 10)
    assert blocks == snapshot


def test_transfer_back_merges_adjacent_blocks_of_the_same_holding() -> None:
    out = transfer(minted(), HOLDER, BUYER, 300).blocks
    back = transfer(out, BUYER, HOLDER, 300)
    assert back.blocks == minted()


def test_transfer_rejects_quantity_above_balance() -> None:
    error = refusal(lambda: transfer(minted(), HOLDER, BUYER, 901))
    assert (error.code, error.reason) == (ErrorCode.INSUFFICIENT_BALANCE, "INSUFFICIENT_BALANCE")
    assert error.details["available"] == 900


@pytest.mark.parametrize("quantity", [0, -5, True, 1.5, "3"])
def test_transfer_rejects_quantity_that_is_not_a_positive_integer(quantity: object) -> None:
    error = refusal(lambda: transfer(minted(), HOLDER, BUYER, quantity))  # type: ignore[arg-type]
    assert (error.code, error.reason) == (ErrorCode.INVALID_ARGUMENT, "QUANTITY_NOT_POSITIVE_INTEGER")


def test_transfer_rejects_same_source_and_target() -> None:
    assert refusal(lambda: transfer(minted(), HOLDER, HOLDER, 1)).reason == "SAME_SOURCE_AND_TARGET"


def test_transfer_rejects_account_holding_nothing_of_the_batch() -> None:
    error = refusal(lambda: transfer(minted(), OTHER, BUYER, 1))
    assert (error.code, error.reason) == (ErrorCode.FAILED_PRECONDITION, "UNITS_NOT_HELD")


def test_transfer_rejects_suspended_target_account() -> None:
    assert refusal(lambda: transfer(minted(), HOLDER, SUSPENDED, 1)).reason == "ACCOUNT_NOT_OPEN"


def test_transfer_only_between_holding_accounts() -> None:
    assert refusal(lambda: transfer(minted(), BUFFER, HOLDER, 1)).reason == "WRONG_ACCOUNT_KIND"
    assert refusal(lambda: transfer(minted(), HOLDER, RETIREMENT, 1)).reason == "WRONG_ACCOUNT_KIND"


def test_transfer_refuses_blocks_of_several_batches() -> None:
    mixed = [*minted(), UnitBlock("B2", 1, 5, "acc-holder")]
    assert refusal(lambda: transfer(mixed, HOLDER, BUYER, 1)).reason == "BLOCKS_OF_SEVERAL_BATCHES"


# --- retire / cancel / NDC use ----------------------------------------------------------------


def test_retire_keeps_units_in_holder_account_as_retired_by_default() -> None:
    result = retire(minted(), HOLDER, 50)
    assert result.affected == (UnitBlock("B1", 101, 150, "acc-holder", UnitStatus.RETIRED),)
    assert held_quantity(result.blocks, "acc-holder") == 850
    assert terminal_quantity(result.blocks) == 50


def test_retire_into_retirement_account_moves_units() -> None:
    result = retire(minted(), HOLDER, 50, into=RETIREMENT)
    assert result.affected == (UnitBlock("B1", 101, 150, "acc-retirement", UnitStatus.RETIRED),)


def test_retire_into_refuses_account_of_another_kind() -> None:
    assert refusal(lambda: retire(minted(), HOLDER, 1, into=CANCELLATION)).reason == "WRONG_ACCOUNT_KIND"


def test_retired_units_are_never_retired_again() -> None:
    single = (UnitBlock("B1", 1, 1000, "acc-holder"),)
    done = retire(single, HOLDER, 1000).blocks
    error = refusal(lambda: retire(done, HOLDER, 1))
    assert (error.code, error.reason) == (ErrorCode.FAILED_PRECONDITION, "UNITS_TERMINAL")
    assert refusal(lambda: transfer(done, HOLDER, BUYER, 1)).reason == "UNITS_TERMINAL"


def test_cancel_and_ndc_use_set_their_terminal_status() -> None:
    cancelled = cancel(minted(), HOLDER, 10, into=CANCELLATION)
    assert cancelled.affected[0].status is UnitStatus.CANCELLED
    used = use_for_ndc(cancelled.blocks, HOLDER, 10, into=NDC)
    assert used.affected == (UnitBlock("B1", 111, 120, "acc-ndc", UnitStatus.NDC_USED),)
    assert terminal_quantity(used.blocks) == 20
    check_invariants(BATCH, used.blocks)


def test_cancel_from_buffer_takes_buffer_units_only() -> None:
    result = cancel_from_buffer(minted(), BUFFER, 30)
    assert result.affected == (UnitBlock("B1", 1, 30, "acc-buffer", UnitStatus.CANCELLED),)
    assert refusal(lambda: cancel_from_buffer(minted(), HOLDER, 1)).reason == "WRONG_ACCOUNT_KIND"
    assert refusal(lambda: cancel_from_buffer(minted(), BUFFER, 101)).reason == "INSUFFICIENT_BALANCE"


# --- lock / unlock / settle -------------------------------------------------------------------


def test_lock_removes_units_from_balance_but_keeps_them_in_the_account() -> None:
    result = lock(minted(), HOLDER, 200, "order-1")
    assert result.affected == (UnitBlock("B1", 101, 300, "acc-holder", UnitStatus.LOCKED, "order-1"),)
    assert held_quantity(result.blocks, "acc-holder") == 700


def test_locked_units_cannot_be_transferred_or_retired() -> None:
    single = (UnitBlock("B1", 1, 1000, "acc-holder"),)
    locked = lock(single, HOLDER, 1000, "order-1").blocks
    error = refusal(lambda: transfer(locked, HOLDER, BUYER, 1))
    assert (error.code, error.reason) == (ErrorCode.INSUFFICIENT_BALANCE, "INSUFFICIENT_BALANCE")
    assert error.details["locked"] == 1000
    assert refusal(lambda: retire(locked, HOLDER, 1)).reason == "INSUFFICIENT_BALANCE"


def test_lock_refuses_a_lock_id_already_in_use() -> None:
    locked = lock(minted(), HOLDER, 10, "order-1").blocks
    error = refusal(lambda: lock(locked, HOLDER, 10, "order-1"))
    assert (error.code, error.reason) == (ErrorCode.CONFLICT, "LOCK_ID_IN_USE")


def test_unlock_partially_returns_lowest_locked_serials_to_held() -> None:
    locked = lock(minted(), HOLDER, 200, "order-1").blocks
    result = unlock(locked, "order-1", 50)
    assert result.affected == (UnitBlock("B1", 101, 150, "acc-holder"),)
    assert held_quantity(result.blocks, "acc-holder") == 750


def test_unlock_without_quantity_releases_everything_and_merges_back() -> None:
    locked = lock(minted(), HOLDER, 200, "order-1").blocks
    assert unlock(locked, "order-1").blocks == minted()


def test_unlock_unknown_lock_is_not_found() -> None:
    error = refusal(lambda: unlock(minted(), "order-x"))
    assert (error.code, error.reason) == (ErrorCode.NOT_FOUND, "LOCK_NOT_FOUND")


def test_settle_delivers_locked_units_to_buyer_as_held() -> None:
    locked = lock(minted(), HOLDER, 200, "order-1").blocks
    result = settle(locked, "order-1", 120, BUYER)
    assert result.affected == (UnitBlock("B1", 101, 220, "acc-buyer"),)
    assert balances(result.blocks) == {"acc-buffer": 100, "acc-buyer": 120, "acc-holder": 700}
    assert sum(b.quantity for b in result.blocks if b.lock_id == "order-1") == 80
    check_invariants(BATCH, result.blocks)


def test_settle_refuses_more_than_the_lock_reserves() -> None:
    locked = lock(minted(), HOLDER, 200, "order-1").blocks
    error = refusal(lambda: settle(locked, "order-1", 201, BUYER))
    assert (error.code, error.reason) == (ErrorCode.INSUFFICIENT_BALANCE, "INSUFFICIENT_BALANCE")


def test_settle_refuses_delivery_back_to_the_seller() -> None:
    locked = lock(minted(), HOLDER, 200, "order-1").blocks
    assert refusal(lambda: settle(locked, "order-1", 1, HOLDER)).reason == "SAME_SOURCE_AND_TARGET"


def test_settle_refuses_closed_buyer_account() -> None:
    locked = lock(minted(), HOLDER, 200, "order-1").blocks
    closed = Account("acc-buyer", "org-b", status=AccountStatus.CLOSED)
    assert refusal(lambda: settle(locked, "order-1", 1, closed)).reason == "ACCOUNT_NOT_OPEN"


def test_settle_unknown_lock_is_not_found() -> None:
    assert refusal(lambda: settle(minted(), "order-x", 1, BUYER)).reason == "LOCK_NOT_FOUND"


# --- invariants -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "blocks",
    [
        (UnitBlock("B1", 1, 500, "a"), UnitBlock("B1", 500, 1000, "b")),
        (UnitBlock("B1", 1, 499, "a"), UnitBlock("B1", 501, 1000, "b")),
        (UnitBlock("B1", 2, 1000, "a"),),
        (UnitBlock("B1", 1, 1001, "a"),),
        (UnitBlock("B2", 1, 1000, "a"),),
        (),
    ],
)
def test_check_invariants_rejects_overlap_gap_out_of_range_and_foreign_blocks(
    blocks: tuple[UnitBlock, ...],
) -> None:
    error = refusal(lambda: check_invariants(BATCH, blocks))
    assert error.reason == "LEDGER_INVARIANT_VIOLATED"


def test_normalize_merges_only_same_account_status_and_lock() -> None:
    blocks = [
        UnitBlock("B1", 6, 10, "a"),
        UnitBlock("B1", 1, 5, "a"),
        UnitBlock("B1", 11, 12, "a", UnitStatus.LOCKED, "o1"),
        UnitBlock("B1", 13, 14, "a", UnitStatus.LOCKED, "o2"),
    ]
    assert normalize(blocks) == (
        UnitBlock("B1", 1, 10, "a"),
        UnitBlock("B1", 11, 12, "a", UnitStatus.LOCKED, "o1"),
        UnitBlock("B1", 13, 14, "a", UnitStatus.LOCKED, "o2"),
    )


def test_block_lock_id_is_set_exactly_when_locked() -> None:
    assert refusal(lambda: UnitBlock("B1", 1, 2, "a", UnitStatus.LOCKED)).reason == "BLOCK_INVALID"
    assert refusal(lambda: UnitBlock("B1", 1, 2, "a", UnitStatus.HELD, "o1")).reason == "BLOCK_INVALID"
    assert refusal(lambda: UnitBlock("B1", 3, 2, "a")).reason == "BLOCK_INVALID"


# --- service-layer helpers --------------------------------------------------------------------


def test_require_account_reports_unknown_account_as_not_found() -> None:
    error = refusal(lambda: require_account({"acc-holder": HOLDER}, "acc-missing"))
    assert (error.code, error.reason) == (ErrorCode.NOT_FOUND, "ACCOUNT_NOT_FOUND")
    assert require_account({"acc-holder": HOLDER}, "acc-holder") is HOLDER


def test_only_the_owning_organization_may_act_on_an_account() -> None:
    authorize_account_holder("org-p", HOLDER)
    for actor in ("org-b", None):
        error = refusal(lambda actor=actor: authorize_account_holder(actor, HOLDER))
        assert (error.code, error.reason) == (ErrorCode.FORBIDDEN, "NOT_AUTHORIZED")


# --- across batches ---------------------------------------------------------------------------


def test_plan_lock_across_batches_takes_oldest_vintage_then_lowest_batch_id() -> None:
    availability = [
        BatchAvailability("B10", date(2021, 1, 1), date(2021, 12, 31), 50),
        BatchAvailability("B9", date(2021, 1, 1), date(2021, 12, 31), 30),
        BatchAvailability("B2", date(2022, 1, 1), date(2022, 12, 31), 100),
        BatchAvailability("B1", date(2020, 1, 1), date(2020, 12, 31), 0),
    ]
    assert plan_lock_across_batches(availability, 100) == (
        BatchAllocation("B9", 30),
        BatchAllocation("B10", 50),
        BatchAllocation("B2", 20),
    )


def test_plan_lock_across_batches_refuses_more_than_available() -> None:
    availability = [BatchAvailability.of(BATCH, 900)]
    error = refusal(lambda: plan_lock_across_batches(availability, 901))
    assert (error.code, error.reason) == (ErrorCode.INSUFFICIENT_BALANCE, "INSUFFICIENT_BALANCE")
    assert plan_lock_across_batches(availability, 900) == (BatchAllocation("B1", 900),)
