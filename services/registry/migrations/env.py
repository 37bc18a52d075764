"""Alembic environment of the registry service: its own tables only."""

from carbon_runtime.persistence.migrations import run_env
from services.registry.adapters.tables import metadata

run_env(metadata)
