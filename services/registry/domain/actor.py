"""Who is acting: a pure value the entrypoints build from the verified token (sub, org, roles), so
commands and handlers never see a transport's principal."""

from __future__ import annotations

from dataclasses import dataclass, field

from carbon_runtime.errors import DomainError, ErrorCode, forbidden

NOT_AUTHORIZED = "NOT_AUTHORIZED"


@dataclass(frozen=True, slots=True)
class Actor:
    #: None for an anonymous caller (no bearer token).
    user_id: str | None
    #: None for platform staff and services, who belong to no organization.
    organization_id: str | None
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def name(self) -> str:
        """The user id as journals and events record it."""
        return self.user_id or "anonymous"

    @property
    def org(self) -> str:
        """The organization id as events record it ("" for none)."""
        return self.organization_id or ""

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def member_of(self, organization_id: str | None) -> bool:
        return organization_id is not None and self.organization_id == organization_id

    def can_read_account(self, organization_id: str) -> bool:
        """Balances and holdings: members of the owner, AUDITOR, REGISTRY_ADMIN and platform services."""
        return self.member_of(organization_id) or self.has_role("AUDITOR", "REGISTRY_ADMIN", "SERVICE")


ANONYMOUS = Actor(None, None)


def idempotency_scope(actor: Actor) -> str:
    """Keys are scoped to the caller's organization, or to the user for platform staff and services."""
    if actor.organization_id:
        return f"org:{actor.organization_id}"
    return f"user:{actor.user_id}"


def require_authenticated(actor: Actor) -> None:
    if not actor.authenticated:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "UNAUTHENTICATED", "this operation needs a bearer token")


def require_role(actor: Actor, *roles: str) -> None:
    require_authenticated(actor)
    if not actor.has_role(*roles):
        raise forbidden(NOT_AUTHORIZED, f"this operation needs one of the roles {', '.join(roles)}")


def require_account_reader(actor: Actor, organization_id: str, account_id: str) -> None:
    require_authenticated(actor)
    if not actor.can_read_account(organization_id):
        raise forbidden(NOT_AUTHORIZED, f"you may not read account {account_id}", account_id=account_id)
