"""The registry subgraph: Organization, Account, UnitBlock, Transfer, Retirement, Cancellation, and
CreditBatch.retiredQuantity. Mutations run the same handlers as gRPC (in a worker thread)."""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import strawberry
from carbon.registry.v1 import registry_pb2, types_pb2

from carbon_runtime.errors import forbidden
from carbon_runtime.transport.auth import Principal, require_authenticated
from carbon_runtime.transport.graphql_contract import (
    AccountKind,
    CancellationPurpose,
    RetirementPurpose,
    Tonnes,
    UnitStatus,
)
from carbon_runtime.transport.graphql_runtime import RequestContext
from services.registry.service import (
    cancel_credits,
    create_organization,
    held_transfers,
    open_account,
    queries,
    reinstate_account,
    retire_credits,
    transfer_credits,
    trusted_accounts,
    verify_journal,
)
from services.registry.service.common import RegistryDeps

Info = strawberry.Info[RequestContext, None]
Req = TypeVar("Req")
Resp = TypeVar("Resp")


def _deps(info: Info) -> RegistryDeps:
    deps: RegistryDeps = info.context.extras["registry"]
    return deps


async def _call(info: Info, handler: Callable[[RegistryDeps, Principal, Req], Resp], request: Req) -> Resp:
    return await asyncio.to_thread(handler, _deps(info), info.context.principal, request)


@strawberry.enum(description="A transfer's lifecycle under the registry's safeguards.")
class TransferStatus(enum.Enum):
    PENDING_APPROVAL = "PENDING_APPROVAL"
    HELD = "HELD"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


@strawberry.enum(description="SUSPENDED accounts refuse every move until a REGISTRY_ADMIN reinstates them.")
class AccountStatus(enum.Enum):
    OPEN = "OPEN"
    SUSPENDED = "SUSPENDED"
    CLOSED = "CLOSED"


@strawberry.federation.type(keys=["id"])
class CreditBatch:
    id: strawberry.ID

    @strawberry.field(description="Retired, cancelled and NDC-used together: out of circulation for ever.")
    def retired_quantity(self, info: Info) -> Tonnes:
        return Tonnes(queries.retired_quantity(_deps(info), str(self.id)))

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


def _block(view: queries.BlockView) -> UnitBlock:
    return UnitBlock(
        batch_id=view.batch_id,
        serial_start=view.serial_start,
        serial_end=view.serial_end,
        quantity=Tonnes(view.quantity),
        status=UnitStatus(view.status),
    )


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
    def accounts(self, info: Info) -> list[Account]:
        views = [queries.account_view(_deps(info), account_id) for account_id in self.account_ids]
        return [_account(view) for view in views if view is not None]

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Organization | None:
        return _organization(_deps(info), str(id))


def _organization(deps: RegistryDeps, organization_id: str) -> Organization | None:
    view = queries.organization_view(deps, organization_id)
    if view is None:
        return None
    return Organization(
        id=strawberry.ID(view.id),
        name=view.name,
        country=view.country,
        accredited_verifier=view.accredited_verifier,
        account_ids=view.account_ids,
    )


@strawberry.federation.type(keys=["id"])
class Account:
    """An account's id, kind and owner are public (retirements name them); its balance and holdings
    are visible to members of the owning organization, AUDITOR and REGISTRY_ADMIN."""

    id: strawberry.ID
    kind: AccountKind
    organization_id: strawberry.Private[str]

    def _readable(self, info: Info) -> queries.AccountView:
        principal = info.context.principal
        require_authenticated(principal)
        view = queries.account_view(_deps(info), str(self.id))
        if view is None or not queries.can_read(principal, view):
            raise forbidden("NOT_AUTHORIZED", f"you may not read the holdings of account {self.id}")
        return view

    @strawberry.field
    def owner(self, info: Info) -> Organization:
        organization = _organization(_deps(info), self.organization_id)
        if organization is None:  # pragma: no cover - accounts reference organizations by foreign key
            raise RuntimeError(f"organization {self.organization_id} vanished")
        return organization

    @strawberry.field(description="OPEN, or SUSPENDED after repeated failed authorizations on it.")
    def status(self, info: Info) -> AccountStatus | None:
        return AccountStatus(self._readable(info).status)

    @strawberry.field(description="Credits held and not locked.")
    def balance(self, info: Info) -> Tonnes:
        return Tonnes(self._readable(info).balance)

    @strawberry.field(description="Credits reserved by open sell orders (not in balance).")
    def locked_quantity(self, info: Info) -> Tonnes:
        return Tonnes(self._readable(info).locked)

    @strawberry.field
    def holdings(self, info: Info) -> list[UnitBlock]:
        view = self._readable(info)
        return [_block(block) for block in queries.holding_views(_deps(info), view.id)]

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Account | None:
        view = queries.account_view(_deps(info), str(id))
        return _account(view) if view is not None else None


