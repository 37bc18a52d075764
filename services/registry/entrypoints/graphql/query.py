"""The registry subgraph's Query fields: read-only, through the read model (no bus). A held
transfer whose hold has ended is completed by the background worker, never by a read."""

from __future__ import annotations

import strawberry

from carbon_runtime.errors import forbidden
from carbon_runtime.transport.blocking import blocking
from services.registry.adapters.read_model import RegistryReadModel
from services.registry.domain.actor import require_authenticated
from services.registry.entrypoints.graphql import mappers
from services.registry.entrypoints.graphql.types import (
    Account,
    Cancellation,
    Certificate,
    CertificateVerification,
    Info,
    JournalVerification,
    Organization,
    Retirement,
    Transfer,
    TrustedAccount,
    reads,
)


@strawberry.type
class Query:
    @strawberry.field
    @blocking
    def organization(self, info: Info, id: strawberry.ID) -> Organization | None:
        return mappers.organization_by_id(reads(info), str(id))

    @strawberry.field
    @blocking
    def account(self, info: Info, id: strawberry.ID) -> Account | None:
        actor = mappers.actor(info.context.principal)
        require_authenticated(actor)
        view = reads(info).account_view(str(id))
        if view is None:
            return None
        if not RegistryReadModel.can_read(actor, view):
            raise forbidden("NOT_AUTHORIZED", f"you may not read account {id}")
        return mappers.account(view)

    @strawberry.field(description="A transfer of one of your accounts, with its safeguard status.")
    @blocking
    def transfer(self, info: Info, id: strawberry.ID) -> Transfer | None:
        state = reads(info).readable_transfer(mappers.actor(info.context.principal), str(id))
        return mappers.transfer(state) if state is not None else None

    @strawberry.field(description="The account's trusted account list.")
    @blocking
    def trusted_accounts(self, info: Info, account_id: strawberry.ID) -> list[TrustedAccount]:
        entries = reads(info).trusted_accounts(mappers.actor(info.context.principal), str(account_id))
        return [mappers.trusted(entry) for entry in entries]

    @strawberry.field
    @blocking
    def retirement(self, info: Info, id: strawberry.ID) -> Retirement | None:
        view = reads(info).retirement_view(str(id))
        return mappers.retirement(view) if view is not None else None

    @strawberry.field(description="Retirements of a batch, oldest first (public record).")
    @blocking
    def retirements(self, info: Info, batch_id: strawberry.ID) -> list[Retirement]:
        return [mappers.retirement(view) for view in reads(info).retirements_of_batch(str(batch_id))]

    @strawberry.field
    @blocking
    def cancellation(self, info: Info, id: strawberry.ID) -> Cancellation | None:
        view = reads(info).cancellation_view(str(id))
        return mappers.cancellation(view) if view is not None else None

    @strawberry.field
    @blocking
    def certificate(self, info: Info, id: strawberry.ID) -> Certificate | None:
        body = reads(info).certificate(str(id))
        return mappers.certificate(body) if body is not None else None

    @strawberry.field
    @blocking
    def verify_certificate(self, info: Info, id: strawberry.ID) -> CertificateVerification:
        result = reads(info).verify_certificate(str(id))
        return CertificateVerification(
            certificate_id=strawberry.ID(result.certificate_id),
            valid=result.valid,
            journal_sequence=result.journal_sequence,
            journal_hash=result.journal_hash,
            problem=result.problem,
        )

    @strawberry.field(description="Recomputes the registry journal's hash chain.")
    @blocking
    def verify_journal(self, info: Info) -> JournalVerification:
        # Anyone may ask; a full recomputation on demand is for staff (others get the incremental
        # check over the last full one, which runs at least every minute).
        principal = info.context.principal
        result = reads(info).verify_journal(full=principal.has_role("AUDITOR", "REGISTRY_ADMIN"))
        return JournalVerification(
            ok=result.ok,
            checked=result.checked,
            first_broken_sequence=result.first_broken_sequence,
            problem=result.problem,
        )
