"""The caller as the registry's domain sees it: the verified principal of a gRPC or GraphQL request
becomes an Actor (and the scope of its idempotency keys)."""

from __future__ import annotations

from carbon_runtime.transport.auth import Principal
from services.registry.domain.actor import Actor


def actor_of(principal: Principal) -> Actor:
    return Actor(principal.user_id, principal.organization_id, principal.roles)
