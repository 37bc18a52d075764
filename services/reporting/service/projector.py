"""Builds the read models from other services' events: one projector function per event type.

`apply_envelope` runs inside the caller's transaction and claims the event id first
(`carbon_runtime.messaging.outbox.claim_event`), so a redelivered event changes nothing and a crash keeps either
the claim and its effect or neither. Every projector writes only facts keyed by natural ids (an
issuance's batch id, a retirement id, ...) and never reads another event's row, so the result does
not depend on delivery order: a retirement arriving before its batch is stored and joined at query
time. Where two events fill in one row (ProjectCreated/ProjectRegistered, TradeExecuted/TradeSettled)
they write disjoint columns through an upsert, which commutes. Facts are immutable (a correction is
a new event), so there is no "stale update" to guard against with per-aggregate sequence numbers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from carbon.events.v1 import envelope_pb2
from carbon.issuance.v1 import events_pb2 as issuance_events
from carbon.issuance.v1 import types_pb2 as issuance_types
from carbon.registry.v1 import events_pb2 as registry_events
from carbon.registry.v1 import types_pb2 as registry_types
from carbon.trading.v1 import events_pb2 as trading_events
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import Connection, Table, update
from sqlalchemy.dialects import postgresql, sqlite

from carbon_runtime.messaging.outbox import claim_event
from services.reporting.adapters import tables

log = logging.getLogger(__name__)

CONSUMER = "reporting"
PRODUCERS: tuple[str, ...] = ("issuance", "registry", "trading")


class MalformedEventError(Exception):
    """An event a reader must reject (e.g. an UNSPECIFIED enum, a bad date); it is logged and skipped."""


Envelope = envelope_pb2.EventEnvelope


def _upsert(conn: Connection, table: Table, key: Mapping[str, Any], values: Mapping[str, Any]) -> None:
    """Insert the row, or set only `values` on the existing row with that key (columns commute)."""
    row = {**key, **values}
    insert = (sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert)(table).values(**row)
    if values:
        stmt = insert.on_conflict_do_update(index_elements=list(key), set_=dict(values))
    else:
        stmt = insert.on_conflict_do_nothing(index_elements=list(key))
    conn.execute(stmt)


def _insert_once(conn: Connection, table: Table, row: Mapping[str, Any]) -> None:
    """Immutable facts: the first write wins, a repeat (e.g. the same fact via replay) is ignored."""
    insert = (sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert)(table).values(**row)
    conn.execute(insert.on_conflict_do_nothing())


def _enum(name: str, prefix: str) -> str:
    if not name.startswith(prefix) or name.endswith("_UNSPECIFIED"):
        raise MalformedEventError(f"enum value {name} is not valid on the wire")
    return name.removeprefix(prefix)


def _date(text: str, what: str, *, optional: bool = False) -> date | None:
    if not text:
        if optional:
            return None
        raise MalformedEventError(f"{what} is empty")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise MalformedEventError(f"{what} is not an ISO 8601 date: {text!r}") from exc


def _required_date(text: str, what: str) -> date:
    value = _date(text, what)
    assert value is not None
    return value


def _instant(ts: Timestamp, fallback: datetime) -> datetime:
    if ts.seconds == 0 and ts.nanos == 0:
        return fallback
    return ts.ToDatetime(tzinfo=UTC)


def _decimal_text(text: str) -> str | None:
    from decimal import Decimal, InvalidOperation

    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise MalformedEventError(f"{text!r} is not a decimal") from exc
    if not value.is_finite():
        raise MalformedEventError(f"{text!r} is not a finite decimal")
    return text


def _attributes(attrs: issuance_types.CreditAttributes) -> dict[str, Any]:
    return {
        "project_id": attrs.project_id,
        "program_id": attrs.program_id,
        "methodology_id": attrs.methodology_id,
        "country": attrs.country,
        "vintage_start": _required_date(attrs.vintage_start, "vintage_start"),
        "vintage_end": _required_date(attrs.vintage_end, "vintage_end"),
        "credit_type": _enum(issuance_types.CreditType.Name(attrs.credit_type), "CREDIT_TYPE_"),
        "basis": _enum(issuance_types.CreditBasis.Name(attrs.basis), "CREDIT_BASIS_"),
        "category": _enum(issuance_types.CreditCategory.Name(attrs.category), "CREDIT_CATEGORY_"),
        "corresponding_adjustment": attrs.corresponding_adjustment,
        "authorization_kind": _enum(issuance_types.Authorization.Name(attrs.authorization), "AUTHORIZATION_"),
        "co_benefits": json.dumps(sorted(int(goal) for goal in attrs.co_benefits)),
        "issuer_organization_id": attrs.issuer_organization_id,
    }


def _ranges(ranges: Iterable[str]) -> str:
    return json.dumps(list(ranges))


def _block_ranges(blocks: Iterable[registry_types.UnitBlock], batch_id: str) -> list[str]:
    return [f"{b.serial_start}-{b.serial_end}" for b in blocks if b.batch_id == batch_id]


# --- registry -----------------------------------------------------------------------------------------


def on_organization_created(conn: Connection, env: Envelope, ev: registry_events.OrganizationCreated) -> None:
    _insert_once(
        conn,
        tables.organizations,
        {
            "organization_id": ev.organization_id,
            "name": ev.name,
            "country": ev.country,
            "accredited_verifier": ev.accredited_verifier,
        },
    )


def on_account_opened(conn: Connection, env: Envelope, ev: registry_events.AccountOpened) -> None:
    kind = _enum(registry_types.AccountKind.Name(ev.kind), "ACCOUNT_KIND_")
    _insert_once(
        conn, tables.accounts, {"account_id": ev.account_id, "organization_id": ev.organization_id, "kind": kind}
    )


def on_batch_minted(conn: Connection, env: Envelope, ev: registry_events.BatchMinted) -> None:
    _insert_once(
        conn,
        tables.batches_minted,
        {
            "batch_id": ev.batch_id,
            **_attributes(ev.attributes),
            "minted_quantity_t": ev.issued_quantity_t,
            "buffer_quantity_t": ev.buffer_quantity_t,
            "serial_start": ev.serial_start,
            "serial_end": ev.serial_end,
            "minted_at": _instant(env.occurred_at, datetime.now(UTC)),
        },
    )


def _transfer_row(
    transfer_id: str,
    kind: str,
    env: Envelope,
    accounting: registry_types.TransferAccounting,
    *,
    from_account_id: str,
    from_organization_id: str,
    to_account_id: str,
    to_organization_id: str,
    blocks: Iterable[registry_types.UnitBlock],
    trade_id: str = "",
) -> dict[str, Any]:
    return {
        "transfer_id": transfer_id,
        "kind": kind,
        "batch_id": accounting.batch_id,
        "from_account_id": from_account_id,
        "from_organization_id": from_organization_id,
        "to_account_id": to_account_id,
        "to_organization_id": to_organization_id,
        "quantity_t": accounting.quantity_t,
        "serial_ranges": _ranges(_block_ranges(blocks, accounting.batch_id)),
        "itmo_first_transfer": accounting.itmo_first_transfer,
        "issuer_onset": accounting.issuer_onset,
        "onset_fiscal_year": accounting.onset_fiscal_year,
        "trade_id": trade_id,
        "transferred_at": _instant(env.occurred_at, datetime.now(UTC)),
    }


def on_credits_transferred(conn: Connection, env: Envelope, ev: registry_events.CreditsTransferred) -> None:
    accounting = registry_types.TransferAccounting()
    accounting.CopyFrom(ev.accounting)
    # The accounting block is the authority on onset; batch and quantity are on the event itself too.
    accounting.batch_id = ev.batch_id
    accounting.quantity_t = ev.quantity_t
    _insert_once(
        conn,
        tables.transfers,
        _transfer_row(
            ev.transfer_id,
            "TRANSFER",
            env,
            accounting,
            from_account_id=ev.from_account_id,
            from_organization_id=ev.from_organization_id,
            to_account_id=ev.to_account_id,
            to_organization_id=ev.to_organization_id,
            blocks=ev.blocks,
        ),
    )


def on_credits_settled(conn: Connection, env: Envelope, ev: registry_events.CreditsSettled) -> None:
    for delivery in ev.deliveries:
        _insert_once(
            conn,
            tables.transfers,
            _transfer_row(
                f"{ev.settlement_id}:{delivery.batch_id}",
                "SETTLEMENT",
                env,
                delivery,
                from_account_id=ev.from_account_id,
                from_organization_id=ev.from_organization_id,
                to_account_id=ev.to_account_id,
                to_organization_id=ev.to_organization_id,
                blocks=ev.blocks,
                trade_id=ev.trade_id,
            ),
        )


def on_credits_retired(conn: Connection, env: Envelope, ev: registry_events.CreditsRetired) -> None:
    if ev.retirement_year <= 0:
        raise MalformedEventError(f"retirement {ev.retirement_id} has no retirement year")
    _insert_once(
        conn,
        tables.retirements,
        {
            "retirement_id": ev.retirement_id,
            "batch_id": ev.batch_id,
            "account_id": ev.account_id,
            "organization_id": ev.organization_id,
            "quantity_t": ev.quantity_t,
            "serial_ranges": _ranges(ev.serial_ranges),
            "purpose": _enum(registry_types.RetirementPurpose.Name(ev.purpose), "RETIREMENT_PURPOSE_"),
            "beneficiary": ev.beneficiary,
            "retirement_year": ev.retirement_year,
            "offset_emissions": _decimal_text(ev.offset_emissions_decimal),
            "activity_description": ev.activity_description,
            "retired_at": _instant(ev.retired_at, _instant(env.occurred_at, datetime.now(UTC))),
            "counts_toward_japan_ndc": ev.counts_toward_japan_ndc,
        },
    )


def on_credits_cancelled(conn: Connection, env: Envelope, ev: registry_events.CreditsCancelled) -> None:
    _insert_once(
        conn,
        tables.cancellations,
        {
            "cancellation_id": ev.cancellation_id,
            "batch_id": ev.batch_id,
            "account_id": ev.account_id,
            "organization_id": ev.organization_id,
            "quantity_t": ev.quantity_t,
            "serial_ranges": _ranges(ev.serial_ranges),
            "purpose": _enum(registry_types.CancellationPurpose.Name(ev.purpose), "CANCELLATION_PURPOSE_"),
            "beneficiary": ev.beneficiary,
            "cancelled_at": _instant(ev.cancelled_at, _instant(env.occurred_at, datetime.now(UTC))),
        },
    )


def on_credits_used_for_ndc(conn: Connection, env: Envelope, ev: registry_events.CreditsUsedForNdc) -> None:
    _insert_once(
        conn,
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
            "used_at": _instant(ev.used_at, _instant(env.occurred_at, datetime.now(UTC))),
        },
    )


def on_buffer_cancelled(conn: Connection, env: Envelope, ev: registry_events.BufferCancelled) -> None:
    # Tonnes per batch from the blocks (a pool-wide cancellation names several batches); without blocks
    # the whole quantity is the named batch's.
    per_batch: dict[str, int] = {}
    for block in ev.blocks:
        per_batch[block.batch_id] = per_batch.get(block.batch_id, 0) + block.quantity_t
    if not per_batch:
        if not ev.batch_id:
            raise MalformedEventError(f"buffer cancellation {ev.cancellation_id} names neither a batch nor blocks")
        per_batch[ev.batch_id] = ev.quantity_t
    if sum(per_batch.values()) != ev.quantity_t:
        raise MalformedEventError(f"buffer cancellation {ev.cancellation_id}: blocks do not add up to quantity_t")
    cancelled_at = _instant(env.occurred_at, datetime.now(UTC))
    for batch_id, quantity_t in sorted(per_batch.items()):
        ranges = _block_ranges(ev.blocks, batch_id) or (list(ev.serial_ranges) if batch_id == ev.batch_id else [])
        _insert_once(
            conn,
            tables.buffer_cancellations,
            {
                "cancellation_id": ev.cancellation_id,
                "batch_id": batch_id,
                "buffer_account_id": ev.buffer_account_id,
                "quantity_t": quantity_t,
                "serial_ranges": _ranges(ranges),
                "reversal_id": ev.reversal_id,
                "reason": ev.reason,
                "cancelled_at": cancelled_at,
            },
        )


# --- issuance -----------------------------------------------------------------------------------------


def on_project_created(conn: Connection, env: Envelope, ev: issuance_events.ProjectCreated) -> None:
    _upsert(
        conn,
        tables.projects,
        {"project_id": ev.project_id},
        {
            "name": ev.name,
            "country": ev.country,
            "proponent_organization_id": ev.proponent_organization_id,
            "crediting_period_start": _date(ev.crediting_period_start, "crediting_period_start", optional=True),
        },
    )


def on_project_registered(conn: Connection, env: Envelope, ev: issuance_events.ProjectRegistered) -> None:
    registered_on = (
        _date(ev.registered_on, "registered_on", optional=True) or _instant(env.occurred_at, datetime.now(UTC)).date()
    )
    _upsert(conn, tables.projects, {"project_id": ev.project_id}, {"registered_on": registered_on})


def on_credits_issued(conn: Connection, env: Envelope, ev: issuance_events.CreditsIssued) -> None:
    _insert_once(
        conn,
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
            "issued_at": _instant(env.occurred_at, datetime.now(UTC)),
        },
    )


def on_reversal_reported(conn: Connection, env: Envelope, ev: issuance_events.ReversalReported) -> None:
    if ev.reversed_quantity_t <= 0:
        raise MalformedEventError(f"reversal {ev.reversal_id} reverses no tonnes")
    _insert_once(
        conn,
        tables.reversals,
        {
            "reversal_id": ev.reversal_id,
            "project_id": ev.project_id,
            "batch_id": ev.batch_id,
            "reversed_quantity_t": ev.reversed_quantity_t,
            "occurred_on": _required_date(ev.occurred_on, "occurred_on"),
            "description": ev.description,
        },
    )


# --- trading ------------------------------------------------------------------------------------------


def on_instrument_created(conn: Connection, env: Envelope, ev: trading_events.InstrumentCreated) -> None:
    _insert_once(
        conn,
        tables.instruments,
        {"instrument_id": ev.instrument_id, "name": ev.name, "currency": ev.currency},
    )


def on_trade_executed(conn: Connection, env: Envelope, ev: trading_events.TradeExecuted) -> None:
    trade = ev.trade
    price = _decimal_text(trade.price_decimal)
    if price is None:
        raise MalformedEventError(f"trade {trade.trade_id} has no price")
    _upsert(
        conn,
        tables.trades,
        {"trade_id": trade.trade_id},
        {
            "instrument_id": trade.instrument_id,
            "price": price,
            "quantity_t": trade.quantity_t,
            "buyer_organization_id": ev.buyer_organization_id,
            "seller_organization_id": ev.seller_organization_id,
            "executed_at": _instant(trade.executed_at, _instant(env.occurred_at, datetime.now(UTC))),
        },
    )


def on_trade_settled(conn: Connection, env: Envelope, ev: trading_events.TradeSettled) -> None:
    _upsert(
        conn,
        tables.trades,
        {"trade_id": ev.trade_id},
        {
            "settled": True,
            "settlement_id": ev.settlement_id,
            "amount": _decimal_text(ev.amount_decimal),
            "currency": ev.currency or None,
            "settled_at": _instant(env.occurred_at, datetime.now(UTC)),
        },
    )
    for delivery in ev.deliveries:
        _insert_once(
            conn,
            tables.trade_deliveries,
            {"trade_id": ev.trade_id, "batch_id": delivery.batch_id, "quantity_t": delivery.quantity_t},
        )


Projector = Callable[[Connection, Envelope, Any], None]

PROJECTORS: dict[str, Projector] = {
    "carbon.registry.v1.OrganizationCreated": on_organization_created,
    "carbon.registry.v1.AccountOpened": on_account_opened,
    "carbon.registry.v1.BatchMinted": on_batch_minted,
    "carbon.registry.v1.CreditsTransferred": on_credits_transferred,
    "carbon.registry.v1.CreditsSettled": on_credits_settled,
    "carbon.registry.v1.CreditsRetired": on_credits_retired,
    "carbon.registry.v1.CreditsCancelled": on_credits_cancelled,
    "carbon.registry.v1.CreditsUsedForNdc": on_credits_used_for_ndc,
    "carbon.registry.v1.BufferCancelled": on_buffer_cancelled,
    "carbon.issuance.v1.ProjectCreated": on_project_created,
    "carbon.issuance.v1.ProjectRegistered": on_project_registered,
    "carbon.issuance.v1.CreditsIssued": on_credits_issued,
    "carbon.issuance.v1.ReversalReported": on_reversal_reported,
    "carbon.trading.v1.InstrumentCreated": on_instrument_created,
    "carbon.trading.v1.TradeExecuted": on_trade_executed,
    "carbon.trading.v1.TradeSettled": on_trade_settled,
}


def _record_progress(conn: Connection, env: Envelope, position: int | None) -> None:
    source = env.producer or "unknown"
    occurred_at = _instant(env.occurred_at, datetime.now(UTC))
    now = datetime.now(UTC)
    t = tables.source_progress
    _insert_once(
        conn,
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
    values: dict[str, Any] = {
        "applied_events": t.c.applied_events + 1,
        "last_event_id": env.event_id,
        "last_applied_at": now,
    }
    conn.execute(update(t).where(t.c.source == source).values(**values))
    # Only move "last occurred" forward: a late redelivery of an old event must not make the lag look worse.
    conn.execute(
        update(t)
        .where(t.c.source == source)
        .where((t.c.last_occurred_at.is_(None)) | (t.c.last_occurred_at < occurred_at))
        .values(last_occurred_at=occurred_at)
    )
    if position is not None:
        conn.execute(
            update(t)
            .where(t.c.source == source)
            .where(t.c.replayed_position < position)
            .values(replayed_position=position)
        )


def apply_envelope(conn: Connection, env: Envelope, *, position: int | None = None) -> bool:
    """Apply one event in the caller's transaction. Returns False when it had already been applied.

    Events this service does not project are still claimed and counted, so the progress per producer
    counts every event of its log. Raises MalformedEventError (nothing written, as the caller rolls back)
    for an event a reader must reject.
    """
    if not env.event_id:
        raise MalformedEventError("event without event_id")
    which = env.WhichOneof("payload")
    if which is None:
        raise MalformedEventError(f"event {env.event_id} has no payload")
    payload = getattr(env, which)
    if payload.DESCRIPTOR.full_name != env.event_type:
        raise MalformedEventError(f"event {env.event_id}: event_type {env.event_type} does not match its payload")
    if not claim_event(conn, tables.outbox, CONSUMER, env.event_id):
        if position is not None:
            _advance_replayed_position(conn, env.producer or "unknown", position)
        return False
    projector = PROJECTORS.get(env.event_type)
    if projector is not None:
        projector(conn, env, payload)
    _record_progress(conn, env, position)
    return True


def _advance_replayed_position(conn: Connection, source: str, position: int) -> None:
    t = tables.source_progress
    conn.execute(
        update(t).where(t.c.source == source).where(t.c.replayed_position < position).values(replayed_position=position)
    )
