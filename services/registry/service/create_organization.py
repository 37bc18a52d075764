"""CreateOrganization (REGISTRY_ADMIN): a proponent, holder, verifier, exchange or program."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from carbon_runtime.errors import invalid
from services.registry.domain.actor import require_role
from services.registry.domain.commands import CreateOrganization
from services.registry.domain.events import OrganizationCreated
from services.registry.domain.models import KycStatus, Organization
from services.registry.service.common import caused_by
from services.registry.service.ports import RegistryUnitOfWork
from services.registry.service.results import OrganizationResult


def handle(
    cmd: CreateOrganization,
    uow: RegistryUnitOfWork,
    *,
    clock: Callable[[], datetime],
    new_id: Callable[[], str],
) -> OrganizationResult:
    actor = cmd.actor
    require_role(actor, "REGISTRY_ADMIN")
    name = cmd.name.strip()
    if len(name) > 300:
        raise invalid("NAME_TOO_LONG", "organization name is at most 300 characters")
    # Validates name and country before anything is written.
    organization = Organization(
        id=new_id(),
        name=name,
        country=cmd.country,
        accredited_verifier=cmd.accredited_verifier,
        kyc_status=KycStatus.PENDING,
    )
    now = clock()
    uow.accounts.add_organization(organization, now)
    uow.journal.append(
        actor.name,
        "CreateOrganization",
        {"organization_id": organization.id, "name": name, "country": cmd.country},
    )
    uow.emit(
        OrganizationCreated(
            organization_id=organization.id,
            name=name,
            country=cmd.country,
            accredited_verifier=cmd.accredited_verifier,
            **caused_by(actor, cmd.idempotency_key),
        )
    )
    return OrganizationResult(organization.id, name, cmd.country, cmd.accredited_verifier, (), now)
