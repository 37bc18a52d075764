"""Random sequences of ledger operations keep the ledger's invariants after every step."""

from __future__ import annotations

from datetime import date

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from carbon_runtime.errors import DomainError
from services.registry.domain import ledger
from services.registry.domain.blocks import (
    OperationResult,
    UnitBlock,
    UnitStatus,
    check_invariants,
    held_quantity,
)
from services.registry.domain.models import (
    Account,
    AccountKind,
    Batch,
    CreditBasis,
    CreditCategory,
    CreditType,
)

HOLDERS = [Account("H0", "org-p"), Account("H1", "org-b"), Account("H2", "org-c")]
BUFFER = Account("BUF", "org-registry", AccountKind.BUFFER, program_id="prog")
RETIREMENT = Account("RET", "org-registry", AccountKind.RETIREMENT)
TERMINAL_OPS = {
    UnitStatus.RETIRED: ledger.retire,
    UnitStatus.CANCELLED: ledger.cancel,
    UnitStatus.NDC_USED: ledger.use_for_ndc,
}

holder_st = st.sampled_from(HOLDERS)
quantity_st = st.integers(min_value=1, max_value=120)


class LedgerMachine(RuleBasedStateMachine):
    locks = Bundle("locks")

    def __init__(self) -> None:
        super().__init__()
        self.blocks: tuple[UnitBlock, ...] = ()
        self.batch: Batch | None = None
        self.held: dict[str, int] = {}
        self.locked: dict[str, tuple[str, int]] = {}
        self.terminal_units: dict[int, tuple[str, UnitStatus]] = {}
        self.lock_counter = 0

    @initialize(issued=st.integers(1, 300), buffer_share=st.integers(0, 100), first_unit=st.integers(1, 10**6))
    def mint(self, issued: int, buffer_share: int, first_unit: int) -> None:
        buffer_quantity = issued * buffer_share // 100
        self.batch = Batch(
            id="B1",
            issuance_id="I1",
            program_id="prog",
            program_code="JCR",
            host_country="JP",
            project_id="P1",
            vintage_start=date(2023, 1, 1),
            vintage_end=date(2023, 12, 31),
            issued_quantity=issued,
            buffer_quantity=buffer_quantity,
            serial_start_unit=first_unit,
            serial_end_unit=first_unit + issued - 1,
            credit_type=CreditType.REMOVAL,
            basis=CreditBasis.NATURE,
            category=CreditCategory.DOMESTIC_REMOVAL,
            proponent_organization_id="org-p",
        )
        self.blocks = ledger.mint(self.batch, HOLDERS[0], BUFFER).blocks
        self.held = {"H0": issued - buffer_quantity, "H1": 0, "H2": 0, "BUF": buffer_quantity}

    def _apply(self, result: OperationResult, quantity: int) -> None:
        assert result.quantity == quantity
        assert set(result.blocks) == (set(self.blocks) - set(result.removed)) | set(result.added)
        self.blocks = result.blocks

    @rule(source=holder_st, destination=holder_st, quantity=quantity_st)
    def transfer(self, source: Account, destination: Account, quantity: int) -> None:
        should_succeed = source.id != destination.id and self.held[source.id] >= quantity
        try:
            result = ledger.transfer(self.blocks, source, destination, quantity)
        except DomainError:
            assert not should_succeed
            return
        assert should_succeed
        self._apply(result, quantity)
        self.held[source.id] -= quantity
        self.held[destination.id] += quantity

    @rule(target=locks, account=holder_st, quantity=quantity_st)
    def lock(self, account: Account, quantity: int) -> str:
        self.lock_counter += 1
        lock_id = f"order-{self.lock_counter}"
        try:
            result = ledger.lock(self.blocks, account, quantity, lock_id)
        except DomainError:
            assert self.held[account.id] < quantity
            return lock_id
        assert self.held[account.id] >= quantity
        self._apply(result, quantity)
        self.held[account.id] -= quantity
        self.locked[lock_id] = (account.id, quantity)
        return lock_id

    @rule(lock_id=locks, buyer=holder_st, quantity=quantity_st)
    def settle(self, lock_id: str, buyer: Account, quantity: int) -> None:
        seller, reserved = self.locked.get(lock_id, ("", 0))
        should_succeed = reserved > 0 and quantity <= reserved and buyer.id != seller
        try:
            result = ledger.settle(self.blocks, lock_id, quantity, buyer)
        except DomainError:
            assert not should_succeed
            return
        assert should_succeed
        self._apply(result, quantity)
        self.held[buyer.id] += quantity
        self._shrink_lock(lock_id, quantity)

    @rule(lock_id=locks, quantity=st.none() | quantity_st)
    def unlock(self, lock_id: str, quantity: int | None) -> None:
        seller, reserved = self.locked.get(lock_id, ("", 0))
        released = reserved if quantity is None else quantity
        should_succeed = reserved > 0 and released <= reserved
        try:
            result = ledger.unlock(self.blocks, lock_id, quantity)
        except DomainError:
            assert not should_succeed
            return
        assert should_succeed
        self._apply(result, released)
        self.held[seller] += released
        self._shrink_lock(lock_id, released)

    def _shrink_lock(self, lock_id: str, quantity: int) -> None:
        seller, reserved = self.locked[lock_id]
        if reserved == quantity:
            del self.locked[lock_id]
        else:
            self.locked[lock_id] = (seller, reserved - quantity)

    @rule(account=holder_st, quantity=quantity_st, status=st.sampled_from(sorted(TERMINAL_OPS)))
    def terminate(self, account: Account, quantity: int, status: UnitStatus) -> None:
        try:
            result = TERMINAL_OPS[status](self.blocks, account, quantity)
        except DomainError:
            assert self.held[account.id] < quantity
            return
        assert self.held[account.id] >= quantity
        self._apply(result, quantity)
        self.held[account.id] -= quantity

    @rule(quantity=quantity_st, into=st.booleans())
    def retire_into_retirement_account(self, quantity: int, into: bool) -> None:
        try:
            result = ledger.retire(self.blocks, HOLDERS[1], quantity, into=RETIREMENT if into else None)
        except DomainError:
            assert self.held["H1"] < quantity
            return
        self._apply(result, quantity)
        self.held["H1"] -= quantity

    @rule(quantity=quantity_st)
    def cancel_from_buffer(self, quantity: int) -> None:
        try:
            result = ledger.cancel_from_buffer(self.blocks, BUFFER, quantity)
        except DomainError:
            assert self.held["BUF"] < quantity
            return
        self._apply(result, quantity)
        self.held["BUF"] -= quantity

    @invariant()
    def blocks_partition_the_batch(self) -> None:
        if self.batch is not None:
            check_invariants(self.batch, self.blocks)

    @invariant()
    def balances_match_the_model_and_are_never_negative(self) -> None:
        for account_id, quantity in self.held.items():
            assert quantity >= 0
            assert held_quantity(self.blocks, account_id) == quantity
        for lock_id, (seller, reserved) in self.locked.items():
            locked_blocks = [b for b in self.blocks if b.lock_id == lock_id]
            assert {b.account_id for b in locked_blocks} == {seller}
            assert sum(b.quantity for b in locked_blocks) == reserved

    @invariant()
    def terminal_units_never_change(self) -> None:
        current: dict[int, tuple[str, UnitStatus]] = {}
        for block in self.blocks:
            if block.is_terminal:
                for unit in range(block.start, block.end + 1):
                    current[unit] = (block.account_id, block.status)
        for unit, state in self.terminal_units.items():
            assert current.get(unit) == state
        self.terminal_units = current

    @invariant()
    def adjacent_blocks_are_merged(self) -> None:
        for previous, current in zip(self.blocks, self.blocks[1:], strict=False):
            assert not previous.continues_with(current)


LedgerMachine.TestCase.settings = settings(max_examples=50, stateful_step_count=30, deadline=None)
TestLedgerStateMachine = LedgerMachine.TestCase
