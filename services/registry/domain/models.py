"""Registry entities: organizations, accounts and credit batches.

Pure value objects. They validate themselves on construction so that every other rule in the
domain may assume a well-formed batch (a serial range that matches the issued quantity, a buffer
share no larger than the issuance, an ISO country code).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date

from carbon_runtime.errors import invalid

# The shared vocabulary, defined once in carbon_runtime.vocabulary (re-exported for the domain).
from carbon_runtime.vocabulary import AccountKind as AccountKind
from carbon_runtime.vocabulary import CreditBasis as CreditBasis
from carbon_runtime.vocabulary import CreditCategory as CreditCategory
from carbon_runtime.vocabulary import CreditType as CreditType

# ISO 3166-1 alpha-2, officially assigned codes. Kept here (stdlib has no country table) because a
# host country is printed in every serial; a typo would be carried into every certificate.
_ISO_3166_ALPHA2_TEXT = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
    BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
    EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
    HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
    LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
    NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
"""
ISO_3166_ALPHA2: frozenset[str] = frozenset(_ISO_3166_ALPHA2_TEXT.split())

# Identifiers printed inside serials (project and batch ids) may not contain the serial separator
# "-", and are upper-case so that a serial read aloud or retyped stays the same serial.
SERIAL_TOKEN_PATTERN = re.compile(r"[A-Z0-9]{1,32}", re.ASCII)
PROGRAM_CODE_PATTERN = re.compile(r"[A-Z][A-Z0-9]{1,9}", re.ASCII)
# Unit numbers are printed with 12 digits, so no batch may reach beyond this unit.
MAX_SERIAL_UNIT = 999_999_999_999


class KycStatus(enum.StrEnum):
    PENDING = "PENDING"
    VERIFIED = "VERIFIED"
    REJECTED = "REJECTED"


class AccountStatus(enum.StrEnum):
    OPEN = "OPEN"
    SUSPENDED = "SUSPENDED"
    CLOSED = "CLOSED"


class AuthorizationPurpose(enum.StrEnum):
    """Article 6 authorization by the host country: NDC use, or other international mitigation
    purposes (OIMP, e.g. CORSIA)."""

    NDC = "NDC"
    OIMP = "OIMP"


def validate_country(country: str) -> str:
    """Return the ISO 3166-1 alpha-2 code or raise INVALID_ARGUMENT / COUNTRY_INVALID."""
    if not isinstance(country, str) or country not in ISO_3166_ALPHA2:
        raise invalid(
            "COUNTRY_INVALID",
            f"country {country!r} is not an ISO 3166-1 alpha-2 code (two upper-case letters, e.g. 'JP')",
            country=str(country),
        )
    return country


def id_sort_key(identifier: str) -> tuple[int, str]:
    """Order ids shortest first, then by text: numeric order for plain or zero-padded numeric ids
    ("B9" before "B10"), plain text order for fixed-length ids such as hex UUIDs."""
    return (len(identifier), identifier)


