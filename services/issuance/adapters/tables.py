"""The issuance service's own tables (its database, nobody else's)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, MetaData, String, Table

from carbon_runtime.idempotency import add_idempotency_table
from carbon_runtime.outbox import add_outbox_tables

metadata = MetaData()
outbox = add_outbox_tables(metadata)
idempotency_keys = add_idempotency_table(metadata)

credit_batches = Table(
    "credit_batches",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("project_id", String(64), nullable=False),
    Column("monitoring_report_id", String(64), nullable=False, unique=True),
    Column("vintage_start", Date, nullable=False),
    Column("vintage_end", Date, nullable=False),
    Column("issued_quantity", BigInteger, nullable=False),
    Column("buffer_quantity", BigInteger, nullable=False),
    Column("serial_start", String(120), nullable=False),
    Column("serial_end", String(120), nullable=False),
    Column("credit_type", String(20), nullable=False),
    Column("basis", String(20), nullable=False),
    Column("category", String(30), nullable=False),
    Column("corresponding_adjustment", Boolean, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
)
