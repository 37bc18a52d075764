"""Alembic environment of the trading service: its own tables only."""

from carbon_runtime.persistence.migrations import run_env
from services.trading.adapters.tables import metadata

run_env(metadata)
