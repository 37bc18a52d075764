"""CreateOrganization (REGISTRY_ADMIN): a proponent, holder, verifier, exchange or program."""

from __future__ import annotations

from typing import Any

from carbon.registry.v1 import events_pb2, registry_pb2, types_pb2
from sqlalchemy import insert

from carbon_runtime.errors import invalid
from carbon_runtime.transport.auth import Principal, require_role
from services.registry.adapters import repository as repo
from services.registry.adapters import tables as t
from services.registry.domain.models import KycStatus, Organization
from services.registry.service.common import (
    RegistryDeps,
    UnitOfWorkLike,
    actor,
    actor_org,
    new_id,
    run_idempotent,
    timestamp,
)


def organization_to_proto(row: Any, account_ids: list[str]) -> types_pb2.Organization:
    return types_pb2.Organization(
        organization_id=row.id,
        name=row.name,
        country=row.country,
        accredited_verifier=bool(row.accredited_verifier),
        account_ids=account_ids,
        created_at=timestamp(repo.aware(row.created_at)),
    )


def create_organization(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.CreateOrganizationRequest
) -> registry_pb2.CreateOrganizationResponse:
    require_role(principal, "REGISTRY_ADMIN")
    name = request.name.strip()
    if len(name) > 300:
        raise invalid("NAME_TOO_LONG", "organization name is at most 300 characters")
    # Validates name and country before anything is written.
    Organization(id="new", name=name, country=request.country, accredited_verifier=request.accredited_verifier)

    def effect(uow: UnitOfWorkLike) -> registry_pb2.CreateOrganizationResponse:
        organization_id = new_id()
        now = repo.utcnow()
        uow.conn.execute(
            insert(t.organizations).values(
                id=organization_id,
                name=name,
                country=request.country,
                accredited_verifier=request.accredited_verifier,
                kyc_status=KycStatus.PENDING.value,
                created_at=now,
            )
        )
        repo.append_journal(
            uow.conn,
            actor(principal),
            "CreateOrganization",
            {"organization_id": organization_id, "name": name, "country": request.country},
        )
        uow.add_event(
            "organization",
            organization_id,
            events_pb2.OrganizationCreated(
                organization_id=organization_id,
                name=name,
                country=request.country,
                accredited_verifier=request.accredited_verifier,
                idempotency_key=request.idempotency_key,
                actor_user_id=actor(principal),
                actor_organization_id=actor_org(principal),
            ),
        )
        row = repo.get_organization_row(uow.conn, organization_id)
        return registry_pb2.CreateOrganizationResponse(organization=organization_to_proto(row, []))

    return run_idempotent(
        deps, principal, "CreateOrganization", request, registry_pb2.CreateOrganizationResponse, effect
    )
