"""What every use case shares: its dependencies, the caller as a domain Actor, and the proto events."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from carbon.issuance.v1 import events_pb2, types_pb2

from carbon_runtime.errors import forbidden
from carbon_runtime.transport.auth import Principal, require_authenticated
from services.issuance.domain.actor import Actor
from services.issuance.domain.project import Project
from services.issuance.domain.values import Article6Authorization, AuthorizationPurpose
from services.issuance.service.ports import Clock, IdGenerator, RegistryPort, UnitOfWork, UnitOfWorkFactory

T = TypeVar("T")

PROJECT = "project"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Deps:
    uow: UnitOfWorkFactory
    registry: RegistryPort
    clock: Clock = field(default=_utc_now)
    new_id: IdGenerator = field(default=_new_id)


def actor_of(principal: Principal) -> Actor:
    """The verified caller as the domain sees it. Service tokens never act on projects: a project
    step must be attributable to a person."""
    require_authenticated(principal)
    if "SERVICE" in principal.roles:
        raise forbidden("SERVICE_NOT_ALLOWED", "project steps must be taken by a person, not a service")
    return Actor(str(principal.user_id), principal.organization_id, principal.roles)


def idempotency_scope(actor: Actor) -> str:
    # Keys are scoped to the calling organization, or to the user for platform staff.
    return f"org:{actor.organization_id}" if actor.organization_id else f"user:{actor.user_id}"


def run_idempotent(
    uow: UnitOfWork,
    actor: Actor,
    key: str | None,
    operation: str,
    args: dict[str, Any],
    effect: Callable[[], str],
) -> str:
    """Run `effect` (returning the id of what it made) once per idempotency key, in the caller's
    transaction: a replay returns the first id and changes nothing."""
    if key is None:
        return effect()
    scope = idempotency_scope(actor)
    stored = uow.idempotent_lookup(scope, key, operation, args)
    if stored is not None:
        return str(json.loads(stored)["id"])
    result = effect()
    uow.idempotent_store(scope, key, operation, args, json.dumps({"id": result}).encode())
    return result


def actor_fields(actor: Actor) -> dict[str, str]:
    return {"actor_user_id": actor.user_id, "actor_organization_id": actor.organization_id or ""}


def authorization_name(authorization: Article6Authorization | None) -> str:
    if authorization is None:
        return "AUTHORIZATION_NONE"
    purposes = authorization.purposes
    if purposes == {AuthorizationPurpose.NDC, AuthorizationPurpose.OIMP}:
        return "AUTHORIZATION_NDC_AND_OTHER_INTERNATIONAL_MITIGATION"
    if AuthorizationPurpose.NDC in purposes:
        return "AUTHORIZATION_NDC"
    return "AUTHORIZATION_OTHER_INTERNATIONAL_MITIGATION"


def project_created_event(project: Project, actor: Actor, idempotency_key: str | None) -> events_pb2.ProjectCreated:
    period = project.crediting_period
    return events_pb2.ProjectCreated(
        project_id=project.project_id,
        name=project.name,
        program_id=project.program.program_id,
        methodology_id=project.methodology.methodology_id,
        country=project.host_country,
        proponent_organization_id=project.proponent_org_id,
        verifier_organization_id=project.verifier_org_id or "",
        co_benefits=list(project.co_benefits),
        crediting_period_start=period.start.isoformat() if period else "",
        crediting_period_end=period.end.isoformat() if period else "",
        idempotency_key=idempotency_key or "",
        **actor_fields(actor),
    )


def credit_type_pb(value: str) -> types_pb2.CreditType.ValueType:
    return types_pb2.CreditType.Value(f"CREDIT_TYPE_{value}")


def basis_pb(value: str) -> types_pb2.CreditBasis.ValueType:
    return types_pb2.CreditBasis.Value(f"CREDIT_BASIS_{value}")


def category_pb(value: str) -> types_pb2.CreditCategory.ValueType:
    return types_pb2.CreditCategory.Value(f"CREDIT_CATEGORY_{value}")


def project_status_pb(value: str) -> types_pb2.ProjectStatus.ValueType:
    return types_pb2.ProjectStatus.Value(f"PROJECT_STATUS_{value}")