def _account(view: queries.AccountView) -> Account:
    return Account(id=strawberry.ID(view.id), kind=AccountKind(view.kind), organization_id=view.organization_id)


def _account_by_id(info: Info, account_id: str) -> Account:
    view = queries.account_view(_deps(info), account_id)
    if view is None:  # pragma: no cover - records reference accounts by foreign key
        raise RuntimeError(f"account {account_id} vanished")
    return _account(view)


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
    def from_(self, info: Info) -> Account:
        return _account_by_id(info, self.from_account_id)

    @strawberry.field
    def to(self, info: Info) -> Account:
        return _account_by_id(info, self.to_account_id)


def _transfer(state: held_transfers.TransferState) -> Transfer:
    return Transfer(
        id=strawberry.ID(state.id),
        from_account_id=state.from_account_id,
        to_account_id=state.to_account_id,
        quantity=Tonnes(state.quantity),
        blocks=[_block(block) for block in state.blocks],
        status=TransferStatus(state.status.value),
        completes_at=state.completes_at if state.status.value != "COMPLETED" else None,
    )


@strawberry.type
class TrustedAccount:
    trusted_account_id: strawberry.ID
    added_at: dt.datetime
    effective_at: dt.datetime = strawberry.field(description="Transfers there are not held from this time on.")


def _trusted(view: trusted_accounts.TrustedAccountView) -> TrustedAccount:
    return TrustedAccount(
        trusted_account_id=strawberry.ID(view.trusted_account_id),
        added_at=view.added_at,
        effective_at=view.effective_at,
    )


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
    def account(self, info: Info) -> Account:
        return _account_by_id(info, self.account_id)

    @strawberry.field
    def batch(self) -> CreditBatch:
        return CreditBatch(id=strawberry.ID(self.batch_id))


def _retirement(view: queries.UseView) -> Retirement:
    return Retirement(
        id=strawberry.ID(view.id),
        account_id=view.account_id,
        batch_id=view.batch_id,
        quantity=Tonnes(view.quantity),
        serial_ranges=view.serial_ranges,
        purpose=RetirementPurpose(view.purpose),
        beneficiary=view.beneficiary,
        retirement_year=view.retirement_year or 0,
        offset_emissions=view.offset_emissions,
        retired_at=view.occurred_at,
        activity_description=view.activity_description or None,
        reporting_period_start=view.reporting_period_start,
        reporting_period_end=view.reporting_period_end,
        certificate_id=strawberry.ID(view.certificate_id),
        counts_toward_japan_ndc=view.counts_toward_japan_ndc,
    )


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


