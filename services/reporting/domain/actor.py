"""Who is asking for a report: a pure value the entrypoints build from the verified token, and the
rules for who may read what (shared/contract/README.md).

Eligibility, statistics, price indexes and buffer pools are public registry data; a disclosure or SHK
report only for members of the organization, AUDITOR or REGISTRY_ADMIN; Article 6 and reconciliation
reports only for AUDITOR or REGISTRY_ADMIN (or another service, for reconciliation)."""

from __future__ import annotations

from dataclasses import dataclass, field

from carbon_runtime.errors import DomainError, ErrorCode

STAFF_READERS = ("AUDITOR", "REGISTRY_ADMIN")


@dataclass(frozen=True, slots=True)
class Actor:
    #: None for an anonymous caller (no bearer token).
    user_id: str | None
    #: None for platform staff who belong to no organization.
    organization_id: str | None
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def member_of(self, organization_id: str | None) -> bool:
        return organization_id is not None and self.organization_id == organization_id


ANONYMOUS = Actor(user_id=None, organization_id=None)


def require_authenticated(actor: Actor) -> None:
    if not actor.authenticated:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "UNAUTHENTICATED", "this operation needs a bearer token")


def require_role(actor: Actor, *roles: str) -> None:
    require_authenticated(actor)
    if not actor.has_role(*roles):
        raise DomainError(
            ErrorCode.FORBIDDEN, "NOT_AUTHORIZED", f"this operation needs one of the roles {', '.join(roles)}"
        )


def authorize_organization_report(actor: Actor, organization_id: str) -> None:
    """Members of the organization, AUDITOR and REGISTRY_ADMIN; anonymous callers are UNAUTHENTICATED."""
    require_authenticated(actor)
    if actor.member_of(organization_id) or actor.has_role(*STAFF_READERS):
        return
    raise DomainError(
        ErrorCode.FORBIDDEN,
        "NOT_MEMBER_OF_ORGANIZATION",
        "only members of the organization, auditors and registry administrators may read its reports",
    )


def authorize_staff_report(actor: Actor) -> None:
    """Article 6 reports: AUDITOR or REGISTRY_ADMIN."""
    require_role(actor, *STAFF_READERS)


def authorize_reconciliation(actor: Actor) -> None:
    """AUDITOR, REGISTRY_ADMIN, or another service running a scheduled check (a SERVICE token)."""
    if not actor.has_role("SERVICE"):
        require_role(actor, *STAFF_READERS)
