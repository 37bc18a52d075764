"""The `Projection` port in SQL: the read models' rows, written once per natural key, and this
consumer's claims (carbon_runtime.messaging.outbox.claim_event) in the same transaction.

Quantities are whole tonnes; decimals (prices, emissions) are stored as their exact text, never as binary
floats; instants in UTC.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, delete, update
from sqlalchemy.dialects import postgresql, sqlite

from carbon_runtime.messaging.outbox import claim_event
from services.reporting.adapters import tables
from services.reporting.domain import events
from services.reporting.service.ports import BufferCancellationRecord, TransferRecord

#: The consumer name this service's claims are recorded under (outbox.processed_events).
CONSUMER = "reporting"


def _decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _ranges(ranges: tuple[str, ...]) -> str:
    return json.dumps(list(ranges))


def _attributes(attrs: events.CreditAttributes) -> dict[str, Any]:
    return {
        "project_id": attrs.project_id,
        "program_id": attrs.program_id,
        "methodology_id": attrs.methodology_id,
        "country": attrs.country,
        "vintage_start": attrs.vintage_start,
        "vintage_end": attrs.vintage_end,
        "credit_type": attrs.credit_type.value,
        "basis": attrs.basis.value,
        "category": attrs.category.value,
        "corresponding_adjustment": attrs.corresponding_adjustment,
        "authorization_kind": attrs.authorization.value,
        "co_benefits": json.dumps(sorted(attrs.co_benefits)),
        "issuer_organization_id": attrs.issuer_organization_id,
    }


class SqlProjection:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- writing primitives ---------------------------------------------------------------------------

    def _insert(self, table: Table, row: Mapping[str, Any]) -> Any:
        return (sqlite.insert if self.conn.dialect.name == "sqlite" else postgresql.insert)(table).values(**row)

    def _upsert(self, table: Table, key: Mapping[str, Any], values: Mapping[str, Any]) -> None:
        """Insert the row, or set only `values` on the existing row with that key (columns commute)."""
        insert = self._insert(table, {**key, **values})
        if values:
            stmt = insert.on_conflict_do_update(index_elements=list(key), set_=dict(values))
        else:
            stmt = insert.on_conflict_do_nothing(index_elements=list(key))
        self.conn.execute(stmt)

    def _insert_once(self, table: Table, row: Mapping[str, Any]) -> None:
        """Immutable facts: the first write wins, a repeat (e.g. the same fact via replay) is ignored."""
        self.conn.execute(self._insert(table, row).on_conflict_do_nothing())

    # --- claims and progress ----------------------------------------------------------------------------

    def claim(self, event_id: str) -> bool:
        return claim_event(self.conn, tables.outbox, CONSUMER, event_id)

    def record_progress(self, source: str, event_id: str, occurred_at: datetime, position: int | None) -> None:
        t = tables.source_progress
        self._insert_once(
            t,
            {
                "source": source,
                "applied_events": 0,
                "replayed_position": 0,
                "last_event_id": "",
                "last_occurred_at": None,
                "last_applied_at": None,
            },
        )
        self.conn.execute(
            update(t)
            .where(t.c.source == source)
            .values(applied_events=t.c.applied_events + 1, last_event_id=event_id, last_applied_at=datetime.now(UTC))
        )
        # Only move "last occurred" forward: a late redelivery of an old event must not make the lag look worse.
        self.conn.execute(
            update(t)
            .where(t.c.source == source)
            .where((t.c.last_occurred_at.is_(None)) | (t.c.last_occurred_at < occurred_at))
            .values(last_occurred_at=occurred_at)
        )
        if position is not None:
            self.advance_replayed_position(source, position)

    def advance_replayed_position(self, source: str, position: int) -> None:
        t = tables.source_progress
        self.conn.execute(
            update(t)
            .where(t.c.source == source)
            .where(t.c.replayed_position < position)
            .values(replayed_position=position)
        )

    def clear(self) -> None:
        for table in reversed(tables.READ_MODEL_TABLES):
            self.conn.execute(delete(table))
        processed = tables.outbox.processed_events
        self.conn.execute(delete(processed).where(processed.c.consumer == CONSUMER))

    # --- registry ---------------------------------------------------------------------------------------

    def add_organization(self, ev: events.OrganizationCreated) -> None:
        self._insert_once(
            tables.organizations,
            {
                "organization_id": ev.organization_id,
                "name": ev.name,
                "country": ev.country,
                "accredited_verifier": ev.accredited_verifier,
            },
        )

    def add_account(self, ev: events.AccountOpened) -> None:
        self._insert_once(
            tables.accounts,
            {"account_id": ev.account_id, "organization_id": ev.organization_id, "kind": ev.kind.value},
        )

    def add_minted_batch(self, ev: events.BatchMinted) -> None:
        self._insert_once(
            tables.batches_minted,
            {
                "batch_id": ev.batch_id,
                **_attributes(ev.attributes),
                "minted_quantity_t": ev.issued_quantity_t,
                "buffer_quantity_t": ev.buffer_quantity_t,
                "serial_start": ev.serial_start,
                "serial_end": ev.serial_end,
                "minted_at": ev.minted_at,
            },
        )

    def add_transfer(self, record: TransferRecord) -> None:
        self._insert_once(
            tables.transfers,
            {
                "transfer_id": record.transfer_id,
                "kind": record.kind,
                "batch_id": record.batch_id,
                "from_account_id": record.from_account_id,
                "from_organization_id": record.from_organization_id,
                "to_account_id": record.to_account_id,
                "to_organization_id": record.to_organization_id,
                "quantity_t": record.quantity_t,
                "serial_ranges": _ranges(record.serial_ranges),
                "itmo_first_transfer": record.itmo_first_transfer,
                "issuer_onset": record.issuer_onset,
                "onset_fiscal_year": record.onset_fiscal_year,
                "trade_id": record.trade_id,
                "transferred_at": record.transferred_at,
            },
        )

    def add_retirement(self, ev: events.CreditsRetired) -> None:
        self._insert_once(
            tables.retirements,
            {
                "retirement_id": ev.retirement_id,
                "batch_id": ev.batch_id,
                "account_id": ev.account_id,
                "organization_id": ev.organization_id,
                "quantity_t": ev.quantity_t,
                "serial_ranges": _ranges(ev.serial_ranges),
                "purpose": ev.purpose.value,
                "beneficiary": ev.beneficiary,
                "retirement_year": ev.retirement_year,
                "offset_emissions": _decimal_text(ev.offset_emissions_tco2e),
                "activity_description": ev.activity_description,
                "retired_at": ev.retired_at,
                "counts_toward_japan_ndc": ev.counts_toward_japan_ndc,
            },
        )

    def add_cancellation(self, ev: events.CreditsCancelled) -> None:
        self._insert_once(
            tables.cancellations,
            {
                "cancellation_id": ev.cancellation_id,
                "batch_id": ev.batch_id,
                "account_id": ev.account_id,
                "organization_id": ev.organization_id,
                "quantity_t": ev.quantity_t,
                "serial_ranges": _ranges(ev.serial_ranges),
                "purpose": ev.purpose.value,
                "beneficiary": ev.beneficiary,
                "cancelled_at": ev.cancelled_at,
            },
        )

    def add_ndc_use(self, ev: events.CreditsUsedForNdc) -> None:
        self._insert_once(
            tables.ndc_uses,
            {
                "ndc_use_id": ev.ndc_use_id,
                "batch_id": ev.batch_id,
                "account_id": ev.account_id,
                "organization_id": ev.organization_id,
                "quantity_t": ev.quantity_t,
                "serial_ranges": _ranges(ev.serial_ranges),
                "ndc_country": ev.ndc_country,
                "ndc_year": ev.ndc_year,
                "used_at": ev.used_at,
            },
        )

    def add_buffer_cancellation(self, record: BufferCancellationRecord) -> None:
        self._insert_once(
            tables.buffer_cancellations,
            {
                "cancellation_id": record.cancellation_id,
                "batch_id": record.batch_id,
                "buffer_account_id": record.buffer_account_id,
                "quantity_t": record.quantity_t,
                "serial_ranges": _ranges(record.serial_ranges),
                "reversal_id": record.reversal_id,
                "reason": record.reason,
                "cancelled_at": record.cancelled_at,
            },
        )

    # --- issuance ---------------------------------------------------------------------------------------

    def record_project_created(self, ev: events.ProjectCreated) -> None:
        self._upsert(
            tables.projects,
            {"project_id": ev.project_id},
            {
                "name": ev.name,
                "country": ev.country,
                "proponent_organization_id": ev.proponent_organization_id,
                "crediting_period_start": ev.crediting_period_start,
            },
        )

    def record_project_registered(self, ev: events.ProjectRegistered) -> None:
        self._upsert(tables.projects, {"project_id": ev.project_id}, {"registered_on": ev.registered_on})

    def add_issued_batch(self, ev: events.CreditsIssued) -> None:
        self._insert_once(
            tables.batches_issued,
            {
                "batch_id": ev.batch_id,
                **_attributes(ev.attributes),
                "project_name": ev.project_name,
                "program_name": ev.program_name,
                "methodology_title": ev.methodology_title,
                "issued_quantity_t": ev.issued_quantity_t,
                "buffer_quantity_t": ev.buffer_quantity_t,
                "serial_start": ev.serial_start,
                "serial_end": ev.serial_end,
                "holder_account_id": ev.holder_account_id,
                "issued_at": ev.issued_at,
            },
        )

    def add_reversal(self, ev: events.ReversalReported) -> None:
        self._insert_once(
            tables.reversals,
            {
                "reversal_id": ev.reversal_id,
                "project_id": ev.project_id,
                "batch_id": ev.batch_id,
                "reversed_quantity_t": ev.reversed_quantity_t,
                "occurred_on": ev.occurred_on,
                "description": ev.description,
            },
        )

    # --- trading ----------------------------------------------------------------------------------------

    def add_instrument(self, ev: events.InstrumentCreated) -> None:
        self._insert_once(
            tables.instruments,
            {"instrument_id": ev.instrument_id, "name": ev.name, "currency": ev.currency},
        )

    def record_trade_executed(self, ev: events.TradeExecuted) -> None:
        self._upsert(
            tables.trades,
            {"trade_id": ev.trade_id},
            {
                "instrument_id": ev.instrument_id,
                "price": _decimal_text(ev.price),
                "quantity_t": ev.quantity_t,
                "buyer_organization_id": ev.buyer_organization_id,
                "seller_organization_id": ev.seller_organization_id,
                "executed_at": ev.executed_at,
            },
        )

    def record_trade_settled(self, ev: events.TradeSettled) -> None:
        self._upsert(
            tables.trades,
            {"trade_id": ev.trade_id},
            {
                "settled": True,
                "settlement_id": ev.settlement_id,
                "amount": _decimal_text(ev.amount),
                "currency": ev.currency,
                "settled_at": ev.settled_at,
            },
        )
        for delivery in ev.deliveries:
            self._insert_once(
                tables.trade_deliveries,
                {"trade_id": ev.trade_id, "batch_id": delivery.batch_id, "quantity_t": delivery.quantity_t},
            )
