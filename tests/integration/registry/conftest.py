"""Registry fixtures: a fresh database with the registry schema on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.registry.support import Registry, create_schema, make_deps


@pytest.fixture
def registry(database_url: str) -> Iterator[Registry]:
    engine = create_schema(database_url)
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
