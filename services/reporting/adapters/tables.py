"""The reporting service's own tables (its database, nobody else's)."""

from __future__ import annotations

from sqlalchemy import MetaData

from carbon_runtime.idempotency import add_idempotency_table
from carbon_runtime.outbox import add_outbox_tables

metadata = MetaData()
outbox = add_outbox_tables(metadata)
idempotency_keys = add_idempotency_table(metadata)