def _require_non_empty(value: str, field: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise invalid("FIELD_REQUIRED", f"{field} must be a non-empty string", field=field)


def _is_int(value: object) -> bool:
    # bool is a subclass of int; True tonnes is a bug, not a quantity.
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Organization:
    id: str
    name: str
    country: str
    accredited_verifier: bool = False
    kyc_status: KycStatus = KycStatus.PENDING

    def __post_init__(self) -> None:
        _require_non_empty(self.id, "organization id")
        _require_non_empty(self.name, "organization name")
        validate_country(self.country)


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    organization_id: str
    kind: AccountKind = AccountKind.HOLDING
    status: AccountStatus = AccountStatus.OPEN
    # A buffer pool belongs to one program: reversals of that program's credits are cancelled from it.
    program_id: str | None = None

    def __post_init__(self) -> None:
        _require_non_empty(self.id, "account id")
        _require_non_empty(self.organization_id, "account organization id")
        if self.kind is AccountKind.BUFFER and not self.program_id:
            raise invalid("BUFFER_PROGRAM_REQUIRED", "a BUFFER account must name its program_id")
        if self.kind is not AccountKind.BUFFER and self.program_id is not None:
            raise invalid("PROGRAM_ONLY_FOR_BUFFER", "only BUFFER accounts carry a program_id")

    @property
    def is_open(self) -> bool:
        return self.status is AccountStatus.OPEN


@dataclass(frozen=True, slots=True)
class Batch:
    """One issuance of credits: units serial_start_unit..serial_end_unit, all from one project and
    monitoring period (vintage). The buffer share is part of issued_quantity."""

    id: str
    issuance_id: str
    program_id: str
    program_code: str
    host_country: str
    project_id: str
    vintage_start: date
    vintage_end: date
    issued_quantity: int
    buffer_quantity: int
    serial_start_unit: int
    serial_end_unit: int
    credit_type: CreditType
    basis: CreditBasis
    category: CreditCategory
    proponent_organization_id: str
    corresponding_adjustment: bool = False
    authorization_purpose: AuthorizationPurpose | None = None
    authorization_id: str | None = None

    def __post_init__(self) -> None:
        for field, value in (("batch id", self.id), ("project id", self.project_id)):
            if not isinstance(value, str) or not SERIAL_TOKEN_PATTERN.fullmatch(value):
                raise invalid(
                    "SERIAL_TOKEN_INVALID",
                    f"{field} {value!r} is printed in serials and must be 1-32 characters A-Z or 0-9",
                )
        if not isinstance(self.program_code, str) or not PROGRAM_CODE_PATTERN.fullmatch(self.program_code):
            raise invalid(
                "PROGRAM_CODE_INVALID",
                f"program code {self.program_code!r} must be 2-10 characters A-Z/0-9, starting with a letter",
            )
        _require_non_empty(self.issuance_id, "issuance id")
        _require_non_empty(self.program_id, "program id")
        _require_non_empty(self.proponent_organization_id, "proponent organization id")
        validate_country(self.host_country)
        if self.vintage_start > self.vintage_end:
            raise invalid("VINTAGE_INVALID", "vintage_start must not be after vintage_end")
        if not 1000 <= self.vintage_start.year <= 9999:
            raise invalid("VINTAGE_INVALID", "vintage year must have four digits")
        if not _is_int(self.issued_quantity) or self.issued_quantity <= 0:
            raise invalid("QUANTITY_NOT_POSITIVE_INTEGER", "issued_quantity must be a positive integer")
        if not _is_int(self.buffer_quantity) or not 0 <= self.buffer_quantity <= self.issued_quantity:
            raise invalid("BUFFER_QUANTITY_INVALID", "buffer_quantity must be an integer between 0 and issued_quantity")
        if (
            not _is_int(self.serial_start_unit)
            or not _is_int(self.serial_end_unit)
            or not 1 <= self.serial_start_unit <= self.serial_end_unit <= MAX_SERIAL_UNIT
        ):
            raise invalid(
                "SERIAL_RANGE_INVALID",
                f"serial units must satisfy 1 <= start <= end <= {MAX_SERIAL_UNIT}",
            )
        if self.serial_end_unit - self.serial_start_unit + 1 != self.issued_quantity:
            raise invalid(
                "SERIAL_RANGE_INVALID",
                "serial range must contain exactly issued_quantity units (one serial per tonne)",
            )
        if (self.authorization_purpose is None) != (self.authorization_id is None):
            raise invalid(
                "AUTHORIZATION_INCOMPLETE",
                "an Article 6 authorization needs both its purpose and its authorization id",
            )
        # A corresponding adjustment is the host country's act for an authorized outcome; claiming
        # one without an authorization would let a credit be counted twice.
        if self.corresponding_adjustment and self.authorization_purpose is None:
            raise invalid(
                "ADJUSTMENT_WITHOUT_AUTHORIZATION",
                "a corresponding adjustment requires an Article 6 authorization",
            )

    @property
    def is_authorized(self) -> bool:
        return self.authorization_purpose is not None

    @property
    def holder_quantity(self) -> int:
        """Units the proponent's holding account receives at minting."""
        return self.issued_quantity - self.buffer_quantity
