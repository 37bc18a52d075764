"""Builders for the reporting unit tests: domain events (as the consumer decodes them) wrapped in
ProjectEvent commands, and fake peers for reconciliation."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from carbon_runtime.vocabulary import (
    Authorization,
    CreditBasis,
    CreditCategory,
    CreditType,
    RetirementPurpose,
    UnitStatus,
)
from services.reporting.domain import events as ev
from services.reporting.domain.commands import ProjectEvent

T0 = datetime(2024, 6, 1, tzinfo=UTC)
BUYER = "org-buyer"
PROPONENT = "org-proponent"
BATCH = "batch-jcredit-1"

_ids = itertools.count(1)


def event(
    payload: ev.ConsumedEvent | None,
    *,
    source: str = "registry",
    event_id: str | None = None,
    position: int | None = None,
) -> ProjectEvent:
    n = next(_ids)
    return ProjectEvent(
        event_id=event_id or f"evt-{n}",
        source=source,
        occurred_at=T0 + timedelta(minutes=n),
        event=payload,
        position=position,
    )


def attributes(
    *, program_id: str = "JCREDIT", category: CreditCategory = CreditCategory.NDC_CONTRIBUTING
) -> ev.CreditAttributes:
    return ev.CreditAttributes(
        project_id="proj-solar",
        program_id=program_id,
        methodology_id=f"{program_id}-M1",
        country="JP",
        vintage_start=date(2022, 4, 1),
        vintage_end=date(2023, 3, 31),
        credit_type=CreditType.REDUCTION,
        basis=CreditBasis.TECHNOLOGY,
        category=category,
        corresponding_adjustment=False,
        authorization=Authorization.NONE,
        co_benefits=(13, 7),
        issuer_organization_id=PROPONENT,
    )


def credits_issued(batch_id: str = BATCH, quantity_t: int = 1000) -> ev.CreditsIssued:
    return ev.CreditsIssued(
        batch_id=batch_id,
        attributes=attributes(),
        project_name="Rooftop Solar Osaka",
        program_name="J-Credit",
        methodology_title="J-Credit methodology 1",
        issued_quantity_t=quantity_t,
        buffer_quantity_t=0,
        serial_start=f"{batch_id.upper()}-000001",
        serial_end=f"{batch_id.upper()}-{quantity_t:06d}",
        holder_account_id="acc-prop",
        issued_at=T0,
    )


def credits_retired(
    retirement_id: str = "ret-1",
    *,
    batch_id: str = BATCH,
    quantity_t: int = 100,
    retirement_year: int = 2024,
    organization_id: str = BUYER,
) -> ev.CreditsRetired:
    return ev.CreditsRetired(
        retirement_id=retirement_id,
        batch_id=batch_id,
        account_id="acc-buyer",
        organization_id=organization_id,
        quantity_t=quantity_t,
        serial_ranges=(f"{batch_id.upper()}-000001-{batch_id.upper()}-{quantity_t:06d}",),
        purpose=RetirementPurpose.SHK_ADJUSTMENT,
        beneficiary="Buyer KK",
        retirement_year=retirement_year,
        offset_emissions_tco2e=Decimal("99.5"),
        activity_description="",
        retired_at=datetime(2024, 7, 1, tzinfo=UTC),
        counts_toward_japan_ndc=False,
    )


def block(batch_id: str, start: int, end: int) -> ev.UnitBlock:
    return ev.UnitBlock(batch_id, f"{batch_id.upper()}-{start:06d}", f"{batch_id.upper()}-{end:06d}", end - start + 1)


def buffer_cancelled(
    cancellation_id: str, blocks: Sequence[ev.UnitBlock], *, quantity_t: int, batch_id: str = ""
) -> ev.BufferCancelled:
    return ev.BufferCancelled(
        cancellation_id=cancellation_id,
        batch_id=batch_id,
        buffer_account_id="acc-buffer",
        quantity_t=quantity_t,
        blocks=tuple(blocks),
        serial_ranges=(),
        reversal_id="rev-1",
        reason="Wildfire",
        cancelled_at=T0,
    )


@dataclass
class FakePeers:
    """Issuance's and the registry's totals, as reconciliation reads them."""

    issued: dict[str, int] = field(default_factory=dict)
    registry: dict[str, dict[UnitStatus, int]] = field(default_factory=dict)

    def issued_totals(self, batch_ids: Sequence[str]) -> dict[str, int]:
        return {b: q for b, q in self.issued.items() if not batch_ids or b in batch_ids}

    def batch_totals(self, batch_ids: Sequence[str]) -> dict[str, dict[UnitStatus, int]]:
        return {b: s for b, s in self.registry.items() if not batch_ids or b in batch_ids}