@strawberry.type
class Query:
    @strawberry.field
    def organization(self, info: Info, id: strawberry.ID) -> Organization | None:
        return _organization(_deps(info), str(id))

    @strawberry.field
    def account(self, info: Info, id: strawberry.ID) -> Account | None:
        principal = info.context.principal
        require_authenticated(principal)
        view = queries.account_view(_deps(info), str(id))
        if view is None:
            return None
        if not queries.can_read(principal, view):
            raise forbidden("NOT_AUTHORIZED", f"you may not read account {id}")
        # Lazy completion: a transfer whose hold has ended shows as completed on the next read.
        if held_transfers.complete_due_transfers(_deps(info), account_id=view.id):
            view = queries.account_view(_deps(info), str(id)) or view
        return _account(view)

    @strawberry.field(description="A transfer of one of your accounts, with its safeguard status.")
    def transfer(self, info: Info, id: strawberry.ID) -> Transfer | None:
        state = held_transfers.readable_transfer(_deps(info), info.context.principal, str(id))
        return _transfer(state) if state is not None else None

    @strawberry.field(description="The account's trusted account list.")
    def trusted_accounts(self, info: Info, account_id: strawberry.ID) -> list[TrustedAccount]:
        views = trusted_accounts.trusted_accounts(_deps(info), info.context.principal, str(account_id))
        return [_trusted(view) for view in views]

    @strawberry.field
    def retirement(self, info: Info, id: strawberry.ID) -> Retirement | None:
        view = queries.retirement_view(_deps(info), str(id))
        return _retirement(view) if view is not None else None

    @strawberry.field(description="Retirements of a batch, oldest first (public record).")
    def retirements(self, info: Info, batch_id: strawberry.ID) -> list[Retirement]:
        return [_retirement(view) for view in queries.retirements_of_batch(_deps(info), str(batch_id))]

    @strawberry.field
    def cancellation(self, info: Info, id: strawberry.ID) -> Cancellation | None:
        view = queries.cancellation_view(_deps(info), str(id))
        return _cancellation(view) if view is not None else None

    @strawberry.field
    def certificate(self, info: Info, id: strawberry.ID) -> Certificate | None:
        body = queries.certificate(_deps(info), str(id))
        if body is None:
            return None
        return Certificate(
            id=strawberry.ID(body["certificate_id"]),
            kind=body["kind"],
            quantity=Tonnes(body["quantity"]),
            serial_ranges=list(body["serial_ranges"]),
            beneficiary=body["beneficiary"],
            purpose=body["purpose"],
            retirement_year=body["retirement_year"],
            batch_id=strawberry.ID(body["batch"]["id"]),
            occurred_at=dt.datetime.fromisoformat(body["occurred_at"]),
            journal_sequence=int(body["journal_sequence"]),
            journal_hash=body["journal_hash"],
        )

    @strawberry.field
    def verify_certificate(self, info: Info, id: strawberry.ID) -> CertificateVerification:
        result = verify_journal.verify_certificate(_deps(info), str(id))
        return CertificateVerification(
            certificate_id=strawberry.ID(result.certificate_id),
            valid=result.valid,
            journal_sequence=result.journal_sequence,
            journal_hash=result.journal_hash,
            problem=result.problem,
        )

    @strawberry.field(description="Recomputes the registry journal's hash chain.")
    def verify_journal(self, info: Info) -> JournalVerification:
        result = verify_journal.verify_journal(_deps(info))
        return JournalVerification(
            ok=result.ok,
            checked=result.checked,
            first_broken_sequence=result.first_broken_sequence,
            problem=result.problem,
        )


def _cancellation(view: queries.UseView) -> Cancellation:
    return Cancellation(
        id=strawberry.ID(view.id),
        account_id=view.account_id,
        batch_id=view.batch_id,
        quantity=Tonnes(view.quantity),
        serial_ranges=view.serial_ranges,
        purpose=CancellationPurpose(view.purpose),
        beneficiary=view.beneficiary,
        cancelled_at=view.occurred_at,
        certificate_id=strawberry.ID(view.certificate_id),
    )


@strawberry.input
class CreateOrganizationInput:
    name: str
    country: str
    accredited_verifier: bool | None = False


@strawberry.input
class OpenAccountInput:
    organization_id: strawberry.ID
    kind: AccountKind | None = AccountKind.HOLDING


@strawberry.input
class TransferCreditsInput:
    from_account_id: strawberry.ID
    to_account_id: strawberry.ID
    batch_id: strawberry.ID
    quantity: Tonnes
    idempotency_key: str | None = None


@strawberry.input
class RetireCreditsInput:
    account_id: strawberry.ID
    batch_id: strawberry.ID
    quantity: Tonnes
    purpose: RetirementPurpose
    beneficiary: str
    retirement_year: int
    offset_emissions: Decimal | None = None
    idempotency_key: str | None = None
    activity_description: str | None = None
    reporting_period_start: dt.date | None = None
    reporting_period_end: dt.date | None = None


@strawberry.input
class CancelCreditsInput:
    account_id: strawberry.ID
    batch_id: strawberry.ID
    quantity: Tonnes
    purpose: CancellationPurpose
    beneficiary: str
    idempotency_key: str | None = None


