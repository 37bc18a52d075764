"""Registry fixtures: a fresh database at the registry's migration head on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from carbon_runtime.persistence.db import make_engine
from tests.integration.registry.support import Registry, make_deps
from tests.support.databases import MigratedDatabaseUrl


@pytest.fixture
def registry(migrated_database_url: MigratedDatabaseUrl) -> Iterator[Registry]:
    engine = make_engine(migrated_database_url("registry"))
    try:
        yield Registry(make_deps(engine))
    finally:
        engine.dispose()


@pytest.fixture
def world(registry: Registry) -> dict[str, str]:
    """A proponent with a holding account holding batch B (1000 t), and a buyer with an account."""
    proponent = registry.org("Proponent K.K.")
    buyer = registry.org("Buyer Ltd", "GB")
    proponent_account = registry.account(proponent)
    buyer_account = registry.account(buyer)
    batch = registry.mint(proponent, proponent_account, 1000)
    return {
        "proponent": proponent,
        "buyer": buyer,
        "proponent_account": proponent_account,
        "buyer_account": buyer_account,
        "batch": batch,
    }
