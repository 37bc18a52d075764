"""The registry service's own tables (its database, nobody else's).

The registry is the single truth of who holds which tonne, so the database itself refuses the
shapes a bug could produce: a block whose end precedes its start, an unknown status, a LOCKED block
without its lock (or a lock on a non-LOCKED block), two blocks of one batch starting at the same
unit, a batch whose serial range does not hold exactly its issued quantity. What a CHECK cannot
express portably ("the blocks of a batch are disjoint and add up to its issued quantity") is checked
by a query after every write, in the same transaction (adapters/repository.py: check_batch_ledger).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from carbon_runtime.messaging.outbox import add_outbox_tables
from carbon_runtime.persistence.idempotency import add_idempotency_table

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
outbox = add_outbox_tables(metadata)
idempotency_keys = add_idempotency_table(metadata)

ID = 64
ACCOUNT_KINDS = ("HOLDING", "BUFFER", "RETIREMENT", "CANCELLATION", "NDC_USE")
ACCOUNT_STATUSES = ("OPEN", "SUSPENDED", "CLOSED")
UNIT_STATUSES = ("HELD", "LOCKED", "RETIRED", "CANCELLED", "NDC_USED")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


organizations = Table(
    "organizations",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("country", String(2), nullable=False),
    Column("accredited_verifier", Boolean, nullable=False),
    Column("kyc_status", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("organization_id", String(ID), ForeignKey("organizations.id"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    # Set exactly for BUFFER accounts: the program whose pool it is.
    Column("program_id", String(ID), nullable=True),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(_in("kind", ACCOUNT_KINDS), name="kind"),
    CheckConstraint(_in("status", ACCOUNT_STATUSES), name="status"),
    CheckConstraint("(kind = 'BUFFER') = (program_id IS NOT NULL)", name="buffer_program"),
)

batches = Table(
    "batches",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("issuance_id", String(200), nullable=False, unique=True),
    Column("project_id", String(200), nullable=False),
    # The project token printed in serials (Batch.project_id in the domain).
    Column("serial_project", String(32), nullable=False),
    Column("program_id", String(ID), nullable=False, index=True),
    Column("program_code", String(10), nullable=False),
    Column("methodology_id", String(200), nullable=False),
    Column("host_country", String(2), nullable=False),
    Column("vintage_start", Date, nullable=False),
    Column("vintage_end", Date, nullable=False),
    Column("credit_type", String(20), nullable=False),
    Column("basis", String(20), nullable=False),
    Column("category", String(30), nullable=False),
    Column("corresponding_adjustment", Boolean, nullable=False),
    # carbon.issuance.v1.Authorization name, e.g. AUTHORIZATION_NDC.
    Column("authorization", String(60), nullable=False),
    Column("authorization_purpose", String(10), nullable=True),
    Column("authorization_id", String(200), nullable=True),
    Column("co_benefits", String(100), nullable=False),
    Column("proponent_organization_id", String(ID), nullable=False),
    Column("issued_quantity", BigInteger, nullable=False),
    Column("buffer_quantity", BigInteger, nullable=False),
    Column("serial_start_unit", BigInteger, nullable=False),
    Column("serial_end_unit", BigInteger, nullable=False),
    Column("serial_start", String(120), nullable=False),
    Column("serial_end", String(120), nullable=False),
    Column("holder_account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("buffer_account_id", String(ID), ForeignKey("accounts.id"), nullable=True),
    # The MintBatchResponse, returned again when the same issuance is minted twice.
    Column("mint_response", LargeBinary, nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("minted_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("issued_quantity > 0", name="issued_positive"),
    CheckConstraint("buffer_quantity >= 0 AND buffer_quantity <= issued_quantity", name="buffer_range"),
    CheckConstraint("serial_start_unit >= 1 AND serial_start_unit <= serial_end_unit", name="serial_range"),
    CheckConstraint("serial_end_unit - serial_start_unit + 1 = issued_quantity", name="one_serial_per_tonne"),
)

unit_blocks = Table(
    "unit_blocks",
    metadata,
    Column("batch_id", String(ID), ForeignKey("batches.id"), primary_key=True),
    Column("start_unit", BigInteger, primary_key=True, autoincrement=False),
    Column("end_unit", BigInteger, nullable=False),
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("lock_id", String(200), nullable=True),
    CheckConstraint("start_unit >= 1 AND start_unit <= end_unit", name="range"),
    CheckConstraint(_in("status", UNIT_STATUSES), name="status"),
    CheckConstraint("(status = 'LOCKED') = (lock_id IS NOT NULL)", name="lock_iff_locked"),
    Index("ix_unit_blocks_account", "account_id", "batch_id"),
    Index("ix_unit_blocks_lock", "lock_id"),
)

# Units of authorized batches that already left the proponent once (ITMO first transfer): the
# corresponding adjustment is tied to that event, so it may be recognised only once per unit.
itmo_first_transfers = Table(
    "itmo_first_transfers",
    metadata,
    Column("batch_id", String(ID), ForeignKey("batches.id"), primary_key=True),
    Column("start_unit", BigInteger, primary_key=True, autoincrement=False),
    Column("end_unit", BigInteger, nullable=False),
    Column("transfer_id", String(ID), nullable=False),
    CheckConstraint("start_unit >= 1 AND start_unit <= end_unit", name="range"),
)

# Single row (id = 1) naming the newest journal entry; locking it serializes appends to the chain.
journal_head = Table(
    "journal_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("sequence", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

journal = Table(
    "journal",
    metadata,
    Column("sequence", BigInteger, primary_key=True, autoincrement=False),
    Column("operation", String(60), nullable=False),
    Column("prev_hash", String(64), nullable=False, unique=True),
    Column("hash", String(64), nullable=False, unique=True),
    # JournalEntry.to_dict() as canonical JSON: the exact text the hash was computed over.
    Column("entry", Text, nullable=False),
)

transfers = Table(
    "transfers",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("settlement_id", String(ID), nullable=True, index=True),
    Column("trade_id", String(200), nullable=True),
    Column("batch_id", String(ID), ForeignKey("batches.id"), nullable=False, index=True),
    Column("from_account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("from_organization_id", String(ID), nullable=False, index=True),
    Column("to_account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("to_organization_id", String(ID), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("itmo_first_transfer", Boolean, nullable=False),
    Column("itmo_first_transfer_quantity", BigInteger, nullable=False),
    Column("issuer_onset", Boolean, nullable=False),
    Column("onset_fiscal_year", Integer, nullable=True),
    # [[start, end], ...] of the units that moved, as now held by the receiver.
    Column("blocks", Text, nullable=False),
    Column("journal_sequence", BigInteger, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("kind IN ('TRANSFER', 'SETTLEMENT')", name="kind"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    CheckConstraint("issuer_onset = (onset_fiscal_year IS NOT NULL)", name="onset_year"),
)


def _use_table(name: str, *extra: Column[object]) -> Table:
    """Retirements, cancellations and NDC uses share a shape: permanent uses of one batch's units."""
    return Table(
        name,
        metadata,
        Column("id", String(ID), primary_key=True),
        Column("batch_id", String(ID), ForeignKey("batches.id"), nullable=False, index=True),
        Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False, index=True),
        Column("organization_id", String(ID), nullable=False, index=True),
        Column("sink_account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
        Column("quantity", BigInteger, nullable=False),
        Column("blocks", Text, nullable=False),
        Column("certificate_id", String(60), nullable=False, unique=True),
        Column("journal_sequence", BigInteger, nullable=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False),
        *extra,
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )


