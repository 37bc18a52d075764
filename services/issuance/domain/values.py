"""Value objects a project is described by. Each validates itself on construction, so an aggregate
never holds an invalid one and a refused value never reaches the aggregate."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from carbon_runtime.errors import invalid
from carbon_runtime.vocabulary import Authorization


def require_aware(at: datetime) -> datetime:
    """Timestamps are recorded as instants; a naive datetime would be read in whatever zone the
    reader assumes, so it is refused."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise invalid("NAIVE_TIMESTAMP", "timestamps must carry a UTC offset")
    return at


def require_text(value: str, field: str) -> str:
    if not value.strip():
        raise invalid("REQUIRED_FIELD", f"{field} must not be empty", field=field)
    return value


def require_tonnes(value: int, field: str, *, positive: bool = False) -> int:
    """Tonnes are whole, non-negative ints; bool is an int subclass and is refused explicitly."""
    if isinstance(value, bool) or not isinstance(value, int) or value < (1 if positive else 0):
        bound = "a positive" if positive else "a non-negative"
        raise invalid("INVALID_QUANTITY", f"{field} must be {bound} whole number of tonnes", field=field)
    return value


class ReversalRisk(enum.StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    VERY_HIGH = "VERY_HIGH"


#: Share of every issuance from a removal project set aside in the program's buffer pool, by the
#: project's assessed reversal risk. The platform's own table, in the range that programs' risk tools
#: produce (Verra's AFOLU non-permanence tool: 10-60 %, never below 10 %). Higher risk means a larger
#: pool so that reversals are covered by buffer cancellation rather than by holding issuance.
BUFFER_PERCENT_BY_RISK: Mapping[ReversalRisk, int] = {
    ReversalRisk.LOW: 10,
    ReversalRisk.MEDIUM: 15,
    ReversalRisk.HIGH: 25,
    ReversalRisk.VERY_HIGH: 40,
}

#: Reference permanence horizon (DOMAIN.md section 2, "Permanent").
REFERENCE_PERMANENCE_YEARS = 100


@dataclass(frozen=True, slots=True)
class Permanence:
    """Safeguards for a removal project: its reversal risk and the years it commits to monitor."""

    reversal_risk: ReversalRisk
    commitment_years: int = REFERENCE_PERMANENCE_YEARS

    def __post_init__(self) -> None:
        if isinstance(self.commitment_years, bool) or self.commitment_years <= 0:
            raise invalid("INVALID_PERMANENCE", "commitment_years must be a positive number of years")

    @property
    def buffer_percent(self) -> int:
        return BUFFER_PERCENT_BY_RISK[self.reversal_risk]


class AdditionalityTest(enum.StrEnum):
    INVESTMENT_ANALYSIS = "INVESTMENT_ANALYSIS"
    BARRIER_ANALYSIS = "BARRIER_ANALYSIS"
    COMMON_PRACTICE_ANALYSIS = "COMMON_PRACTICE_ANALYSIS"
    REGULATORY_SURPLUS = "REGULATORY_SURPLUS"
    PERFORMANCE_STANDARD = "PERFORMANCE_STANDARD"
    POSITIVE_LIST = "POSITIVE_LIST"


@dataclass(frozen=True, slots=True)
class Additionality:
    test: AdditionalityTest
    #: What a verifier reads to confirm the test (e.g. the IRR analysis document's name).
    evidence: str

    def __post_init__(self) -> None:
        if not self.evidence.strip():
            raise invalid("ADDITIONALITY_EVIDENCE_REQUIRED", "an additionality test needs its evidence")


@dataclass(frozen=True, slots=True)
class JapanTies:
    """Ties to Japan's economy and environment that make a voluntary credit category (3)
    (DOMAIN.md section 6)."""

    japanese_technology: bool = False
    #: Share of the project's investment from Japanese investors, 0..1 inclusive.
    japanese_investment_share: Decimal = Decimal(0)
    long_term_offtake_by_japanese_company: bool = False
    forward_investment: bool = False
    japan_energy: bool = False

    def __post_init__(self) -> None:
        share = self.japanese_investment_share
        if not isinstance(share, Decimal) or not share.is_finite() or not Decimal(0) <= share <= Decimal(1):
            raise invalid("INVALID_INVESTMENT_SHARE", "japanese_investment_share must be a Decimal between 0 and 1")

    def any(self) -> bool:
        # Any Japanese investment counts: the report names "Japanese investment" without a threshold.
        return (
            self.japanese_technology
            or self.japanese_investment_share > 0
            or self.long_term_offtake_by_japanese_company
            or self.forward_investment
            or self.japan_energy
        )


class AuthorizationPurpose(enum.StrEnum):
    NDC = "NDC"
    #: Other international mitigation purposes, e.g. CORSIA.
    OIMP = "OIMP"


@dataclass(frozen=True, slots=True)
class Article6Authorization:
    """The host country's letter authorizing the mitigation outcomes under Article 6.2. An authorized
    outcome is correspondingly adjusted by the host, so credits issued under it carry CA = true."""

    letter_id: str
    purposes: frozenset[AuthorizationPurpose]
    authorized_on: date

    def __post_init__(self) -> None:
        require_text(self.letter_id, "authorization.letter_id")
        if not self.purposes:
            raise invalid("INVALID_AUTHORIZATION", "an authorization names at least one purpose (NDC, OIMP)")


def authorization_of(authorization: Article6Authorization | None) -> Authorization:
    """The shared vocabulary's Authorization a batch carries for the project's letter (NONE without one)."""
    if authorization is None:
        return Authorization.NONE
    purposes = authorization.purposes
    if purposes == {AuthorizationPurpose.NDC, AuthorizationPurpose.OIMP}:
        return Authorization.NDC_AND_OTHER_INTERNATIONAL_MITIGATION
    if AuthorizationPurpose.NDC in purposes:
        return Authorization.NDC
    return Authorization.OTHER_INTERNATIONAL_MITIGATION


@dataclass(frozen=True, slots=True)
class Site:
    """One activity of a program-type project (e.g. one SME's boiler in a J-Credit program)."""

    site_id: str
    name: str
    location: str

    def __post_init__(self) -> None:
        require_text(self.site_id, "site.site_id")
        require_text(self.name, "site.name")
        require_text(self.location, "site.location")


_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class ProjectDocument:
    """A document (PDD, validation report, evidence) pinned by its SHA-256 so a later swap is visible."""

    name: str
    sha256: str
    uri: str

    def __post_init__(self) -> None:
        require_text(self.name, "document.name")
        require_text(self.uri, "document.uri")
        if not _SHA256_HEX.fullmatch(self.sha256):
            raise invalid("INVALID_SHA256", "document.sha256 must be 64 lower-case hex digits")
