"""The registry subgraph's Mutation fields: each maps its input to the same command the gRPC
servicer builds, runs it on the bus (in a worker thread) and maps the handler's result."""

from __future__ import annotations

import strawberry

from carbon_runtime.transport.blocking import blocking
from services.registry.domain import commands as c
from services.registry.entrypoints.graphql import mappers
from services.registry.entrypoints.graphql.inputs import (
    CancelCreditsInput,
    CreateOrganizationInput,
    OpenAccountInput,
    RetireCreditsInput,
    TransferCreditsInput,
)
from services.registry.entrypoints.graphql.types import (
    Account,
    Cancellation,
    Info,
    Organization,
    Retirement,
    Transfer,
    TrustedAccount,
    bus,
)
from services.registry.service import results as r


@strawberry.type
class Mutation:
    @strawberry.mutation
    @blocking
    def create_organization(self, info: Info, input: CreateOrganizationInput) -> Organization:
        result: r.OrganizationResult = bus(info).handle(mappers.create_organization(info.context.principal, input))
        return mappers.organization(result)

    @strawberry.mutation
    @blocking
    def open_account(self, info: Info, input: OpenAccountInput) -> Account:
        result: r.AccountResult = bus(info).handle(mappers.open_account(info.context.principal, input))
        return mappers.account_of(result.id, result.kind, result.organization_id)

    @strawberry.mutation
    @blocking
    def transfer_credits(self, info: Info, input: TransferCreditsInput) -> Transfer:
        result: r.TransferResult = bus(info).handle(mappers.transfer_credits(info.context.principal, input))
        return mappers.transfer(result)

    @strawberry.mutation(description="Trust a HOLDING account: transfers there are not held once effective.")
    @blocking
    def add_trusted_account(
        self, info: Info, account_id: strawberry.ID, trusted_account_id: strawberry.ID
    ) -> TrustedAccount:
        actor = mappers.actor(info.context.principal)
        cmd = c.AddTrustedAccount(actor=actor, account_id=str(account_id), trusted_account_id=str(trusted_account_id))
        result: r.TrustedAccountResult = bus(info).handle(cmd)
        return mappers.trusted(result)

    @strawberry.mutation(description="Remove an account from the trusted list (effective at once).")
    @blocking
    def remove_trusted_account(self, info: Info, account_id: strawberry.ID, trusted_account_id: strawberry.ID) -> bool:
        actor = mappers.actor(info.context.principal)
        cmd = c.RemoveTrustedAccount(
            actor=actor, account_id=str(account_id), trusted_account_id=str(trusted_account_id)
        )
        bus(info).handle(cmd)
        return True

    @strawberry.mutation(description="Second-person approval of a transfer above the four-eyes threshold.")
    @blocking
    def approve_transfer(self, info: Info, transfer_id: strawberry.ID) -> Transfer:
        cmd = c.ApproveTransfer(actor=mappers.actor(info.context.principal), transfer_id=str(transfer_id))
        result: r.TransferResult = bus(info).handle(cmd)
        return mappers.transfer(result)

    @strawberry.mutation(description="Cancel a held or pending transfer; its units return to the balance.")
    @blocking
    def cancel_transfer(self, info: Info, transfer_id: strawberry.ID) -> Transfer:
        cmd = c.CancelTransfer(actor=mappers.actor(info.context.principal), transfer_id=str(transfer_id))
        result: r.TransferResult = bus(info).handle(cmd)
        return mappers.transfer(result)

    @strawberry.mutation(description="Reopen a SUSPENDED account (REGISTRY_ADMIN).")
    @blocking
    def reinstate_account(self, info: Info, account_id: strawberry.ID) -> Account:
        cmd = c.ReinstateAccount(actor=mappers.actor(info.context.principal), account_id=str(account_id))
        result: r.ReinstatedAccount = bus(info).handle(cmd)
        return mappers.account_of(result.account_id, result.kind, result.organization_id)

    @strawberry.mutation
    @blocking
    def retire_credits(self, info: Info, input: RetireCreditsInput) -> Retirement:
        result: r.RetirementResult = bus(info).handle(mappers.retire_credits(info.context.principal, input))
        return mappers.retired(result)

    @strawberry.mutation
    @blocking
    def cancel_credits(self, info: Info, input: CancelCreditsInput) -> Cancellation:
        result: r.CancellationResult = bus(info).handle(mappers.cancel_credits(info.context.principal, input))
        return mappers.cancelled(result)
