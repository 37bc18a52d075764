"""Concurrent spending on PostgreSQL: row locks make over-spending impossible."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.persistence.db import make_engine
from services.registry.domain.blocks import UnitStatus
from tests.integration.registry.support import Registry, make_deps
from tests.support.databases import MigratedDatabaseUrl

THREADS = 32
EACH = 40
BALANCE = 1000


def test_concurrent_transfers_and_retirements_never_overspend(migrated_pg_database_url: MigratedDatabaseUrl) -> None:
    engine = make_engine(migrated_pg_database_url("registry"))
    try:
        registry = Registry(make_deps(engine))
        org, buyer = registry.org("Seller"), registry.org("Buyer")
        source, target = registry.account(org), registry.account(buyer)
        batch = registry.mint(org, source, BALANCE)
        who = Registry.holder(org)

        def spend(index: int) -> str:
            try:
                if index % 2:
                    registry.transfer(who, source, target, batch, EACH, key=f"t-{index}")
                else:
                    registry.retire(who, source, batch, EACH, key=f"r-{index}")
            except DomainError as error:
                return error.code.value
            return "OK"

        with ThreadPoolExecutor(THREADS) as pool:
            outcomes = list(pool.map(spend, range(THREADS)))
        assert outcomes.count("OK") == BALANCE // EACH
        assert set(outcomes) == {"OK", ErrorCode.INSUFFICIENT_BALANCE.value}
        blocks = registry.blocks(batch)
        moved = sum(b.quantity for b in blocks if b.account_id == target)
        retired = sum(b.quantity for b in blocks if b.status is UnitStatus.RETIRED)
        assert registry.balance(source) == 0
        assert moved + retired == BALANCE
        assert moved == EACH * sum(1 for i, o in enumerate(outcomes) if o == "OK" and i % 2)
        registry.assert_invariants()
    finally:
        engine.dispose()
