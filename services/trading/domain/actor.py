"""Who is acting: a pure value the entrypoints build from the verified token (sub, org, roles).

The trader's own bearer token travels with the actor because the exchange calls the registry on the
trader's behalf (GetAccount, Lock, Transfer): the registry then checks the trader's rights itself.
The token never enters a request fingerprint (the bus leaves `actor` out)."""

from __future__ import annotations

from dataclasses import dataclass, field

from carbon_runtime.errors import DomainError, ErrorCode, forbidden


@dataclass(frozen=True, slots=True)
class Actor:
    #: None for an anonymous caller (no bearer token).
    user_id: str | None
    #: None for platform staff who belong to no organization.
    organization_id: str | None
    roles: frozenset[str] = field(default_factory=frozenset)
    token: str | None = field(default=None, repr=False)

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def name(self) -> str:
        """The user id recorded as the author of a change."""
        return self.user_id or "anonymous"

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def member_of(self, organization_id: str | None) -> bool:
        return organization_id is not None and self.organization_id == organization_id

    @property
    def idempotency_scope(self) -> str:
        """Keys are scoped to the caller's organization (or to the user, for platform staff)."""
        return self.organization_id or f"user:{self.user_id}"


def require_authenticated(actor: Actor) -> None:
    if not actor.authenticated:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "UNAUTHENTICATED", "this operation needs a bearer token")


def require_role(actor: Actor, *roles: str) -> None:
    require_authenticated(actor)
    if not actor.has_role(*roles):
        raise DomainError(
            ErrorCode.FORBIDDEN, "NOT_AUTHORIZED", f"this operation needs one of the roles {', '.join(roles)}"
        )


def trader_organization(actor: Actor) -> str:
    """The organization a TRADER acts for; a trader without one cannot trade."""
    require_role(actor, "TRADER")
    if actor.organization_id is None:
        raise forbidden("NO_ORGANIZATION", "a trader must belong to an organization")
    return actor.organization_id
