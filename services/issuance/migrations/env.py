"""Alembic environment of the issuance service: its own tables only."""

from carbon_runtime.persistence.migrations import run_env
from services.issuance.adapters.tables import metadata

run_env(metadata)
