"""Random mint/transfer/lock/settle/unlock/retire/cancel sequences, with replays, against the real
database: after every step the batch's blocks partition it exactly, terminal units never change, and
refused operations and replays change nothing."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from carbon_runtime.errors import DomainError
from services.registry.domain.blocks import TERMINAL_STATUSES, UnitStatus
from tests.integration.registry.support import Registry

ISSUED = 200
quantity_st = st.integers(min_value=0, max_value=120)
party_st = st.integers(min_value=0, max_value=2)


def make_machine(registry: Registry) -> type[RuleBasedStateMachine]:
    class LedgerOnDatabase(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.orgs: list[str] = []
            self.accounts: list[str] = []
            self.batch = ""
            self.locks: list[str] = []
            self.terminal: dict[int, UnitStatus] = {}
            self.done: list[tuple[Any, Any]] = []
            self.counter = 0

        def _key(self) -> str:
            self.counter += 1
            return f"{self.batch}-{self.counter}"

        def _ledger(self) -> list[Any]:
            return registry.blocks(self.batch)

        def _attempt(self, call: Any) -> None:
            """Run an operation; a refusal must leave the batch's blocks exactly as they were."""
            before = self._ledger()
            try:
                response = call()
            except DomainError:
                assert self._ledger() == before
                return
            self.done.append((call, response))

        @initialize()
        def mint(self) -> None:
            self.orgs = [registry.org(f"Org {i}") for i in range(3)]
            self.accounts = [registry.account(org) for org in self.orgs]
            self.batch = registry.mint(self.orgs[0], self.accounts[0], ISSUED)

        @rule(src=party_st, dst=party_st, quantity=quantity_st)
        def transfer(self, src: int, dst: int, quantity: int) -> None:
            key = self._key()
            who = Registry.holder(self.orgs[src])
            self._attempt(
                lambda: registry.transfer(who, self.accounts[src], self.accounts[dst], self.batch, quantity, key)
            )

        @rule(src=party_st, quantity=quantity_st, cancel=st.booleans())
        def use(self, src: int, quantity: int, cancel: bool) -> None:
            key = self._key()
            who = Registry.holder(self.orgs[src])
            operation = registry.cancel if cancel else registry.retire
            self._attempt(lambda: operation(who, self.accounts[src], self.batch, quantity, key))

        @rule(src=party_st, quantity=quantity_st)
        def lock(self, src: int, quantity: int) -> None:
            key = self._key()
            lock_id = f"L{key}"
            who = Registry.holder(self.orgs[src])
            before = len(self.done)
            self._attempt(lambda: registry.lock(who, self.accounts[src], quantity, lock_id, key))
            if len(self.done) > before:
                self.locks.append(lock_id)

        @rule(which=st.integers(0, 10), dst=party_st, quantity=quantity_st)
        def settle(self, which: int, dst: int, quantity: int) -> None:
            if self.locks:
                lock_id, key = self.locks[which % len(self.locks)], self._key()
                self._attempt(lambda: registry.settle(lock_id, quantity, self.accounts[dst], key))

        @rule(which=st.integers(0, 10), quantity=st.one_of(st.none(), quantity_st))
        def unlock(self, which: int, quantity: int | None) -> None:
            if self.locks:
                lock_id, key = self.locks[which % len(self.locks)], self._key()
                self._attempt(lambda: registry.unlock(lock_id, quantity, key))

        @rule(which=st.integers(0, 100))
        def replay(self, which: int) -> None:
            keyed = [(call, response) for call, response in self.done]
            if not keyed:
                return
            call, response = keyed[which % len(keyed)]
            before = self._ledger()
            assert call() == response
            assert self._ledger() == before

        @invariant()
        def blocks_partition_the_batch_and_terminal_units_never_change(self) -> None:
            if not self.batch:
                return
            blocks = self._ledger()
            assert sum(b.quantity for b in blocks) == ISSUED
            assert all(b.quantity > 0 for b in blocks)
            terminal = {u: b.status for b in blocks if b.status in TERMINAL_STATUSES for u in range(b.start, b.end + 1)}
            for unit, status in self.terminal.items():
                assert terminal.get(unit) is status
            self.terminal = terminal
            registry.assert_invariants()

    return LedgerOnDatabase


def test_random_operations_keep_the_ledger_invariants_on_the_database(registry: Registry) -> None:
    run_state_machine_as_test(
        make_machine(registry),
        settings=settings(
            max_examples=15,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
