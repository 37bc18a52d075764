"""The vocabulary every service shares, defined once.

These are the enums that cross service boundaries: in events, in gRPC messages and in the public
graph. Each mirrors a proto enum of `protos/` member for member (the proto member is the prefix plus
the name, e.g. CREDIT_CATEGORY_GLOBAL), and tests/unit/runtime/test_vocabulary.py fails the build
when the two drift. Domain code imports them from here; the GraphQL layer exposes the same classes.
Pure Python: no proto, no framework."""

from __future__ import annotations

import enum


class CreditType(enum.StrEnum):
    """Whether a credit avoids or reduces emissions, or removes CO2 from the atmosphere."""

    REDUCTION = "REDUCTION"
    REMOVAL = "REMOVAL"


class CreditBasis(enum.StrEnum):
    """Nature-based or technology-based (the report's Figure 1 axes)."""

    NATURE = "NATURE"
    TECHNOLOGY = "TECHNOLOGY"


class CreditCategory(enum.StrEnum):
    """The four categories of the report's section 6.1.1."""

    #: (1) Counted in Japan's inventory or carrying a corresponding adjustment (J-Credit, JCM).
    NDC_CONTRIBUTING = "NDC_CONTRIBUTING"
    #: (2) Domestic removal credits outside J-Credit, not yet in the inventory.
    DOMESTIC_REMOVAL = "DOMESTIC_REMOVAL"
    #: (3) Voluntary credits without adjustment but tied to Japan's economy and technology.
    JAPAN_ECONOMY = "JAPAN_ECONOMY"
    #: (4) Every other voluntary credit.
    GLOBAL = "GLOBAL"


class ProjectStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    UNDER_VALIDATION = "UNDER_VALIDATION"
    VALIDATED = "VALIDATED"
    REGISTERED = "REGISTERED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


class Authorization(enum.StrEnum):
    """The host country's Article 6 authorization of a batch's mitigation outcomes."""

    NONE = "NONE"
    NDC = "NDC"
    OTHER_INTERNATIONAL_MITIGATION = "OTHER_INTERNATIONAL_MITIGATION"
    NDC_AND_OTHER_INTERNATIONAL_MITIGATION = "NDC_AND_OTHER_INTERNATIONAL_MITIGATION"


class AccountKind(enum.StrEnum):
    HOLDING = "HOLDING"
    BUFFER = "BUFFER"
    RETIREMENT = "RETIREMENT"
    CANCELLATION = "CANCELLATION"
    NDC_USE = "NDC_USE"


class UnitStatus(enum.StrEnum):
    HELD = "HELD"
    LOCKED = "LOCKED"
    #: Permanent: a retired unit never moves again.
    RETIRED = "RETIRED"
    CANCELLED = "CANCELLED"
    NDC_USED = "NDC_USED"


class RetirementPurpose(enum.StrEnum):
    SHK_ADJUSTMENT = "SHK_ADJUSTMENT"
    VOLUNTARY_OFFSET = "VOLUNTARY_OFFSET"
    PRODUCT_OFFSET = "PRODUCT_OFFSET"
    ETS_COMPLIANCE = "ETS_COMPLIANCE"
    NET_ZERO_NEUTRALIZATION = "NET_ZERO_NEUTRALIZATION"
    OTHER = "OTHER"


class CancellationPurpose(enum.StrEnum):
    CORSIA = "CORSIA"
    OTHER_INTERNATIONAL_SCHEME = "OTHER_INTERNATIONAL_SCHEME"
    VOLUNTARY_OFFSET = "VOLUNTARY_OFFSET"
    OTHER = "OTHER"


class TransferStatus(enum.StrEnum):
    PENDING_APPROVAL = "PENDING_APPROVAL"
    HELD = "HELD"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


#: Each shared enum and the proto enum it mirrors (package, enum name); the drift test reads this.
PROTO_ENUMS: dict[type[enum.StrEnum], tuple[str, str]] = {
    CreditType: ("carbon.issuance.v1.types_pb2", "CreditType"),
    CreditBasis: ("carbon.issuance.v1.types_pb2", "CreditBasis"),
    CreditCategory: ("carbon.issuance.v1.types_pb2", "CreditCategory"),
    ProjectStatus: ("carbon.issuance.v1.types_pb2", "ProjectStatus"),
    Authorization: ("carbon.issuance.v1.types_pb2", "Authorization"),
    AccountKind: ("carbon.registry.v1.types_pb2", "AccountKind"),
    UnitStatus: ("carbon.registry.v1.types_pb2", "UnitStatus"),
    RetirementPurpose: ("carbon.registry.v1.types_pb2", "RetirementPurpose"),
    CancellationPurpose: ("carbon.registry.v1.types_pb2", "CancellationPurpose"),
    TransferStatus: ("carbon.registry.v1.types_pb2", "TransferStatus"),
}


def proto_prefix(enum_name: str) -> str:
    """CreditCategory -> CREDIT_CATEGORY_ (the proto style guide's value prefix)."""
    out = "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(enum_name)).upper()
    return out + "_"
