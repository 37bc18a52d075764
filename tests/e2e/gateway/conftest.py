"""One dev stack (broker, four services, Hive Gateway) for the gateway tests that need the real
platform: tests/e2e/gateway/test_gateway_every_mutation.py and test_graphql_over_http_audit.py share
it, so running both starts it once. On free ports, with SQLite files in a temporary directory,
exactly as `make dev` runs it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tooling.devstack import DevStack, StackConfig


@pytest.fixture(scope="session")
def platform_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    config = StackConfig.ephemeral(Path(tmp_path_factory.mktemp("platform-stack")))
    with DevStack(config) as stack:
        yield stack
