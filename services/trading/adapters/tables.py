"""The trading service's own tables (its database, nobody else's).

Money and prices are stored as canonical decimal TEXT (never a binary float): SQLite has no exact
decimal type, and the service does every sum in Python `Decimal` under a row lock anyway.
Tonnes are BigInteger. Every timestamp is timezone-aware UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
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

_ID = 64
_MONEY = 40

instruments = Table(
    "instruments",
    metadata,
    Column("instrument_id", String(_ID), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("tick_size", String(_MONEY), nullable=False),
    Column("lot_size_t", BigInteger, nullable=False),
    # JSON text of the delivery criteria (program ids, credit types, categories, vintages, batch).
    Column("criteria_json", Text, nullable=False),
    Column("reference_price", String(_MONEY), nullable=True),
    Column("price_limit_kind", String(16), nullable=True),
    Column("price_limit_amount", String(_MONEY), nullable=True),
    # JSON text of the session schedule; NULL trades continuously (contract "Trading defaults").
    Column("schedule_json", Text, nullable=True),
    Column("mode", String(20), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# The matching engine's command journal, per instrument: replayed at start to rebuild the book.
engine_journal = Table(
    "engine_journal",
    metadata,
    Column("instrument_id", String(_ID), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("command_json", Text, nullable=False),
)

cash_accounts = Table(
    "cash_accounts",
    metadata,
    Column("organization_id", String(_ID), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("available", String(_MONEY), nullable=False),
    Column("locked", String(_MONEY), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

cash_movements = Table(
    "cash_movements",
    metadata,
    Column("movement_id", String(_ID), primary_key=True),
    Column("organization_id", String(_ID), nullable=False),
    Column("currency", String(3), nullable=False),
    # DEPOSIT, LOCK, RELEASE, SETTLE_DEBIT (from locked), SETTLE_CREDIT (to available)
    Column("kind", String(40), nullable=False),
    Column("amount", String(_MONEY), nullable=False),
    Column("reference_id", String(_ID), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_cash_movements_org", "organization_id", "currency"),
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", String(_ID), primary_key=True),
    Column("instrument_id", String(_ID), nullable=False),
    Column("organization_id", String(_ID), nullable=False),
    Column("account_id", String(_ID), nullable=False),
    Column("side", String(4), nullable=False),
    Column("price", String(_MONEY), nullable=False),
    Column("quantity_t", BigInteger, nullable=False),
    Column("filled_quantity_t", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),
    Column("time_in_force", String(4), nullable=False),
    # Buy orders: cash still locked for the open remainder (price x remaining). Sells: "0".
    Column("locked_cash", String(_MONEY), nullable=False),
    Column("lock_id", String(_ID), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_orders_instrument", "instrument_id"),
)

trades = Table(
    "trades",
    metadata,
    Column("trade_id", String(_ID), primary_key=True),
    Column("instrument_id", String(_ID), nullable=False),
    # EXCHANGE (continuous or auction, from the engine) or TENDER (an award).
    Column("source", String(10), nullable=False),
    Column("engine_seq", BigInteger, nullable=True),
    Column("price", String(_MONEY), nullable=False),
    Column("price_ticks", BigInteger, nullable=False),
    Column("quantity_t", BigInteger, nullable=False),
    Column("amount", String(_MONEY), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("buy_order_id", String(_ID), nullable=False),
    Column("sell_order_id", String(_ID), nullable=False),
    # Registry lock the credits are delivered from: the sell order id, or the tender id.
    Column("sell_lock_id", String(_ID), nullable=False),
    Column("buyer_organization_id", String(_ID), nullable=False),
    Column("seller_organization_id", String(_ID), nullable=False),
    Column("buyer_account_id", String(_ID), nullable=False),
    Column("seller_account_id", String(_ID), nullable=False),
    Column("aggressor_side", String(4), nullable=True),
    # PENDING until the registry delivered and cash moved, then SETTLED (terminal).
    Column("settlement_state", String(10), nullable=False),
    Column("settlement_id", String(_ID), nullable=True),
    Column("delivered_batch_id", String(_ID), nullable=True),
    Column("deliveries_json", Text, nullable=True),
    Column("executed_at", DateTime(timezone=True), nullable=False),
    Column("settled_at", DateTime(timezone=True), nullable=True),
    Column("seq", Integer, nullable=False),
    Index("ix_trades_instrument_time", "instrument_id", "executed_at"),
    Index("ix_trades_state", "settlement_state"),
    UniqueConstraint("instrument_id", "engine_seq", name="uq_trades_engine_seq"),
)

settlement_attempts = Table(
    "settlement_attempts",
    metadata,
    Column("attempt_id", String(_ID), primary_key=True),
    Column("trade_id", String(_ID), nullable=False),
    Column("outcome", String(20), nullable=False),  # SETTLED or the error code
    Column("detail", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_settlement_attempts_trade", "trade_id"),
)

# Registry unlocks owed by the exchange (cancellations, unsold tender credits). Written in the same
# transaction as the local change, then executed; retried by the worker until done.
registry_unlocks = Table(
    "registry_unlocks",
    metadata,
    Column("unlock_id", String(_ID), primary_key=True),
    Column("lock_id", String(_ID), nullable=False),
    Column("quantity_t", BigInteger, nullable=False),
    Column("state", String(10), nullable=False),  # PENDING or DONE
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("done_at", DateTime(timezone=True), nullable=True),
)

tenders = Table(
    "tenders",
    metadata,
    Column("tender_id", String(_ID), primary_key=True),
    Column("instrument_id", String(_ID), nullable=False),
    Column("seller_organization_id", String(_ID), nullable=False),
    Column("seller_account_id", String(_ID), nullable=False),
    Column("offered_quantity_t", BigInteger, nullable=False),
    Column("minimum_price", String(_MONEY), nullable=False),
    Column("closes_at", DateTime(timezone=True), nullable=False),
    Column("status", String(10), nullable=False),
    Column("result_json", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

tender_bids = Table(
    "tender_bids",
    metadata,
    Column("bid_id", String(_ID), primary_key=True),
    Column("tender_id", String(_ID), nullable=False),
    Column("organization_id", String(_ID), nullable=False),
    Column("account_id", String(_ID), nullable=False),
    Column("price", String(_MONEY), nullable=False),
    Column("quantity_t", BigInteger, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("awarded_quantity_t", BigInteger, nullable=True),
    Column("locked_cash", String(_MONEY), nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tender_id", "sequence", name="uq_tender_bids_sequence"),
)

otc_reports = Table(
    "otc_reports",
    metadata,
    Column("report_id", String(_ID), primary_key=True),
    Column("instrument_id", String(_ID), nullable=False),
    Column("seller_organization_id", String(_ID), nullable=False),
    Column("seller_account_id", String(_ID), nullable=False),
    Column("buyer_account_id", String(_ID), nullable=False),
    Column("batch_id", String(_ID), nullable=True),
    Column("price", String(_MONEY), nullable=False),
    Column("quantity_t", BigInteger, nullable=False),
    # True when the registry moved the credits (Transfer); False when only reported for statistics.
    Column("settled_in_registry", Boolean, nullable=False),
    Column("transfer_id", String(_ID), nullable=True),
    Column("traded_at", DateTime(timezone=True), nullable=False),
    Column("reported_at", DateTime(timezone=True), nullable=False),
)

# --- forward and offtake contracts (issue 20) -------------------------------------------------------

forward_contracts = Table(
    "forward_contracts",
    metadata,
    Column("forward_id", String(_ID), primary_key=True),
    Column("project_id", String(_ID), nullable=False),
    Column("seller_organization_id", String(_ID), nullable=False),
    Column("seller_account_id", String(_ID), nullable=False),
    Column("buyer_organization_id", String(_ID), nullable=False),
    Column("delivery_account_id", String(_ID), nullable=True),
    Column("quantity_t", BigInteger, nullable=False),
    Column("delivered_quantity_t", BigInteger, nullable=False),
    Column("price_per_tonne", String(_MONEY), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("vintage_from", Integer, nullable=True),
    Column("vintage_to", Integer, nullable=True),
    Column("delivery_deadline", Date, nullable=False),
    Column("prepayment_share", String(_MONEY), nullable=False),
    # OFFERED, ACTIVE, DELIVERED, SHORTFALL, CANCELLED
    Column("status", String(10), nullable=False),
    # The buyer's cash still locked for the contract (released pro rata, the rest back at the end).
    Column("escrow_locked", String(_MONEY), nullable=False),
    # Fill order of the contracts on one project (acceptance order); NULL until accepted.
    Column("accepted_seq", BigInteger, nullable=True),
    Column("accepted_at", DateTime(timezone=True), nullable=True),
    Column("cancel_requested_by", String(_ID), nullable=True),
    Column("offered_by", String(200), nullable=False),
    Column("offered_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Index("ix_forward_contracts_project", "project_id", "status"),
    Index("ix_forward_contracts_seller", "seller_organization_id"),
    Index("ix_forward_contracts_buyer", "buyer_organization_id"),
)

# One row per delivery from a minted batch; the registry lock and settlement are named after its id.
forward_deliveries = Table(
    "forward_deliveries",
    metadata,
    Column("delivery_id", String(_ID), primary_key=True),
    Column("forward_id", String(_ID), nullable=False),
    Column("batch_id", String(_ID), nullable=False),
    Column("quantity_t", BigInteger, nullable=False),
    Column("amount", String(_MONEY), nullable=False),
    # PENDING until the registry settled and the escrow moved, then SETTLED; FAILED if the lock was refused.
    Column("state", String(10), nullable=False),
    Column("settlement_id", String(_ID), nullable=True),
    Column("error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    Index("ix_forward_deliveries_forward", "forward_id"),
    Index("ix_forward_deliveries_state", "state"),
)

# Projects issuance announced (issuance.v1.ProjectCreated): whose proponent may offer forwards.
forward_projects = Table(
    "forward_projects",
    metadata,
    Column("project_id", String(_ID), primary_key=True),
    Column("proponent_organization_id", String(_ID), nullable=False),
)

# Consumed events (and minted batches) already applied: a redelivery finds its claim and changes nothing.
consumed_events = Table(
    "consumed_events",
    metadata,
    Column("claim_key", String(200), primary_key=True),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
)
