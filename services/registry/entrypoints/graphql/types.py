"""The registry subgraph's object types: Organization, Account, UnitBlock, Transfer, Retirement,
Cancellation, certificates, and CreditBatch.retiredQuantity. Their fields read through the read
model (never the bus: reads never write)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from carbon_runtime import vocabulary
from carbon_runtime.errors import forbidden
from carbon_runtime.transport.blocking import blocking, in_thread
from carbon_runtime.transport.graphql_contract import (
    AccountKind,
    CancellationPurpose,
    RetirementPurpose,
    Tonnes,
    UnitStatus,
)
from carbon_runtime.transport.graphql_runtime import RequestContext
from services.registry.adapters.read_model import AccountView, BlockView, RegistryReadModel
from services.registry.domain import models
from services.registry.domain.actor import require_authenticated
from services.registry.entrypoints.caller import actor_of
from services.registry.service.handlers import RegistryBus

Info = strawberry.Info[RequestContext, None]


def reads(info: Info) -> RegistryReadModel:
    model: RegistryReadModel = info.context.extras["reads"]
    return model


def bus(info: Info) -> RegistryBus:
    registry_bus: RegistryBus = info.context.extras["bus"]
    return registry_bus


# The GraphQL enums are the domain's own classes (defined once), exposed as they are.
TransferStatus = vocabulary.TransferStatus
AccountStatus = models.AccountStatus
strawberry.enum(TransferStatus, description="A transfer's lifecycle under the registry's safeguards.")
strawberry.enum(
    AccountStatus, description="SUSPENDED accounts refuse every move until a REGISTRY_ADMIN reinstates them."
)


@strawberry.federation.type(keys=["id"])
class CreditBatch:
    id: strawberry.ID

    @strawberry.field(description="Retired, cancelled and NDC-used together: out of circulation for ever.")
    @blocking
    def retired_quantity(self, info: Info) -> Tonnes:
        return Tonnes(reads(info).retired_quantity(str(self.id)))

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> CreditBatch:
        return CreditBatch(id=id)


@strawberry.type
class UnitBlock:
    batch_id: strawberry.Private[str]
    serial_start: str
    serial_end: str
    quantity: Tonnes
    status: UnitStatus

    @strawberry.field
    def batch(self) -> CreditBatch:
        return CreditBatch(id=strawberry.ID(self.batch_id))


@strawberry.federation.type(keys=["id"])
class Organization:
    id: strawberry.ID
    name: str
    country: str = strawberry.field(description="ISO 3166-1 alpha-2.")
    accredited_verifier: bool = strawberry.field(
        description="Accredited as a validation/verification body (ISO 14065)."
    )
    account_ids: strawberry.Private[list[str]]

    @strawberry.field
    @blocking
    def accounts(self, info: Info) -> list[Account]:
        views = [reads(info).account_view(account_id) for account_id in self.account_ids]
        return [account(view) for view in views if view is not None]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Organization | None:
        return await in_thread(organization_by_id, reads(info), str(id))


@strawberry.federation.type(keys=["id"])
class Account:
    """An account's id, kind and owner are public (retirements name them); its balance and holdings
    are visible to members of the owning organization, AUDITOR and REGISTRY_ADMIN."""

    id: strawberry.ID
    kind: AccountKind
    organization_id: strawberry.Private[str]

    def _readable(self, info: Info) -> AccountView:
        actor = actor_of(info.context.principal)
        require_authenticated(actor)
        view = reads(info).account_view(str(self.id))
        if view is None or not RegistryReadModel.can_read(actor, view):
            raise forbidden("NOT_AUTHORIZED", f"you may not read the holdings of account {self.id}")
        return view

    @strawberry.field
    @blocking
    def owner(self, info: Info) -> Organization:
        organization = organization_by_id(reads(info), self.organization_id)
        if organization is None:  # pragma: no cover - accounts reference organizations by foreign key
            raise RuntimeError(f"organization {self.organization_id} vanished")
        return organization

    @strawberry.field(description="OPEN, or SUSPENDED after repeated failed authorizations on it.")
    @blocking
    def status(self, info: Info) -> AccountStatus | None:
        return AccountStatus(self._readable(info).status)

    @strawberry.field(description="Credits held and not locked.")
    @blocking
    def balance(self, info: Info) -> Tonnes:
        return Tonnes(self._readable(info).balance)

    @strawberry.field(description="Credits reserved by open sell orders (not in balance).")
    @blocking
    def locked_quantity(self, info: Info) -> Tonnes:
        return Tonnes(self._readable(info).locked)

    @strawberry.field
    @blocking
    def holdings(self, info: Info) -> list[UnitBlock]:
        view = self._readable(info)
        return [block_view(block) for block in reads(info).holding_views(view.id)]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Account | None:
        view = await in_thread(reads(info).account_view, str(id))
        return account(view) if view is not None else None


def _account_by_id(info: Info, account_id: str) -> Account:
    view = reads(info).account_view(account_id)
    if view is None:  # pragma: no cover - records reference accounts by foreign key
        raise RuntimeError(f"account {account_id} vanished")
    return account(view)


@strawberry.type
class Transfer:
    id: strawberry.ID
    from_account_id: strawberry.Private[str]
    to_account_id: strawberry.Private[str]
    quantity: Tonnes
    blocks: list[UnitBlock]
    status: TransferStatus | None = strawberry.field(
        default=None, description="COMPLETED unless a safeguard holds the transfer (its units stay locked)."
    )
    completes_at: dt.datetime | None = strawberry.field(
        default=None, description="When a HELD transfer completes (after approval, for PENDING_APPROVAL)."
    )

    @strawberry.field(name="from")
    @blocking
    def from_(self, info: Info) -> Account:
        return _account_by_id(info, self.from_account_id)

    @strawberry.field
    @blocking
    def to(self, info: Info) -> Account:
        return _account_by_id(info, self.to_account_id)


@strawberry.type
class TrustedAccount:
    trusted_account_id: strawberry.ID
    added_at: dt.datetime
    effective_at: dt.datetime = strawberry.field(description="Transfers there are not held from this time on.")


@strawberry.type
class Retirement:
    id: strawberry.ID
    account_id: strawberry.Private[str]
    batch_id: strawberry.Private[str]
    quantity: Tonnes
    serial_ranges: list[str] = strawberry.field(
        description='Serial ranges retired, each "<start>-<end>" in the batch\'s serial format.'
    )
    purpose: RetirementPurpose
    beneficiary: str
    retirement_year: int
    offset_emissions: Decimal | None = strawberry.field(
        description="Emissions of the activity or product offset, in tCO2e, where the holder states them."
    )
    retired_at: dt.datetime
    activity_description: str | None
    reporting_period_start: dt.date | None
    reporting_period_end: dt.date | None
    certificate_id: strawberry.ID
    counts_toward_japan_ndc: bool = strawberry.field(
        description="JCM credits retired for reductions from 2021 on: counted toward Japan's NDC."
    )

    @strawberry.field
    @blocking
    def account(self, info: Info) -> Account:
        return _account_by_id(info, self.account_id)

    @strawberry.field
    def batch(self) -> CreditBatch:
        return CreditBatch(id=strawberry.ID(self.batch_id))


@strawberry.type
class Cancellation:
    id: strawberry.ID
    account_id: strawberry.Private[str]
    batch_id: strawberry.Private[str]
    quantity: Tonnes
    serial_ranges: list[str]
    purpose: CancellationPurpose
    beneficiary: str
    cancelled_at: dt.datetime
    certificate_id: strawberry.ID

    @strawberry.field
    @blocking
    def account(self, info: Info) -> Account:
        return _account_by_id(info, self.account_id)

    @strawberry.field
    def batch(self) -> CreditBatch:
        return CreditBatch(id=strawberry.ID(self.batch_id))


@strawberry.type
class Certificate:
    id: strawberry.ID
    kind: str
    quantity: Tonnes
    serial_ranges: list[str]
    beneficiary: str
    purpose: str
    retirement_year: int | None
    batch_id: strawberry.ID
    occurred_at: dt.datetime
    journal_sequence: int
    journal_hash: str


@strawberry.type
class CertificateVerification:
    certificate_id: strawberry.ID
    valid: bool
    journal_sequence: int | None
    journal_hash: str | None
    problem: str | None


@strawberry.type
class JournalVerification:
    ok: bool
    checked: int
    first_broken_sequence: int | None
    problem: str | None


# ---- views -> types (used by the types' own resolvers and by mappers.py) ----------------------------


def block_view(view: BlockView) -> UnitBlock:
    return UnitBlock(
        batch_id=view.batch_id,
        serial_start=view.serial_start,
        serial_end=view.serial_end,
        quantity=Tonnes(view.quantity),
        status=UnitStatus(view.status),
    )


def organization_by_id(reads: RegistryReadModel, organization_id: str) -> Organization | None:
    view = reads.organization_view(organization_id)
    if view is None:
        return None
    return Organization(
        id=strawberry.ID(view.id),
        name=view.name,
        country=view.country,
        accredited_verifier=view.accredited_verifier,
        account_ids=view.account_ids,
    )


def account(view: AccountView) -> Account:
    return Account(id=strawberry.ID(view.id), kind=AccountKind(view.kind), organization_id=view.organization_id)
