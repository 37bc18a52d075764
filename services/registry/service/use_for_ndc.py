"""UseForNdc (償却, REGISTRY_ADMIN only): HELD units count towards a national NDC. Permanent: they
reach the holder organization's NDC_USE account. Only the registry administrator acts here because
the use is the state's accounting act, not the holder's claim."""

from __future__ import annotations

from carbon.registry.v1 import events_pb2, registry_pb2

from carbon_runtime.errors import invalid
from carbon_runtime.transport.auth import Principal, require_role
from services.registry.adapters import repository as repo
from services.registry.adapters import tables as t
from services.registry.domain import ledger
from services.registry.domain.certificates import CertificateKind
from services.registry.domain.models import AccountKind, validate_country
from services.registry.service.common import (
    RegistryDeps,
    UnitOfWorkLike,
    actor,
    actor_org,
    blocks_to_proto,
    new_id,
    require_id,
    run_idempotent,
    timestamp,
)
from services.registry.service.permanent_use import record_use, take_units


def use_for_ndc(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.UseForNdcRequest
) -> registry_pb2.UseForNdcResponse:
    require_role(principal, "REGISTRY_ADMIN")
    account_id = require_id(request.account_id, "account_id")
    batch_id = require_id(request.batch_id, "batch_id")
    quantity = ledger.require_positive_quantity(int(request.quantity_t))
    country = validate_country(request.ndc_country)
    if not 2021 <= request.ndc_year <= 2200:
        # Article 6 NDC accounting starts with mitigation outcomes from 2021.
        raise invalid("NDC_YEAR_INVALID", "ndc_year must be a calendar year from 2021 on")

    def effect(uow: UnitOfWorkLike) -> registry_pb2.UseForNdcResponse:
        used = take_units(
            uow,
            principal,
            account_id=account_id,
            batch_id=batch_id,
            quantity=quantity,
            sink_kind=AccountKind.NDC_USE,
            operation=ledger.use_for_ndc,
            authorize=lambda account: None,
        )
        ndc_use_id = new_id()
        ranges = used.serial_ranges
        purpose = f"NDC of {country}, {request.ndc_year}"
        entry = repo.append_journal(
            uow.conn,
            actor(principal),
            "UseForNdc",
            {
                "ndc_use_id": ndc_use_id,
                "batch_id": batch_id,
                "account_id": account_id,
                "quantity": quantity,
                "serial_ranges": ranges,
                "ndc_country": country,
                "ndc_year": request.ndc_year,
            },
        )
        record_use(
            uow,
            used,
            kind=CertificateKind.NDC_USE,
            table=t.ndc_uses,
            use_id=ndc_use_id,
            account_id=account_id,
            quantity=quantity,
            entry=entry,
            beneficiary=country,
            purpose=purpose,
            columns={"ndc_country": country, "ndc_year": request.ndc_year},
        )
        blocks = blocks_to_proto(used.batch, used.result.affected)
        uow.add_event(
            "batch",
            batch_id,
            events_pb2.CreditsUsedForNdc(
                ndc_use_id=ndc_use_id,
                batch_id=batch_id,
                account_id=account_id,
                organization_id=used.source.organization_id,
                quantity_t=quantity,
                blocks=blocks,
                serial_ranges=ranges,
                ndc_country=country,
                ndc_year=request.ndc_year,
                used_at=timestamp(entry.occurred_at),
                idempotency_key=request.idempotency_key,
                actor_user_id=actor(principal),
                actor_organization_id=actor_org(principal),
            ),
        )
        return registry_pb2.UseForNdcResponse(
            ndc_use_id=ndc_use_id, blocks=blocks, serial_ranges=ranges, used_at=timestamp(entry.occurred_at)
        )

    return run_idempotent(deps, principal, "UseForNdc", request, registry_pb2.UseForNdcResponse, effect)
