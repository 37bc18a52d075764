"""Who is acting: a pure value the entrypoints build from the verified token (sub, org, roles)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from carbon_runtime.errors import forbidden


class Role(enum.StrEnum):
    """The contract's `Role` enum."""

    REGISTRY_ADMIN = "REGISTRY_ADMIN"
    PROGRAM_ADMIN = "PROGRAM_ADMIN"
    EXCHANGE_ADMIN = "EXCHANGE_ADMIN"
    VERIFIER = "VERIFIER"
    PROPONENT = "PROPONENT"
    ACCOUNT_HOLDER = "ACCOUNT_HOLDER"
    TRADER = "TRADER"
    AUDITOR = "AUDITOR"


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: str
    #: None for platform staff who belong to no organisation.
    organization_id: str | None
    roles: frozenset[str] = field(default_factory=frozenset)

    def has_role(self, role: Role) -> bool:
        return role.value in self.roles

    def acts_for(self, role: Role, organization_id: str) -> bool:
        return self.has_role(role) and self.organization_id == organization_id


def require_role(actor: Actor, role: Role, action: str) -> None:
    if not actor.has_role(role):
        raise forbidden("ROLE_REQUIRED", f"{action} requires the {role.value} role", role=role.value)


def require_role_for(actor: Actor, role: Role, organization_id: str, action: str) -> None:
    """The actor must hold `role` as a member of `organization_id` (e.g. PROPONENT of the proponent)."""
    require_role(actor, role, action)
    if actor.organization_id != organization_id:
        raise forbidden(
            "WRONG_ORGANIZATION",
            f"{action} requires the {role.value} role in organization {organization_id}",
            role=role.value,
        )
