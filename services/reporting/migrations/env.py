"""Alembic environment of the reporting service: its own tables only."""

from carbon_runtime.persistence.migrations import run_env
from services.reporting.adapters.tables import metadata

run_env(metadata)
