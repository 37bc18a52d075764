"""The reporting service's unit of work in memory, for unit tests of its handlers (no database).

It keeps the read models as the SQL adapter does: facts written once per natural key (the first write
wins), the two rows two events fill in (projects, trades) merged column by column, the consumer's claims,
and progress per producer. `facts` joins them into the domain's facts the way adapters/read_model.py does,
closely enough for the handlers' rules (batches, retirements, transfers, organizations, totals)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from carbon_runtime.messaging.bus import MessageBus
from carbon_runtime.vocabulary import Authorization
from services.reporting.domain import events
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
from services.reporting.service.handlers import HANDLERS
from services.reporting.service.messages import to_messages
from services.reporting.service.ports import (
    BufferCancellationRecord,
    IssuedTotals,
    RegistryTotals,
    SourceProgress,
    TransferRecord,
)
from tests.support.fake_uow import FakeUnitOfWork


@dataclass
class InMemoryProjection:
    """The `Projection` port over dictionaries keyed like the SQL tables' primary keys."""

    claims: set[str] = field(default_factory=set)
    progress: dict[str, SourceProgress] = field(default_factory=dict)
    organizations: dict[str, events.OrganizationCreated] = field(default_factory=dict)
    accounts: dict[str, events.AccountOpened] = field(default_factory=dict)
    batches_minted: dict[str, events.BatchMinted] = field(default_factory=dict)
    batches_issued: dict[str, events.CreditsIssued] = field(default_factory=dict)
    transfers: dict[str, TransferRecord] = field(default_factory=dict)
    retirements: dict[str, events.CreditsRetired] = field(default_factory=dict)
    cancellations: dict[str, events.CreditsCancelled] = field(default_factory=dict)
    ndc_uses: dict[str, events.CreditsUsedForNdc] = field(default_factory=dict)
    buffer_cancellations: dict[tuple[str, str], BufferCancellationRecord] = field(default_factory=dict)
    reversals: dict[str, events.ReversalReported] = field(default_factory=dict)
    instruments: dict[str, events.InstrumentCreated] = field(default_factory=dict)
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    trades: dict[str, dict[str, Any]] = field(default_factory=dict)
    trade_deliveries: dict[tuple[str, str], int] = field(default_factory=dict)

    def claim(self, event_id: str) -> bool:
        if event_id in self.claims:
            return False
        self.claims.add(event_id)
        return True

    def record_progress(self, source: str, event_id: str, occurred_at: datetime, position: int | None) -> None:
        now = self.progress.get(source, SourceProgress(source, 0, 0, None))
        last = now.last_occurred_at
        self.progress[source] = replace(
            now,
            applied_events=now.applied_events + 1,
            last_occurred_at=occurred_at if last is None or last < occurred_at else last,
        )
        if position is not None:
            self.advance_replayed_position(source, position)

    def advance_replayed_position(self, source: str, position: int) -> None:
        now = self.progress.get(source)
        if now is not None and now.replayed_position < position:
            self.progress[source] = replace(now, replayed_position=position)

    def clear(self) -> None:
        fresh = InMemoryProjection()
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))

    def add_organization(self, ev: events.OrganizationCreated) -> None:
        self.organizations.setdefault(ev.organization_id, ev)

    def add_account(self, ev: events.AccountOpened) -> None:
        self.accounts.setdefault(ev.account_id, ev)

    def add_minted_batch(self, ev: events.BatchMinted) -> None:
        self.batches_minted.setdefault(ev.batch_id, ev)

    def add_issued_batch(self, ev: events.CreditsIssued) -> None:
        self.batches_issued.setdefault(ev.batch_id, ev)

    def add_transfer(self, record: TransferRecord) -> None:
        self.transfers.setdefault(record.transfer_id, record)

    def add_retirement(self, ev: events.CreditsRetired) -> None:
        self.retirements.setdefault(ev.retirement_id, ev)

    def add_cancellation(self, ev: events.CreditsCancelled) -> None:
        self.cancellations.setdefault(ev.cancellation_id, ev)

    def add_ndc_use(self, ev: events.CreditsUsedForNdc) -> None:
        self.ndc_uses.setdefault(ev.ndc_use_id, ev)

    def add_buffer_cancellation(self, record: BufferCancellationRecord) -> None:
        self.buffer_cancellations.setdefault((record.cancellation_id, record.batch_id), record)

    def add_reversal(self, ev: events.ReversalReported) -> None:
        self.reversals.setdefault(ev.reversal_id, ev)

    def add_instrument(self, ev: events.InstrumentCreated) -> None:
        self.instruments.setdefault(ev.instrument_id, ev)

    def record_project_created(self, ev: events.ProjectCreated) -> None:
        self.projects.setdefault(ev.project_id, {}).update(
            name=ev.name,
            country=ev.country,
            proponent_organization_id=ev.proponent_organization_id,
            crediting_period_start=ev.crediting_period_start,
        )

    def record_project_registered(self, ev: events.ProjectRegistered) -> None:
        self.projects.setdefault(ev.project_id, {}).update(registered_on=ev.registered_on)

    def record_trade_executed(self, ev: events.TradeExecuted) -> None:
        self.trades.setdefault(ev.trade_id, {}).update(
            instrument_id=ev.instrument_id,
            price=ev.price,
            quantity_t=ev.quantity_t,
            executed_at=ev.executed_at,
        )

    def record_trade_settled(self, ev: events.TradeSettled) -> None:
        self.trades.setdefault(ev.trade_id, {}).update(settled=True, currency=ev.currency)
        for delivery in ev.deliveries:
            self.trade_deliveries.setdefault((ev.trade_id, delivery.batch_id), delivery.quantity_t)


