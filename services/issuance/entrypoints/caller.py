"""The caller as the issuance domain sees it: the verified principal of a gRPC or GraphQL request
becomes an Actor, named on every command."""

from __future__ import annotations

from carbon_runtime.errors import forbidden
from carbon_runtime.transport.auth import Principal, require_authenticated
from services.issuance.domain.actor import Actor


def actor_of(principal: Principal) -> Actor:
    """Service tokens never act on projects: a project step must be attributable to a person."""
    require_authenticated(principal)
    if "SERVICE" in principal.roles:
        raise forbidden("SERVICE_NOT_ALLOWED", "project steps must be taken by a person, not a service")
    return Actor(str(principal.user_id), principal.organization_id, principal.roles)
