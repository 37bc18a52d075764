"""Reads the read models and joins them into the domain's facts (the join happens here, at query time):
`SqlFacts` on one connection (inside a unit of work, or a read-only view from `SqlReadModel.read()`).

A batch is known once either CreditsIssued (issuance) or BatchMinted (registry) arrived: both carry the
credit's attributes, fixed at issuance. Issuance adds the names copied for disclosure; the registry's
serials are preferred because it printed them. The registration date (CORSIA) comes from the project's
ProjectRegistered event, falling back to the crediting period start of ProjectCreated.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, select

from carbon_runtime.vocabulary import (
    Authorization,
    CancellationPurpose,
    CreditBasis,
    CreditCategory,
    CreditType,
    RetirementPurpose,
)
from services.reporting.adapters import tables
from services.reporting.domain.facts import (
    BatchFacts,
    BatchRecord,
    CancellationFacts,
    NdcUseFacts,
    OrganizationFacts,
    ProgramId,
    RetirementFacts,
    TradeFacts,
    TransferFacts,
)
from services.reporting.domain.permanence import BufferCancellationFacts, ReversalFacts
from services.reporting.service.ports import SourceProgress


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything was stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _program(program_id: str) -> ProgramId | None:
    try:
        return ProgramId(program_id)
    except ValueError:
        return None


def load_batches(conn: Connection, batch_ids: Sequence[str] | None = None) -> dict[str, BatchRecord]:
    issued_t, minted_t, projects_t = tables.batches_issued, tables.batches_minted, tables.projects
    issued_q = select(issued_t)
    minted_q = select(minted_t)
    if batch_ids is not None:
        issued_q = issued_q.where(issued_t.c.batch_id.in_(list(batch_ids)))
        minted_q = minted_q.where(minted_t.c.batch_id.in_(list(batch_ids)))
    issued: dict[str, Mapping[str, Any]] = {r.batch_id: dict(r._mapping) for r in conn.execute(issued_q)}
    minted: dict[str, Mapping[str, Any]] = {r.batch_id: dict(r._mapping) for r in conn.execute(minted_q)}
    project_ids = {str(m["project_id"]) for m in [*issued.values(), *minted.values()]}
    projects: dict[str, Mapping[str, Any]] = {
        r.project_id: dict(r._mapping)
        for r in conn.execute(select(projects_t).where(projects_t.c.project_id.in_(sorted(project_ids))))
    }
    out: dict[str, BatchRecord] = {}
    for batch_id in sorted(set(issued) | set(minted)):
        record = _batch_record(batch_id, issued.get(batch_id), minted.get(batch_id), projects)
        if record is not None:
            out[batch_id] = record
    return out


def _batch_record(
    batch_id: str,
    issued: Mapping[str, Any] | None,
    minted: Mapping[str, Any] | None,
    projects: Mapping[str, Mapping[str, Any]],
) -> BatchRecord | None:
    base = issued if issued is not None else minted
    assert base is not None
    program = _program(str(base["program_id"]))
    if program is None:
        # A program this release's rules do not know cannot be judged or disclosed safely.
        return None
    project = projects.get(str(base["project_id"]))
    crediting_period_start: date | None = None
    project_name = ""
    if project is not None:
        # CORSIA's cut-off is the start of the first crediting period (Table 9), never the day the
        # project was registered on this platform, which is always after 2016.
        crediting_period_start = project["crediting_period_start"]
        project_name = project["name"] or ""
    serial_source = minted if minted is not None else base
    facts = BatchFacts(
        batch_id=batch_id,
        project_id=str(base["project_id"]),
        project_name=str(issued["project_name"]) if issued is not None else project_name,
        program_id=program,
        host_country=str(base["country"]),
        methodology_code=str(issued["methodology_title"]) if issued is not None else str(base["methodology_id"]),
        credit_type=CreditType(base["credit_type"]),
        basis=CreditBasis(base["basis"]),
        category=CreditCategory(base["category"]),
        vintage_start=base["vintage_start"],
        vintage_end=base["vintage_end"],
        first_crediting_period_start=crediting_period_start,
        corresponding_adjustment=bool(base["corresponding_adjustment"]),
        co_benefits=tuple(int(g) for g in json.loads(base["co_benefits"])),
        proponent_organization_id=str(base["issuer_organization_id"]),
        issued_quantity_t=int(issued["issued_quantity_t"] if issued is not None else minted["minted_quantity_t"]),  # type: ignore[index]
        buffer_quantity_t=int(base["buffer_quantity_t"]),
        serial_start=str(serial_source["serial_start"]),
        serial_end=str(serial_source["serial_end"]),
        issued_on=aware(issued["issued_at"] if issued is not None else minted["minted_at"]).date(),  # type: ignore[index]
        authorization=_authorization(base["authorization_kind"]),
    )
    return BatchRecord(
        facts=facts,
        program_name=str(issued["program_name"]) if issued is not None else program.value,
        authorization=str(base["authorization_kind"]),
        known_to_issuance=issued is not None,
        known_to_registry=minted is not None,
    )


def _authorization(value: object) -> Authorization:
    try:
        return Authorization(str(value))
    except ValueError:
        return Authorization.NONE  # an unknown label authorizes nothing


def batch_facts(records: Mapping[str, BatchRecord]) -> dict[str, BatchFacts]:
    return {batch_id: record.facts for batch_id, record in records.items()}


def load_retirements(conn: Connection, organization_id: str | None = None) -> list[RetirementFacts]:
    t = tables.retirements
    q = select(t)
    if organization_id is not None:
        q = q.where(t.c.organization_id == organization_id)
    return [
        RetirementFacts(
            retirement_id=r.retirement_id,
            organization_id=r.organization_id,
            account_id=r.account_id,
            batch_id=r.batch_id,
            quantity_t=int(r.quantity_t),
            serial_ranges=tuple(json.loads(r.serial_ranges)),
            purpose=RetirementPurpose(r.purpose),
            beneficiary=r.beneficiary,
            retirement_year=int(r.retirement_year),
            retired_at=aware(r.retired_at),
            offset_emissions_tco2e=None if r.offset_emissions is None else Decimal(r.offset_emissions),
            selection_rationale=r.activity_description,
            counts_toward_japan_ndc=bool(r.counts_toward_japan_ndc),
        )
        for r in conn.execute(q.order_by(t.c.retirement_id))
    ]


def load_cancellations(conn: Connection) -> list[CancellationFacts]:
    t = tables.cancellations
    return [
        CancellationFacts(
            cancellation_id=r.cancellation_id,
            organization_id=r.organization_id,
            batch_id=r.batch_id,
            quantity_t=int(r.quantity_t),
            serial_ranges=tuple(json.loads(r.serial_ranges)),
            purpose=CancellationPurpose(r.purpose),
            beneficiary=r.beneficiary,
            cancelled_at=aware(r.cancelled_at),
        )
        for r in conn.execute(select(t).order_by(t.c.cancellation_id))
    ]


def load_ndc_uses(conn: Connection) -> list[NdcUseFacts]:
    t = tables.ndc_uses
    return [
        NdcUseFacts(
            ndc_use_id=r.ndc_use_id,
            using_party=r.ndc_country,
            batch_id=r.batch_id,
            quantity_t=int(r.quantity_t),
            serial_ranges=tuple(json.loads(r.serial_ranges)),
            used_at=aware(r.used_at),
        )
        for r in conn.execute(select(t).order_by(t.c.ndc_use_id))
    ]


def load_transfers(conn: Connection, from_organization_id: str | None = None) -> list[TransferFacts]:
    t = tables.transfers
    q = select(t)
    if from_organization_id is not None:
        q = q.where(t.c.from_organization_id == from_organization_id)
    return [
        TransferFacts(
            transfer_id=r.transfer_id,
            from_organization_id=r.from_organization_id,
            to_organization_id=r.to_organization_id,
            batch_id=r.batch_id,
            quantity_t=int(r.quantity_t),
            transferred_at=aware(r.transferred_at),
            from_account_id=r.from_account_id,
            to_account_id=r.to_account_id,
            serial_ranges=tuple(json.loads(r.serial_ranges)),
        )
        for r in conn.execute(q.order_by(t.c.transfer_id))
    ]


def load_trades(conn: Connection) -> list[TradeFacts]:
    """One fact per trade and delivered batch (a settlement may deliver several batches)."""
    trades_t, deliveries_t, instruments_t = tables.trades, tables.trade_deliveries, tables.instruments
    currencies = {r.instrument_id: r.currency for r in conn.execute(select(instruments_t))}
    deliveries: dict[str, list[tuple[str, int]]] = {}
    for d in conn.execute(select(deliveries_t).order_by(deliveries_t.c.trade_id, deliveries_t.c.batch_id)):
        deliveries.setdefault(d.trade_id, []).append((d.batch_id, int(d.quantity_t)))
    out: list[TradeFacts] = []
    for r in conn.execute(select(trades_t).order_by(trades_t.c.trade_id)):
        if r.executed_at is None or r.price is None:
            continue  # settled before its execution arrived: not a price signal yet
        currency = r.currency or currencies.get(r.instrument_id or "", "")
        if not currency:
            continue
        common = {
            "trade_id": r.trade_id,
            "instrument_id": r.instrument_id,
            "price": Decimal(r.price),
            "currency": currency,
            "executed_at": aware(r.executed_at),
        }
        delivered = deliveries.get(r.trade_id, [])
        if r.settled and delivered:
            out.extend(
                TradeFacts(**common, quantity_t=quantity, batch_id=batch_id, settled=True)
                for batch_id, quantity in delivered
            )
        else:
            out.append(TradeFacts(**common, quantity_t=int(r.quantity_t or 0), settled=False))
    return out


def load_organizations(conn: Connection) -> dict[str, OrganizationFacts]:
    t = tables.organizations
    return {
        r.organization_id: OrganizationFacts(r.organization_id, r.name, r.country)
        for r in conn.execute(select(t).order_by(t.c.organization_id))
    }


def load_reversals(conn: Connection) -> list[ReversalFacts]:
    t = tables.reversals
    return [
        ReversalFacts(
            reversal_id=r.reversal_id,
            project_id=r.project_id,
            batch_id=r.batch_id,
            reversed_quantity_t=int(r.reversed_quantity_t),
            occurred_on=r.occurred_on,
            description=r.description,
        )
        for r in conn.execute(select(t).order_by(t.c.reversal_id))
    ]


def load_buffer_cancellations(conn: Connection) -> list[BufferCancellationFacts]:
    t = tables.buffer_cancellations
    return [
        BufferCancellationFacts(
            cancellation_id=r.cancellation_id,
            batch_id=r.batch_id,
            quantity_t=int(r.quantity_t),
            reversal_id=r.reversal_id,
            cancelled_at=aware(r.cancelled_at),
            reason=r.reason,
        )
        for r in conn.execute(select(t).order_by(t.c.cancellation_id, t.c.batch_id))
    ]


def out_of_circulation_by_batch(conn: Connection) -> dict[str, int]:
    """Retired + cancelled + NDC-used tonnes per batch (the contract's `retiredQuantity`). Units
    cancelled from the buffer pool after a reversal are CANCELLED in the registry too, so they count."""
    totals: dict[str, int] = {}
    for table in (tables.retirements, tables.cancellations, tables.ndc_uses, tables.buffer_cancellations):
        for r in conn.execute(select(table.c.batch_id, table.c.quantity_t)):
            totals[r.batch_id] = totals.get(r.batch_id, 0) + int(r.quantity_t)
    return totals


def snapshot(conn: Connection, tables_to_dump: Iterable[Any] | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model row, sorted, without bookkeeping timestamps (to compare two builds)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in tables_to_dump or tables.READ_MODEL_TABLES:
        cols = [table.c.source, table.c.applied_events] if table is tables.source_progress else list(table.c)
        rows = [tuple(_normalize(v) for v in row) for row in conn.execute(select(*cols))]
        out[table.name] = sorted(rows, key=repr)
    return out


def _normalize(value: Any) -> Any:
    return aware(value) if isinstance(value, datetime) else value


def source_progress(conn: Connection) -> dict[str, SourceProgress]:
    t = tables.source_progress
    return {
        r.source: SourceProgress(
            source=r.source,
            applied_events=int(r.applied_events),
            replayed_position=int(r.replayed_position),
            last_occurred_at=None if r.last_occurred_at is None else aware(r.last_occurred_at),
        )
        for r in conn.execute(select(t))
    }


class SqlFacts:
    """The `Facts` port on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def batches(self, batch_ids: Sequence[str] | None = None) -> dict[str, BatchRecord]:
        return load_batches(self.conn, batch_ids)

    def retirements(self, organization_id: str | None = None) -> list[RetirementFacts]:
        return load_retirements(self.conn, organization_id)

    def cancellations(self) -> list[CancellationFacts]:
        return load_cancellations(self.conn)

    def ndc_uses(self) -> list[NdcUseFacts]:
        return load_ndc_uses(self.conn)

    def transfers(self, from_organization_id: str | None = None) -> list[TransferFacts]:
        return load_transfers(self.conn, from_organization_id)

    def trades(self) -> list[TradeFacts]:
        return load_trades(self.conn)

    def organizations(self) -> dict[str, OrganizationFacts]:
        return load_organizations(self.conn)

    def reversals(self) -> list[ReversalFacts]:
        return load_reversals(self.conn)

    def buffer_cancellations(self) -> list[BufferCancellationFacts]:
        return load_buffer_cancellations(self.conn)

    def out_of_circulation_by_batch(self) -> dict[str, int]:
        return out_of_circulation_by_batch(self.conn)

    def source_progress(self) -> dict[str, SourceProgress]:
        return source_progress(self.conn)


class SqlReadModel:
    """The `ReadModel` port: read-only views for queries, each on its own connection (never a commit)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def read(self) -> Iterator[SqlFacts]:
        with self.engine.connect() as conn:
            yield SqlFacts(conn)
