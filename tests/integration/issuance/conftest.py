"""Fixtures of the issuance service tests: `env` is a database at the issuance migration head, which
seeds the reference data (PostgreSQL and SQLite), with the use cases wired to it and an in-memory registry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from carbon_runtime.persistence.db import make_engine
from tests.integration.issuance.support import Env, make_env
from tests.support.databases import MigratedDatabaseUrl


@pytest.fixture
def env(migrated_database_url: MigratedDatabaseUrl) -> Iterator[Env]:
    engine = make_engine(migrated_database_url("issuance"))
    try:
        yield make_env(engine)
    finally:
        engine.dispose()