retirements = _use_table(
    "retirements",
    Column("purpose", String(40), nullable=False),
    Column("beneficiary", String(500), nullable=False),
    Column("retirement_year", Integer, nullable=False),
    Column("offset_emissions", String(60), nullable=True),
    Column("activity_description", String(2000), nullable=False),
    Column("reporting_period_start", Date, nullable=True),
    Column("reporting_period_end", Date, nullable=True),
    # JCM credits retired for reductions from 2021 count toward Japan's NDC (recorded at retirement).
    Column("counts_toward_japan_ndc", Boolean, nullable=False, server_default=false()),
)

cancellations = _use_table(
    "cancellations",
    Column("purpose", String(40), nullable=False),
    Column("beneficiary", String(500), nullable=False),
)

ndc_uses = _use_table(
    "ndc_uses",
    Column("ndc_country", String(2), nullable=False),
    Column("ndc_year", Integer, nullable=False),
)

buffer_cancellations = Table(
    "buffer_cancellations",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("buffer_account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("program_id", String(ID), nullable=False),
    Column("batch_id", String(ID), nullable=True),
    Column("quantity", BigInteger, nullable=False),
    Column("reversal_id", String(200), nullable=False),
    Column("reason", String(2000), nullable=False),
    # [[batch_id, start, end], ...]
    Column("blocks", Text, nullable=False),
    Column("journal_sequence", BigInteger, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("quantity > 0", name="quantity_positive"),
)

locks = Table(
    "locks",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("organization_id", String(ID), nullable=False),
    Column("locked_quantity", BigInteger, nullable=False),
    Column("criteria", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("locked_quantity > 0", name="quantity_positive"),
)

settlements = Table(
    "settlements",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("lock_id", String(200), ForeignKey("locks.id"), nullable=False, index=True),
    Column("trade_id", String(200), nullable=False),
    Column("to_account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("journal_sequence", BigInteger, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("quantity > 0", name="quantity_positive"),
)

certificates = Table(
    "certificates",
    metadata,
    Column("id", String(60), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("operation_id", String(ID), nullable=False, unique=True),
    # build_certificate(...) as canonical JSON.
    Column("body", Text, nullable=False),
    Column("journal_sequence", BigInteger, nullable=False),
    UniqueConstraint("journal_sequence", name="uq_certificates_journal_sequence"),
)

# ----------------------------------------------------------------------------------------------
# Transfer safeguards (domain/safeguards.py).

# Each account's trusted account list: transfers there are not held once the entry is effective.
trusted_accounts = Table(
    "trusted_accounts",
    metadata,
    Column("account_id", String(ID), ForeignKey("accounts.id"), primary_key=True),
    Column("trusted_account_id", String(ID), ForeignKey("accounts.id"), primary_key=True),
    Column("added_by", String(200), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("effective_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("account_id <> trusted_account_id", name="not_self"),
)

TRANSFER_STATUSES = ("PENDING_APPROVAL", "HELD", "COMPLETED", "CANCELLED")

# Transfers that did not complete in the call that requested them. While PENDING_APPROVAL or HELD
# their units are LOCKED under lock_id; once COMPLETED the same id is a row of `transfers`.
held_transfers = Table(
    "held_transfers",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("batch_id", String(ID), ForeignKey("batches.id"), nullable=False),
    Column("from_account_id", String(ID), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("from_organization_id", String(ID), nullable=False),
    Column("to_account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("lock_id", String(200), nullable=False, unique=True),
    Column("status", String(20), nullable=False),
    Column("needs_approval", Boolean, nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("approved_by", String(200), nullable=True),
    Column("cancelled_by", String(200), nullable=True),
    Column("idempotency_key", String(200), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("completes_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    CheckConstraint(_in("status", TRANSFER_STATUSES), name="status"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    Index("ix_held_transfers_due", "status", "completes_at"),
)

# Wrong-organization attempts on an account; enough of them within the window suspend it.
# Reinstatement deletes the account's rows (the journal keeps the suspension and reinstatement).
authorization_failures = Table(
    "authorization_failures",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("user_id", String(200), nullable=False),
    Column("organization_id", String(ID), nullable=True),
    Column("operation", String(60), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Index("ix_authorization_failures_account", "account_id", "occurred_at"),
)

# Provenance of batches bridged in from an external registry (ImportBatch). The origin unit range is
# the claim that makes double registration detectable: two batches of one origin registry whose
# ranges overlap in one numbering scope would put the same tonne on the platform twice.
batch_origins = Table(
    "batch_origins",
    metadata,
    Column("batch_id", String(ID), ForeignKey("batches.id"), primary_key=True),
    Column("import_key", String(200), nullable=False, unique=True),
    Column("origin_registry", String(20), nullable=False),
    Column("origin_batch_id", String(200), nullable=True),
    Column("origin_project_id", String(200), nullable=False),
    Column("numbering_scope", String(200), nullable=True),
    Column("origin_unit_start", BigInteger, nullable=True),
    Column("origin_unit_end", BigInteger, nullable=True),
    Column("origin_serial_start", String(200), nullable=True),
    Column("origin_serial_end", String(200), nullable=True),
    Column("origin_serial", String(300), nullable=True),
    CheckConstraint(
        "(numbering_scope IS NULL) = (origin_unit_start IS NULL)"
        " AND (origin_unit_start IS NULL) = (origin_unit_end IS NULL)",
        name="range_complete",
    ),
    CheckConstraint(
        "origin_unit_start IS NULL OR (origin_unit_start >= 1 AND origin_unit_start <= origin_unit_end)",
        name="origin_range",
    ),
    Index("ix_batch_origins_scope", "origin_registry", "numbering_scope", "origin_unit_start"),
)

# Retirements and cancellations made in an external registry and recorded on an imported batch
# (ImportBlockEvent); `operation_id` is the retirement's or cancellation's id.
imported_uses = Table(
    "imported_uses",
    metadata,
    Column("operation_id", String(ID), primary_key=True),
    Column("import_key", String(200), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("batch_id", String(ID), ForeignKey("batches.id"), nullable=False, index=True),
    Column("origin_registry", String(20), nullable=False),
    Column("numbering_scope", String(200), nullable=True),
    Column("origin_unit_start", BigInteger, nullable=True),
    Column("origin_unit_end", BigInteger, nullable=True),
    Column("origin_serial", String(300), nullable=True),
    Column("quantity", BigInteger, nullable=False),
    Column("beneficiary", String(500), nullable=True),
    Column("reason", String(500), nullable=True),
    Column("details", Text, nullable=True),
    Column("event_date", Date, nullable=True),
    Column("request_hash", String(64), nullable=False),
    Column("response", LargeBinary, nullable=False),
    CheckConstraint("kind IN ('RETIRED', 'CANCELLED')", name="kind"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    Index("ix_imported_uses_scope", "origin_registry", "numbering_scope", "origin_unit_start"),
)
