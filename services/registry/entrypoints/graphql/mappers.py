"""Strawberry types <-> commands, results and read views: the only place the graph's shapes meet
the registry's. Mutations map the handler's result (no re-read)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

from carbon_runtime.transport.auth import Principal
from carbon_runtime.transport.graphql_contract import (
    AccountKind,
    CancellationPurpose,
    RetirementPurpose,
    Tonnes,
    UnitStatus,
)
from carbon_runtime.vocabulary import AccountKind as DomainAccountKind
from carbon_runtime.vocabulary import CancellationPurpose as DomainCancellationPurpose
from carbon_runtime.vocabulary import RetirementPurpose as DomainRetirementPurpose
from services.registry.adapters.read_model import UseView
from services.registry.domain import commands as c
from services.registry.domain.actor import Actor, idempotency_scope
from services.registry.domain.events import Block
from services.registry.domain.safeguards import TransferStatus as DomainTransferStatus
from services.registry.entrypoints.caller import actor_of
from services.registry.entrypoints.graphql import types as gql
from services.registry.service import results as r
from services.registry.service.ports import TrustedEntry


def actor(principal: Principal) -> Actor:
    return actor_of(principal)


def _keyed(who: Actor, idempotency_key: str | None) -> dict[str, Any]:
    return {"actor": who, "idempotency_key": idempotency_key or None, "idempotency_scope": idempotency_scope(who)}


# ---- inputs -> commands ---------------------------------------------------------------------


def create_organization(principal: Principal, input: Any) -> c.CreateOrganization:
    return c.CreateOrganization(
        name=input.name,
        country=input.country,
        accredited_verifier=bool(input.accredited_verifier),
        **_keyed(actor(principal), None),
    )


def open_account(principal: Principal, input: Any) -> c.OpenAccount:
    kind = (input.kind or AccountKind.HOLDING).value
    return c.OpenAccount(
        organization_id=str(input.organization_id), kind=DomainAccountKind(kind), **_keyed(actor(principal), None)
    )


def transfer_credits(principal: Principal, input: Any) -> c.TransferCredits:
    return c.TransferCredits(
        from_account_id=str(input.from_account_id),
        to_account_id=str(input.to_account_id),
        batch_id=str(input.batch_id),
        quantity_t=int(input.quantity),
        **_keyed(actor(principal), input.idempotency_key),
    )


def retire_credits(principal: Principal, input: Any) -> c.RetireCredits:
    return c.RetireCredits(
        account_id=str(input.account_id),
        batch_id=str(input.batch_id),
        quantity_t=int(input.quantity),
        purpose=DomainRetirementPurpose(input.purpose.value),
        beneficiary=input.beneficiary,
        retirement_year=input.retirement_year,
        offset_emissions_t=input.offset_emissions,
        activity_description=input.activity_description or "",
        reporting_period_start=input.reporting_period_start,
        reporting_period_end=input.reporting_period_end,
        ets_scheme=input.ets_scheme,
        ets_obligation_t=None if input.ets_obligation is None else int(input.ets_obligation),
        **_keyed(actor(principal), input.idempotency_key),
    )


def cancel_credits(principal: Principal, input: Any) -> c.CancelCredits:
    return c.CancelCredits(
        account_id=str(input.account_id),
        batch_id=str(input.batch_id),
        quantity_t=int(input.quantity),
        purpose=DomainCancellationPurpose(input.purpose.value),
        beneficiary=input.beneficiary,
        **_keyed(actor(principal), input.idempotency_key),
    )


# ---- results and views -> types -------------------------------------------------------------


def block(b: Block) -> gql.UnitBlock:
    return gql.UnitBlock(
        batch_id=b.batch_id,
        serial_start=b.serial_start,
        serial_end=b.serial_end,
        quantity=Tonnes(b.quantity_t),
        status=UnitStatus(b.status.value),
    )


# The types' own field resolvers need these three too, so they live beside the types (no import cycle).
block_view = gql.block_view
organization_by_id = gql.organization_by_id
account = gql.account


def organization(result: r.OrganizationResult) -> gql.Organization:
    return gql.Organization(
        id=strawberry.ID(result.id),
        name=result.name,
        country=result.country,
        accredited_verifier=result.accredited_verifier,
        account_ids=list(result.account_ids),
    )


def account_of(account_id: str, kind: DomainAccountKind, organization_id: str) -> gql.Account:
    return gql.Account(id=strawberry.ID(account_id), kind=AccountKind(kind.value), organization_id=organization_id)


def transfer(result: r.TransferResult) -> gql.Transfer:
    return gql.Transfer(
        id=strawberry.ID(result.transfer_id),
        from_account_id=result.from_account_id,
        to_account_id=result.to_account_id,
        quantity=Tonnes(result.quantity_t),
        blocks=[block(b) for b in result.blocks],
        status=gql.TransferStatus(result.status.value),
        completes_at=result.completes_at if result.status is not DomainTransferStatus.COMPLETED else None,
    )


def trusted(entry: TrustedEntry | r.TrustedAccountResult) -> gql.TrustedAccount:
    return gql.TrustedAccount(
        trusted_account_id=strawberry.ID(entry.trusted_account_id),
        added_at=entry.added_at,
        effective_at=entry.effective_at,
    )


def retirement(view: UseView) -> gql.Retirement:
    return gql.Retirement(
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


def retired(result: r.RetirementResult) -> gql.Retirement:
    return gql.Retirement(
        id=strawberry.ID(result.retirement_id),
        account_id=result.account_id,
        batch_id=result.batch_id,
        quantity=Tonnes(result.quantity_t),
        serial_ranges=list(result.serial_ranges),
        purpose=RetirementPurpose(result.purpose.value),
        beneficiary=result.beneficiary,
        retirement_year=result.retirement_year,
        offset_emissions=result.offset_emissions_t,
        retired_at=result.retired_at,
        activity_description=result.activity_description or None,
        reporting_period_start=result.reporting_period_start,
        reporting_period_end=result.reporting_period_end,
        certificate_id=strawberry.ID(result.certificate_id),
        counts_toward_japan_ndc=result.counts_toward_japan_ndc,
    )


def cancellation(view: UseView) -> gql.Cancellation:
    return gql.Cancellation(
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


def cancelled(result: r.CancellationResult) -> gql.Cancellation:
    return gql.Cancellation(
        id=strawberry.ID(result.cancellation_id),
        account_id=result.account_id,
        batch_id=result.batch_id,
        quantity=Tonnes(result.quantity_t),
        serial_ranges=list(result.serial_ranges),
        purpose=CancellationPurpose(result.purpose.value),
        beneficiary=result.beneficiary,
        cancelled_at=result.cancelled_at,
        certificate_id=strawberry.ID(result.certificate_id),
    )


def certificate(body: dict[str, Any]) -> gql.Certificate:
    return gql.Certificate(
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
