"""Fixtures of the issuance service tests: `env` is a seeded database (PostgreSQL and SQLite) with the
use cases wired to it and an in-memory registry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.issuance.support import Env, fresh_engine, make_env


@pytest.fixture
def env(database_url: str) -> Iterator[Env]:
    engine = fresh_engine(database_url)
    try:
        yield make_env(engine)
    finally:
        engine.dispose()