def _found(value: Any, what: str) -> Any:
    if value is None:  # pragma: no cover - the handler just committed it
        raise RuntimeError(f"{what} vanished after commit")
    return value


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_organization(self, info: Info, input: CreateOrganizationInput) -> Organization:
        response = await _call(
            info,
            create_organization.create_organization,
            registry_pb2.CreateOrganizationRequest(
                name=input.name, country=input.country, accredited_verifier=bool(input.accredited_verifier)
            ),
        )
        return _found(_organization(_deps(info), response.organization.organization_id), "organization")  # type: ignore[no-any-return]

    @strawberry.mutation
    async def open_account(self, info: Info, input: OpenAccountInput) -> Account:
        kind = (input.kind or AccountKind.HOLDING).value
        response = await _call(
            info,
            open_account.open_account,
            registry_pb2.OpenAccountRequest(
                organization_id=str(input.organization_id), kind=types_pb2.AccountKind.Value(f"ACCOUNT_KIND_{kind}")
            ),
        )
        return _account(_found(queries.account_view(_deps(info), response.account.account_id), "account"))

    @strawberry.mutation
    async def transfer_credits(self, info: Info, input: TransferCreditsInput) -> Transfer:
        response = await _call(
            info,
            transfer_credits.transfer_credits,
            registry_pb2.TransferRequest(
                idempotency_key=input.idempotency_key or "",
                from_account_id=str(input.from_account_id),
                to_account_id=str(input.to_account_id),
                batch_id=str(input.batch_id),
                quantity_t=int(input.quantity),
            ),
        )
        return _transfer(_found(held_transfers.transfer_state(_deps(info), response.transfer_id), "transfer"))

    @strawberry.mutation(description="Trust a HOLDING account: transfers there are not held once effective.")
    async def add_trusted_account(
        self, info: Info, account_id: strawberry.ID, trusted_account_id: strawberry.ID
    ) -> TrustedAccount:
        view = await asyncio.to_thread(
            trusted_accounts.add_trusted_account,
            _deps(info),
            info.context.principal,
            str(account_id),
            str(trusted_account_id),
        )
        return _trusted(view)

    @strawberry.mutation(description="Remove an account from the trusted list (effective at once).")
    async def remove_trusted_account(
        self, info: Info, account_id: strawberry.ID, trusted_account_id: strawberry.ID
    ) -> bool:
        return await asyncio.to_thread(
            trusted_accounts.remove_trusted_account,
            _deps(info),
            info.context.principal,
            str(account_id),
            str(trusted_account_id),
        )

    @strawberry.mutation(description="Second-person approval of a transfer above the four-eyes threshold.")
    async def approve_transfer(self, info: Info, transfer_id: strawberry.ID) -> Transfer:
        principal = info.context.principal
        await asyncio.to_thread(held_transfers.approve_transfer, _deps(info), principal, str(transfer_id))
        return _transfer(_found(held_transfers.transfer_state(_deps(info), str(transfer_id)), "transfer"))

    @strawberry.mutation(description="Cancel a held or pending transfer; its units return to the balance.")
    async def cancel_transfer(self, info: Info, transfer_id: strawberry.ID) -> Transfer:
        principal = info.context.principal
        await asyncio.to_thread(held_transfers.cancel_transfer, _deps(info), principal, str(transfer_id))
        return _transfer(_found(held_transfers.transfer_state(_deps(info), str(transfer_id)), "transfer"))

    @strawberry.mutation(description="Reopen a SUSPENDED account (REGISTRY_ADMIN).")
    async def reinstate_account(self, info: Info, account_id: strawberry.ID) -> Account:
        principal = info.context.principal
        await asyncio.to_thread(reinstate_account.reinstate_account, _deps(info), principal, str(account_id))
        return _account(_found(queries.account_view(_deps(info), str(account_id)), "account"))

    @strawberry.mutation
    async def retire_credits(self, info: Info, input: RetireCreditsInput) -> Retirement:
        response = await _call(
            info,
            retire_credits.retire_credits,
            registry_pb2.RetireRequest(
                idempotency_key=input.idempotency_key or "",
                account_id=str(input.account_id),
                batch_id=str(input.batch_id),
                quantity_t=int(input.quantity),
                purpose=types_pb2.RetirementPurpose.Value(f"RETIREMENT_PURPOSE_{input.purpose.value}"),
                beneficiary=input.beneficiary,
                retirement_year=input.retirement_year,
                offset_emissions_decimal=str(input.offset_emissions) if input.offset_emissions is not None else "",
                activity_description=input.activity_description or "",
                reporting_period_start=input.reporting_period_start.isoformat() if input.reporting_period_start else "",
                reporting_period_end=input.reporting_period_end.isoformat() if input.reporting_period_end else "",
            ),
        )
        return _retirement(_found(queries.retirement_view(_deps(info), response.retirement_id), "retirement"))

    @strawberry.mutation
    async def cancel_credits(self, info: Info, input: CancelCreditsInput) -> Cancellation:
        response = await _call(
            info,
            cancel_credits.cancel_credits,
            registry_pb2.CancelRequest(
                idempotency_key=input.idempotency_key or "",
                account_id=str(input.account_id),
                batch_id=str(input.batch_id),
                quantity_t=int(input.quantity),
                purpose=types_pb2.CancellationPurpose.Value(f"CANCELLATION_PURPOSE_{input.purpose.value}"),
                beneficiary=input.beneficiary,
            ),
        )
        return _cancellation(_found(queries.cancellation_view(_deps(info), response.cancellation_id), "cancellation"))


SCHEMA_TYPES: list[type] = [CreditBatch, Organization, Account]
