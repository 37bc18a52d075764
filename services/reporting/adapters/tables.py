"""The reporting service's own tables (its database, nobody else's).

Every `rm_*` table is a read model built ONLY from other services' events, so it can be wiped and rebuilt
from their event logs at any time (`python -m services.reporting rebuild`). Facts are stored keyed by
their natural ids and joined at query time: an event never needs another event to have arrived first,
which makes the read model converge whatever order or how many times Kafka delivers the events.

Quantities are whole tonnes (BigInteger); decimals (prices, emissions) are kept as their exact text, never
as binary floats; instants are stored in UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from carbon_runtime.messaging.outbox import add_outbox_tables
from carbon_runtime.persistence.idempotency import add_idempotency_table

metadata = MetaData()
outbox = add_outbox_tables(metadata)
idempotency_keys = add_idempotency_table(metadata)


def _attribute_columns() -> list[Column[object]]:
    """carbon.issuance.v1.CreditAttributes, as both CreditsIssued and BatchMinted carry them."""
    return [
        Column("project_id", String(64), nullable=False),
        Column("program_id", String(32), nullable=False),
        Column("methodology_id", String(64), nullable=False),
        Column("country", String(2), nullable=False),
        Column("vintage_start", Date, nullable=False),
        Column("vintage_end", Date, nullable=False),
        Column("credit_type", String(16), nullable=False),
        Column("basis", String(16), nullable=False),
        Column("category", String(32), nullable=False),
        Column("corresponding_adjustment", Boolean, nullable=False),
        Column("authorization_kind", String(64), nullable=False),
        Column("co_benefits", Text, nullable=False),  # JSON list of SDG numbers
        Column("issuer_organization_id", String(64), nullable=False),
    ]


organizations = Table(
    "rm_organizations",
    metadata,
    Column("organization_id", String(64), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("country", String(2), nullable=False),
    Column("accredited_verifier", Boolean, nullable=False),
)

accounts = Table(
    "rm_accounts",
    metadata,
    Column("account_id", String(64), primary_key=True),
    Column("organization_id", String(64), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
)

# ProjectCreated and ProjectRegistered write disjoint columns of one row, so either may come first.
projects = Table(
    "rm_projects",
    metadata,
    Column("project_id", String(64), primary_key=True),
    Column("name", String(300), nullable=True),
    Column("country", String(2), nullable=True),
    Column("proponent_organization_id", String(64), nullable=True),
    Column("crediting_period_start", Date, nullable=True),
    Column("registered_on", Date, nullable=True),
)

# From issuance CreditsIssued: the attributes plus the names copied for disclosure.
batches_issued = Table(
    "rm_batches_issued",
    metadata,
    Column("batch_id", String(64), primary_key=True),
    *_attribute_columns(),
    Column("project_name", String(300), nullable=False),
    Column("program_name", String(300), nullable=False),
    Column("methodology_title", String(300), nullable=False),
    Column("issued_quantity_t", BigInteger, nullable=False),
    Column("buffer_quantity_t", BigInteger, nullable=False),
    Column("serial_start", String(200), nullable=False),
    Column("serial_end", String(200), nullable=False),
    Column("holder_account_id", String(64), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
)

# From registry BatchMinted: the registry's serials and minted quantity.
batches_minted = Table(
    "rm_batches_minted",
    metadata,
    Column("batch_id", String(64), primary_key=True),
    *_attribute_columns(),
    Column("minted_quantity_t", BigInteger, nullable=False),
    Column("buffer_quantity_t", BigInteger, nullable=False),
    Column("serial_start", String(200), nullable=False),
    Column("serial_end", String(200), nullable=False),
    Column("minted_at", DateTime(timezone=True), nullable=False),
)

retirements = Table(
    "rm_retirements",
    metadata,
    Column("retirement_id", String(64), primary_key=True),
    Column("batch_id", String(64), nullable=False, index=True),
    Column("account_id", String(64), nullable=False),
    Column("organization_id", String(64), nullable=False, index=True),
    Column("quantity_t", BigInteger, nullable=False),
    Column("serial_ranges", Text, nullable=False),  # JSON list of "<start>-<end>"
    Column("purpose", String(40), nullable=False),
    Column("beneficiary", String(500), nullable=False),
    Column("retirement_year", Integer, nullable=False),
    Column("offset_emissions", String(64), nullable=True),  # exact decimal text
    Column("activity_description", Text, nullable=False),
    Column("retired_at", DateTime(timezone=True), nullable=False),
    # The registry's record that Japan counts this retirement toward its NDC (JCM, reductions from 2021).
    Column("counts_toward_japan_ndc", Boolean, nullable=False),
)

cancellations = Table(
    "rm_cancellations",
    metadata,
    Column("cancellation_id", String(64), primary_key=True),
    Column("batch_id", String(64), nullable=False, index=True),
    Column("account_id", String(64), nullable=False),
    Column("organization_id", String(64), nullable=False, index=True),
    Column("quantity_t", BigInteger, nullable=False),
    Column("serial_ranges", Text, nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("beneficiary", String(500), nullable=False),
    Column("cancelled_at", DateTime(timezone=True), nullable=False),
)

ndc_uses = Table(
    "rm_ndc_uses",
    metadata,
    Column("ndc_use_id", String(64), primary_key=True),
    Column("batch_id", String(64), nullable=False, index=True),
    Column("account_id", String(64), nullable=False),
    Column("organization_id", String(64), nullable=False),
    Column("quantity_t", BigInteger, nullable=False),
    Column("serial_ranges", Text, nullable=False),
    Column("ndc_country", String(2), nullable=False),
    Column("ndc_year", Integer, nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=False),
)

# One row per batch that changed owner: a transfer is one row; a settlement one row per batch delivered.
transfers = Table(
    "rm_transfers",
    metadata,
    Column("transfer_id", String(200), primary_key=True),
    Column("kind", String(16), nullable=False),  # TRANSFER | SETTLEMENT
    Column("batch_id", String(64), nullable=False, index=True),
    Column("from_account_id", String(64), nullable=False),
    Column("from_organization_id", String(64), nullable=False, index=True),
    Column("to_account_id", String(64), nullable=False),
    Column("to_organization_id", String(64), nullable=False),
    Column("quantity_t", BigInteger, nullable=False),
    Column("serial_ranges", Text, nullable=False),
    Column("itmo_first_transfer", Boolean, nullable=False),
    Column("issuer_onset", Boolean, nullable=False),
    Column("onset_fiscal_year", Integer, nullable=False),
    Column("trade_id", String(64), nullable=False),
    Column("transferred_at", DateTime(timezone=True), nullable=False),
)

# From issuance ReversalReported: stored carbon lost, to be compensated from the program's buffer pool.
reversals = Table(
    "rm_reversals",
    metadata,
    Column("reversal_id", String(64), primary_key=True),
    Column("project_id", String(64), nullable=False, index=True),
    Column("batch_id", String(64), nullable=False),  # "" when not attributed to one batch
    Column("reversed_quantity_t", BigInteger, nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("description", Text, nullable=False),
)

# From registry BufferCancelled: one row per batch whose buffer units one cancellation took (a pool-wide
# cancellation may span several batches; the blocks name them).
buffer_cancellations = Table(
    "rm_buffer_cancellations",
    metadata,
    Column("cancellation_id", String(64), primary_key=True),
    Column("batch_id", String(64), primary_key=True),
    Column("buffer_account_id", String(64), nullable=False),
    Column("quantity_t", BigInteger, nullable=False),
    Column("serial_ranges", Text, nullable=False),
    Column("reversal_id", String(64), nullable=False, index=True),
    Column("reason", Text, nullable=False),
    Column("cancelled_at", DateTime(timezone=True), nullable=False),
)

instruments = Table(
    "rm_instruments",
    metadata,
    Column("instrument_id", String(64), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("currency", String(3), nullable=False),
)

# TradeExecuted and TradeSettled write disjoint columns of one row, so either may come first.
trades = Table(
    "rm_trades",
    metadata,
    Column("trade_id", String(64), primary_key=True),
    Column("instrument_id", String(64), nullable=True),
    Column("price", String(64), nullable=True),  # exact decimal text, per tonne
    Column("quantity_t", BigInteger, nullable=True),
    Column("buyer_organization_id", String(64), nullable=True),
    Column("seller_organization_id", String(64), nullable=True),
    Column("executed_at", DateTime(timezone=True), nullable=True),
    Column("settled", Boolean, nullable=False, default=False),
    Column("settlement_id", String(64), nullable=True),
    Column("amount", String(64), nullable=True),
    Column("currency", String(3), nullable=True),
    Column("settled_at", DateTime(timezone=True), nullable=True),
)

trade_deliveries = Table(
    "rm_trade_deliveries",
    metadata,
    Column("trade_id", String(64), primary_key=True),
    Column("batch_id", String(64), primary_key=True),
    Column("quantity_t", BigInteger, nullable=False),
)

# Progress over each producer's event log. Kafka records carry no log position, so `applied_events`
# counts distinct events applied (each once, thanks to the claim); a replay records exact positions.
source_progress = Table(
    "rm_source_progress",
    metadata,
    Column("source", String(32), primary_key=True),
    Column("applied_events", BigInteger, nullable=False),
    Column("replayed_position", BigInteger, nullable=False),
    Column("last_event_id", String(36), nullable=False),
    Column("last_occurred_at", DateTime(timezone=True), nullable=True),
    Column("last_applied_at", DateTime(timezone=True), nullable=True),
)

READ_MODEL_TABLES: tuple[Table, ...] = (
    organizations,
    accounts,
    projects,
    batches_issued,
    batches_minted,
    retirements,
    cancellations,
    ndc_uses,
    reversals,
    buffer_cancellations,
    transfers,
    instruments,
    trades,
    trade_deliveries,
    source_progress,
)
