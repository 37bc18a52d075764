"""What the reporting read models hold, as plain immutable facts.

The reporting service builds these from other services' events; the domain computes reports from them
and never looks anything up itself, so every report is a pure function of its inputs and can be replayed.
Enum values equal the contract's GraphQL enum names (shared/contract/credit-graph.graphql), so
entrypoints map them by name. The enums shared across services (credit type, basis, category, purposes,
unit status) come from carbon_runtime.vocabulary, defined once for every service.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from carbon_runtime.errors import invalid
from carbon_runtime.vocabulary import (
    Authorization,
    CancellationPurpose,
    CreditBasis,
    CreditCategory,
    CreditType,
    RetirementPurpose,
)

# Japan Standard Time has no daylight saving, so a fixed offset is exact; SHK fiscal years and the
# exchange's trading days are Japanese calendar days.
JST = timezone(timedelta(hours=9), "JST")


class ProgramId(enum.StrEnum):
    """Certifying programs (DOMAIN.md §3). CCER is listed because CORSIA and China's ETS name it."""

    JCREDIT = "JCREDIT"
    JBLUE = "JBLUE"
    JCM = "JCM"
    CDM = "CDM"
    VCS = "VCS"
    GS = "GS"
    ACR = "ACR"
    CAR = "CAR"
    GCC = "GCC"
    ART = "ART"
    ERF = "ERF"
    WCC = "WCC"
    CCER = "CCER"


class InstitutionalUse(enum.StrEnum):
    SHK_MANDATORY = "SHK_MANDATORY"
    SHK_VOLUNTARY = "SHK_VOLUNTARY"
    GX_LEAGUE = "GX_LEAGUE"
    PUBLIC_PROCUREMENT = "PUBLIC_PROCUREMENT"
    KEIDANREN_DOMESTIC = "KEIDANREN_DOMESTIC"
    CORSIA = "CORSIA"
    SBTI_NEUTRALIZATION = "SBTI_NEUTRALIZATION"


@dataclass(frozen=True, slots=True)
class BatchFacts:
    """One issued credit batch with the attributes that travel with its credits (DOMAIN.md §7, §9)."""

    batch_id: str
    project_id: str
    project_name: str
    program_id: ProgramId
    host_country: str  # ISO 3166-1 alpha-2
    methodology_code: str
    credit_type: CreditType
    basis: CreditBasis
    category: CreditCategory
    vintage_start: date
    vintage_end: date
    # Start of the project's first crediting period (the origin registry's for an imported project),
    # never the day it was registered on this platform; CORSIA's cut-off (Table 9) reads it.
    # None when the program did not report it: rules that need it then refuse rather than guess.
    first_crediting_period_start: date | None
    corresponding_adjustment: bool
    co_benefits: tuple[int, ...] = ()  # UN SDG numbers 1-17
    proponent_organization_id: str = ""
    issued_quantity_t: int = 0
    buffer_quantity_t: int = 0
    serial_start: str = ""
    serial_end: str = ""
    issued_on: date | None = None
    # IPCC sector, as Article 6 reports need it (e.g. "Energy", "AFOLU").
    sector: str = ""
    # The host country's Article 6 authorization; CORSIA needs one for other international mitigation.
    authorization: Authorization = Authorization.NONE

    def __post_init__(self) -> None:
        if self.vintage_end < self.vintage_start:
            raise invalid(
                "VINTAGE_END_BEFORE_START",
                f"batch {self.batch_id}: vintage ends {self.vintage_end} before it starts {self.vintage_start}",
            )
        if self.issued_quantity_t < 0 or self.buffer_quantity_t < 0:
            raise invalid("NEGATIVE_QUANTITY", f"batch {self.batch_id}: quantities must not be negative")


@dataclass(frozen=True, slots=True)
class RetirementFacts:
    """One retirement (無効化): permanent, claimed for `retirement_year` (a fiscal year for SHK)."""

    retirement_id: str
    organization_id: str
    account_id: str
    batch_id: str
    quantity_t: int
    serial_ranges: tuple[str, ...]
    purpose: RetirementPurpose
    beneficiary: str
    retirement_year: int
    retired_at: datetime
    offset_emissions_tco2e: Decimal | None = None
    # Why these credits were chosen / which internal rule was followed (METI report §6.1.2).
    selection_rationale: str = ""
    # The registry's record that Japan counts this retirement toward its NDC (JCM credits for reductions
    # from 2021-01-01, DOMAIN.md §4); the registry decides it, reporting never re-derives it.
    counts_toward_japan_ndc: bool = False


@dataclass(frozen=True, slots=True)
class CancellationFacts:
    """One cancellation (取消): out of circulation without counting toward the holder's target."""

    cancellation_id: str
    organization_id: str
    batch_id: str
    quantity_t: int
    serial_ranges: tuple[str, ...]
    purpose: CancellationPurpose
    beneficiary: str
    cancelled_at: datetime


@dataclass(frozen=True, slots=True)
class NdcUseFacts:
    """Units moved to a national NDC_USE account (償却): a Party uses them toward its NDC."""

    ndc_use_id: str
    using_party: str
    batch_id: str
    quantity_t: int
    serial_ranges: tuple[str, ...]
    used_at: datetime


@dataclass(frozen=True, slots=True)
class TransferFacts:
    """Credits moved between accounts. Same-organization moves are facts too; reports filter them."""

    transfer_id: str
    from_organization_id: str
    to_organization_id: str
    batch_id: str
    quantity_t: int
    transferred_at: datetime
    from_account_id: str = ""
    to_account_id: str = ""
    serial_ranges: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TradeFacts:
    """One execution on the exchange. `batch_id` is None until settlement delivers a batch."""

    trade_id: str
    instrument_id: str
    price: Decimal  # per tonne, in `currency`
    currency: str
    quantity_t: int
    executed_at: datetime
    batch_id: str | None = None
    settled: bool = False


@dataclass(frozen=True, slots=True)
class OrganizationFacts:
    organization_id: str
    name: str
    country: str  # ISO 3166-1 alpha-2


def require_aware(moment: datetime, what: str) -> datetime:
    """Naive datetimes are refused: a fiscal year or trading day boundary is meaningless without an offset."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise invalid("NAIVE_DATETIME", f"{what} must carry a UTC offset, got {moment.isoformat()}")
    return moment


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """A batch as the read model holds it: the domain facts plus what only reporting screens need."""

    facts: BatchFacts
    program_name: str
    #: The host country's Article 6 authorization, a carbon_runtime.vocabulary.Authorization value.
    authorization: str
    known_to_issuance: bool
    known_to_registry: bool
