"""The issuance service's own tables (its database, nobody else's).

Exact quantities of emissions (tCO2e Decimals) are stored as decimal strings: SQLite has no exact
numeric type and would silently round them through a float. Whole tonnes are BigInteger.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from carbon_runtime.messaging.outbox import add_outbox_tables
from carbon_runtime.persistence.idempotency import add_idempotency_table

metadata = MetaData()
outbox = add_outbox_tables(metadata)
idempotency_keys = add_idempotency_table(metadata)

programs = Table(
    "programs",
    metadata,
    Column("program_id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("operator", String(300), nullable=False),
    Column("scope", String(20), nullable=False),
    Column("japanese", Boolean, nullable=False),
    Column("icroa_endorsed", Boolean, nullable=False),
    Column("corresponding_adjustment_possible", Boolean, nullable=False),
    # Null = any host country; otherwise a sorted list of ISO 3166-1 alpha-2 codes.
    Column("allowed_host_countries", JSON, nullable=True),
    # The program's BUFFER account in the registry; empty lets the registry use the program's pool.
    Column("buffer_account_id", String(64), nullable=True),
)

methodologies = Table(
    "methodologies",
    metadata,
    Column("methodology_id", String(80), primary_key=True),
    Column("program_id", String(40), ForeignKey("programs.program_id"), nullable=False, index=True),
    Column("code", String(60), nullable=False),
    Column("title", String(300), nullable=False),
    Column("credit_type", String(20), nullable=False),
    Column("basis", String(20), nullable=False),
    Column("sector", String(40), nullable=False),
    Column("family", String(40), nullable=False),
    Column("exchange_category", String(40), nullable=True),
)

projects = Table(
    "projects",
    metadata,
    Column("project_id", String(64), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("program_id", String(40), ForeignKey("programs.program_id"), nullable=False),
    Column("methodology_id", String(80), ForeignKey("methodologies.methodology_id"), nullable=False),
    Column("host_country", String(2), nullable=False),
    Column("region", String(200), nullable=True),
    Column("proponent_org_id", String(64), nullable=False, index=True),
    Column("verifier_org_id", String(64), nullable=True),
    Column("crediting_period_start", Date, nullable=True),
    Column("crediting_period_end", Date, nullable=True),
    Column("co_benefits", JSON, nullable=False),
    Column("additionality", JSON, nullable=True),
    Column("permanence", JSON, nullable=True),
    Column("japan_ties", JSON, nullable=False),
    Column("authorization", JSON, nullable=True),
    Column("program_type", Boolean, nullable=False),
    Column("sites", JSON, nullable=False),
    Column("documents", JSON, nullable=False),
    Column("origin_project_id", String(120), nullable=True, index=True),
    Column("status", String(20), nullable=False),
    Column("reversal_shortfall_t", BigInteger, nullable=False),
    Column("registered_on", Date, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    Index("ix_projects_filter", "program_id", "host_country", "status"),
)

project_status_history = Table(
    "project_status_history",
    metadata,
    Column("project_id", String(64), ForeignKey("projects.project_id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("from_status", String(20), nullable=True),
    Column("to_status", String(20), nullable=False),
    Column("actor_user_id", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("comment", Text, nullable=True),
)

duplicate_flags = Table(
    "duplicate_flags",
    metadata,
    Column("project_id", String(64), ForeignKey("projects.project_id"), primary_key=True),
    Column("registration_id", String(120), primary_key=True),
    Column("program_id", String(40), nullable=False),
    Column("basis", String(40), nullable=False),
)

monitoring_reports = Table(
    "monitoring_reports",
    metadata,
    Column("report_id", String(64), primary_key=True),
    Column("project_id", String(64), ForeignKey("projects.project_id"), nullable=False, index=True),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("credit_type", String(20), nullable=False),
    # Decimal strings (tCO2e): the figures as reported.
    Column("baseline_emissions", String(60), nullable=False),
    Column("project_emissions", String(60), nullable=False),
    Column("leakage_emissions", String(60), nullable=False),
    Column("project_removals", String(60), nullable=True),
    Column("baseline_removals", String(60), nullable=True),
    Column("net_quantity", String(60), nullable=False),
    Column("claimed_quantity_t", BigInteger, nullable=False),
    Column("submitted_by", String(200), nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False),
)

verifications = Table(
    "verifications",
    metadata,
    Column("report_id", String(64), ForeignKey("monitoring_reports.report_id"), primary_key=True),
    Column("verifier_org_id", String(64), nullable=False),
    Column("verified_quantity_t", BigInteger, nullable=False),
    Column("verified_by", String(200), nullable=False),
    Column("verified_at", DateTime(timezone=True), nullable=False),
)

# One row per issuance decision. PENDING: decided and persisted, the registry has not confirmed the
# mint yet (a retry re-sends MintBatch with the same issuance_id); ISSUED: minted, serials known.
credit_batches = Table(
    "credit_batches",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("issuance_id", String(64), nullable=False, unique=True),
    Column("state", String(20), nullable=False),
    Column("project_id", String(64), ForeignKey("projects.project_id"), nullable=False, index=True),
    Column("monitoring_report_id", String(64), ForeignKey("monitoring_reports.report_id"), nullable=False),
    Column("program_id", String(40), nullable=False, index=True),
    Column("methodology_id", String(80), nullable=False),
    Column("country", String(2), nullable=False),
    Column("vintage_start", Date, nullable=False),
    Column("vintage_end", Date, nullable=False),
    Column("issued_quantity", BigInteger, nullable=False),
    Column("buffer_quantity", BigInteger, nullable=False),
    Column("serial_prefix", String(200), nullable=False),
    Column("serial_start", String(200), nullable=True),
    Column("serial_end", String(200), nullable=True),
    Column("credit_type", String(20), nullable=False),
    Column("basis", String(20), nullable=False),
    Column("category", String(30), nullable=False),
    Column("exchange_category", String(40), nullable=True),
    Column("corresponding_adjustment", Boolean, nullable=False),
    Column("authorization", String(60), nullable=False),
    Column("authorization_letter_id", String(200), nullable=True),
    Column("co_benefits", JSON, nullable=False),
    Column("issuer_organization_id", String(64), nullable=False),
    Column("project_name", String(300), nullable=False),
    Column("program_name", String(200), nullable=False),
    Column("methodology_title", String(300), nullable=False),
    Column("registered_on", Date, nullable=True),
    Column("holder_account_id", String(64), nullable=False),
    Column("buffer_account_id", String(64), nullable=True),
    Column("idempotency_key", String(200), nullable=True),
    Column("requested_by", String(200), nullable=False),
    Column("requested_by_org", String(64), nullable=True),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=True),
    # Issuance order for listing and cursors; assigned when the batch is issued.
    Column("issue_seq", BigInteger, nullable=True, unique=True),
    UniqueConstraint("monitoring_report_id", name="uq_credit_batches_report"),
)

reversals = Table(
    "reversals",
    metadata,
    Column("reversal_id", String(64), primary_key=True),
    Column("state", String(20), nullable=False),
    Column("project_id", String(64), ForeignKey("projects.project_id"), nullable=False, index=True),
    Column("program_id", String(40), nullable=False, index=True),
    Column("batch_id", String(64), nullable=True),
    Column("reversed_quantity_t", BigInteger, nullable=False),
    Column("buffer_cancellation_t", BigInteger, nullable=False),
    Column("shortfall_t", BigInteger, nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("description", Text, nullable=False),
    Column("buffer_account_id", String(64), nullable=True),
    Column("registry_cancellation_id", String(64), nullable=True),
    Column("idempotency_key", String(200), nullable=True),
    Column("reported_by", String(200), nullable=False),
    Column("reported_by_org", String(64), nullable=True),
    Column("reported_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=True),
)

# Batches bridged in from an external registry (ImportBatch): the origin record's import key makes a
# repeated import a no-op, and the origin batch id and serial say where the credits came from. Each
# imported batch has a monitoring report standing for the origin registry's verified issuance.
imported_batches = Table(
    "imported_batches",
    metadata,
    Column("batch_id", String(64), ForeignKey("credit_batches.id"), primary_key=True),
    Column("import_key", String(200), nullable=False, unique=True),
    Column("origin_registry", String(20), nullable=False),
    Column("origin_batch_id", String(200), nullable=True),
    Column("origin_serial", String(300), nullable=True),
    Column("issued_on", Date, nullable=True),
    Column("request_hash", String(64), nullable=False),
)