class InMemoryFacts:
    """The `Facts` port over an InMemoryProjection."""

    def __init__(self, store: InMemoryProjection) -> None:
        self.store = store

    def batches(self, batch_ids: Sequence[str] | None = None) -> dict[str, BatchRecord]:
        s = self.store
        known = sorted(set(s.batches_issued) | set(s.batches_minted))
        out: dict[str, BatchRecord] = {}
        for batch_id in known if batch_ids is None else [b for b in known if b in batch_ids]:
            issued, minted = s.batches_issued.get(batch_id), s.batches_minted.get(batch_id)
            base = issued or minted
            assert base is not None
            attrs = base.attributes
            try:
                program = ProgramId(attrs.program_id)
            except ValueError:
                continue
            project = s.projects.get(attrs.project_id, {})
            serials = minted or base
            out[batch_id] = BatchRecord(
                facts=BatchFacts(
                    batch_id=batch_id,
                    project_id=attrs.project_id,
                    project_name=issued.project_name if issued else str(project.get("name", "")),
                    program_id=program,
                    host_country=attrs.country,
                    methodology_code=issued.methodology_title if issued else attrs.methodology_id,
                    credit_type=attrs.credit_type,
                    basis=attrs.basis,
                    category=attrs.category,
                    vintage_start=attrs.vintage_start,
                    vintage_end=attrs.vintage_end,
                    # Table 9's cut-off reads the crediting period, never the platform registration (issue 13).
                    first_crediting_period_start=project.get("crediting_period_start"),
                    corresponding_adjustment=attrs.corresponding_adjustment,
                    co_benefits=tuple(sorted(attrs.co_benefits)),
                    proponent_organization_id=attrs.issuer_organization_id,
                    issued_quantity_t=base.issued_quantity_t,
                    buffer_quantity_t=base.buffer_quantity_t,
                    serial_start=serials.serial_start,
                    serial_end=serials.serial_end,
                    issued_on=(issued.issued_at if issued is not None else base.minted_at).date(),  # type: ignore[union-attr]
                    authorization=Authorization(attrs.authorization.value),
                ),
                program_name=issued.program_name if issued else program.value,
                authorization=attrs.authorization.value,
                known_to_issuance=issued is not None,
                known_to_registry=minted is not None,
            )
        return out

    def retirements(self, organization_id: str | None = None) -> list[RetirementFacts]:
        return [
            RetirementFacts(
                retirement_id=r.retirement_id,
                organization_id=r.organization_id,
                account_id=r.account_id,
                batch_id=r.batch_id,
                quantity_t=r.quantity_t,
                serial_ranges=r.serial_ranges,
                purpose=r.purpose,
                beneficiary=r.beneficiary,
                retirement_year=r.retirement_year,
                retired_at=r.retired_at,
                offset_emissions_tco2e=r.offset_emissions_tco2e,
                selection_rationale=r.activity_description,
                counts_toward_japan_ndc=r.counts_toward_japan_ndc,
            )
            for _, r in sorted(self.store.retirements.items())
            if organization_id is None or r.organization_id == organization_id
        ]

    def cancellations(self) -> list[CancellationFacts]:
        return [
            CancellationFacts(
                c.cancellation_id, c.organization_id, c.batch_id, c.quantity_t, c.serial_ranges, c.purpose,
                c.beneficiary, c.cancelled_at,
            )
            for _, c in sorted(self.store.cancellations.items())
        ]  # fmt: skip

    def ndc_uses(self) -> list[NdcUseFacts]:
        return [
            NdcUseFacts(u.ndc_use_id, u.ndc_country, u.batch_id, u.quantity_t, u.serial_ranges, u.used_at)
            for _, u in sorted(self.store.ndc_uses.items())
        ]

    def transfers(self, from_organization_id: str | None = None) -> list[TransferFacts]:
        return [
            TransferFacts(
                transfer_id=t.transfer_id,
                from_organization_id=t.from_organization_id,
                to_organization_id=t.to_organization_id,
                batch_id=t.batch_id,
                quantity_t=t.quantity_t,
                transferred_at=t.transferred_at,
                from_account_id=t.from_account_id,
                to_account_id=t.to_account_id,
                serial_ranges=t.serial_ranges,
            )
            for _, t in sorted(self.store.transfers.items())
            if from_organization_id is None or t.from_organization_id == from_organization_id
        ]

    def trades(self) -> list[TradeFacts]:
        out: list[TradeFacts] = []
        for trade_id, row in sorted(self.store.trades.items()):
            if row.get("executed_at") is None or row.get("price") is None:
                continue
            instrument = self.store.instruments.get(str(row.get("instrument_id", "")))
            currency = row.get("currency") or (instrument.currency if instrument else "")
            if not currency:
                continue
            delivered = sorted((b, q) for (t, b), q in self.store.trade_deliveries.items() if t == trade_id)
            common: dict[str, Any] = {
                "trade_id": trade_id,
                "instrument_id": row["instrument_id"],
                "price": row["price"],
                "currency": currency,
                "executed_at": row["executed_at"],
            }
            if row.get("settled") and delivered:
                out.extend(TradeFacts(**common, quantity_t=q, batch_id=b, settled=True) for b, q in delivered)
            else:
                out.append(TradeFacts(**common, quantity_t=int(row.get("quantity_t") or 0), settled=False))
        return out

    def organizations(self) -> dict[str, OrganizationFacts]:
        return {
            o.organization_id: OrganizationFacts(o.organization_id, o.name, o.country)
            for _, o in sorted(self.store.organizations.items())
        }

    def reversals(self) -> list[ReversalFacts]:
        return [
            ReversalFacts(r.reversal_id, r.project_id, r.batch_id, r.reversed_quantity_t, r.occurred_on, r.description)
            for _, r in sorted(self.store.reversals.items())
        ]

    def buffer_cancellations(self) -> list[BufferCancellationFacts]:
        return [
            BufferCancellationFacts(
                cancellation_id=c.cancellation_id,
                batch_id=c.batch_id,
                quantity_t=c.quantity_t,
                reversal_id=c.reversal_id,
                cancelled_at=c.cancelled_at,
                reason=c.reason,
            )
            for _, c in sorted(self.store.buffer_cancellations.items())
        ]

    def out_of_circulation_by_batch(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        s = self.store
        for batch_id, quantity_t in [
            *((r.batch_id, r.quantity_t) for r in s.retirements.values()),
            *((c.batch_id, c.quantity_t) for c in s.cancellations.values()),
            *((u.batch_id, u.quantity_t) for u in s.ndc_uses.values()),
            *((c.batch_id, c.quantity_t) for c in s.buffer_cancellations.values()),
        ]:
            totals[batch_id] = totals.get(batch_id, 0) + quantity_t
        return totals

    def source_progress(self) -> dict[str, SourceProgress]:
        return dict(self.store.progress)


class FakeReportingUnitOfWork(FakeUnitOfWork):
    state_attributes = ("projection",)

    def __init__(self) -> None:
        super().__init__()
        self.projection = InMemoryProjection()

    @property
    def facts(self) -> InMemoryFacts:
        # Built on each use: a rollback replaces `projection` with its snapshot.
        return InMemoryFacts(self.projection)


class FakeReadModel:
    """The `ReadModel` port over a fake unit of work's committed state (for the read-only queries)."""

    def __init__(self, uow: FakeReportingUnitOfWork) -> None:
        self.uow = uow

    @contextmanager
    def read(self) -> Iterator[InMemoryFacts]:
        yield self.uow.facts


def bus_over(
    uow: FakeReportingUnitOfWork, *, issuance: IssuedTotals | None = None, registry: RegistryTotals | None = None
) -> MessageBus[FakeReportingUnitOfWork]:
    """The bus as bootstrap builds it, over one in-memory unit of work (its state lasts across commands)."""
    ids = (f"id-{n}" for n in itertools.count(1))
    return MessageBus(
        lambda: uow,
        HANDLERS,
        to_messages,
        dependencies={"issuance": issuance, "registry": registry, "new_id": lambda: next(ids)},
    )
