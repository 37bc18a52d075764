"""Registry integration-test support: principals, the registry's bus on a test database, and a small
driver that calls it like a partner would (the gRPC mapping of requests to commands and of results
to responses, so tests keep speaking the contract's messages), plus inspection of the stored ledger."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from carbon.issuance.v1 import types_pb2 as issuance_types
from carbon.registry.v1 import registry_pb2, types_pb2
from sqlalchemy import Engine, select

from carbon_runtime.transport.auth import Principal
from services.registry.adapters import repository as repo
from services.registry.adapters import tables as t
from services.registry.adapters.protos import mint_response
from services.registry.adapters.read_model import RegistryReadModel
from services.registry.bootstrap import sql_bus
from services.registry.domain import commands as c
from services.registry.domain.blocks import UnitBlock, UnitStatus, check_invariants
from services.registry.domain.safeguards import SafeguardPolicy
from services.registry.entrypoints import grpc_server as g
from services.registry.entrypoints.caller import actor_of
from services.registry.service import results as r
from services.registry.service.handlers import RegistryBus
from services.registry.service.ports import TrustedEntry

ADMIN = Principal("admin", None, frozenset({"REGISTRY_ADMIN"}))
ISSUANCE = Principal("service:issuance", None, frozenset({"SERVICE"}))
EXCHANGE = Principal("service:trading", None, frozenset({"SERVICE"}))
AUDITOR = Principal("auditor", None, frozenset({"AUDITOR"}))
_counter = itertools.count(1)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RegistryDeps:
    """What a test varies: the database, the transfer safeguards and the clock they run on."""

    engine: Engine
    safeguards: SafeguardPolicy = field(default_factory=SafeguardPolicy)
    clock: Callable[[], datetime] = utcnow

    @cached_property
    def bus(self) -> RegistryBus:
        return sql_bus(self.engine, safeguards=self.safeguards, clock=self.clock)

    @cached_property
    def reads(self) -> RegistryReadModel:
        return RegistryReadModel(self.engine)


def make_deps(engine: Engine) -> RegistryDeps:
    return RegistryDeps(engine=engine)


# Each request type with its command and response mappings (entrypoints/grpc_server.py).
_MUTATIONS: dict[type, tuple[Callable[[Any, Any], Any], Callable[[Any], Any]]] = {
    registry_pb2.CreateOrganizationRequest: (g.create_organization_command, g.create_organization_response),
    registry_pb2.OpenAccountRequest: (g.open_account_command, g.open_account_response),
    registry_pb2.MintBatchRequest: (g.mint_batch_command, mint_response),
    registry_pb2.TransferRequest: (g.transfer_command, g.transfer_response),
    registry_pb2.RetireRequest: (g.retire_command, g.retire_response),
    registry_pb2.CancelRequest: (g.cancel_command, g.cancel_response),
    registry_pb2.UseForNdcRequest: (g.use_for_ndc_command, g.use_for_ndc_response),
    registry_pb2.LockRequest: (g.lock_command, g.lock_response),
    registry_pb2.UnlockRequest: (g.unlock_command, g.unlock_response),
    registry_pb2.SettleRequest: (g.settle_command, g.settle_response),
    registry_pb2.CancelFromBufferRequest: (g.cancel_from_buffer_command, g.cancel_from_buffer_response),
    registry_pb2.ImportBatchRequest: (g.import_batch_command, g.import_batch_response),
    registry_pb2.ImportBlockEventRequest: (g.import_block_event_command, g.import_block_event_response),
    registry_pb2.AddTrustedAccountRequest: (g.add_trusted_account_command, g.add_trusted_account_response),
    registry_pb2.RemoveTrustedAccountRequest: (g.remove_trusted_account_command, g.remove_trusted_account_response),
    registry_pb2.ApproveTransferRequest: (g.approve_transfer_command, g.approve_transfer_response),
    registry_pb2.CancelTransferRequest: (g.cancel_transfer_command, g.cancel_transfer_response),
    registry_pb2.ReinstateAccountRequest: (g.reinstate_account_command, g.reinstate_account_response),
}


def call(deps: RegistryDeps, principal: Principal, request: Any) -> Any:
    """A mutation as the gRPC servicer runs it: request -> command -> bus -> response."""
    to_command, to_response = _MUTATIONS[type(request)]
    return g.run(deps.bus, request, actor_of(principal), to_command, to_response)


def batch_totals(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.GetBatchTotalsRequest
) -> registry_pb2.GetBatchTotalsResponse:
    from services.registry.domain.actor import require_role

    require_role(actor_of(principal), "SERVICE", "REGISTRY_ADMIN", "PROGRAM_ADMIN", "AUDITOR")
    return g.batch_totals_response(deps.reads.batch_totals(list(request.batch_ids)))


# The GraphQL forms of the safeguard mutations (no idempotency key), as the resolvers build them.


def approve_transfer(deps: RegistryDeps, principal: Principal, transfer_id: str) -> r.TransferResult:
    result: r.TransferResult = deps.bus.handle(c.ApproveTransfer(actor=actor_of(principal), transfer_id=transfer_id))
    return result


def cancel_transfer(deps: RegistryDeps, principal: Principal, transfer_id: str) -> r.TransferResult:
    result: r.TransferResult = deps.bus.handle(c.CancelTransfer(actor=actor_of(principal), transfer_id=transfer_id))
    return result


def reinstate_account(deps: RegistryDeps, principal: Principal, account_id: str) -> r.ReinstatedAccount:
    result: r.ReinstatedAccount = deps.bus.handle(c.ReinstateAccount(actor=actor_of(principal), account_id=account_id))
    return result


def add_trusted_account(
    deps: RegistryDeps, principal: Principal, account_id: str, trusted_account_id: str
) -> r.TrustedAccountResult:
    cmd = c.AddTrustedAccount(actor=actor_of(principal), account_id=account_id, trusted_account_id=trusted_account_id)
    result: r.TrustedAccountResult = deps.bus.handle(cmd)
    return result


def remove_trusted_account(deps: RegistryDeps, principal: Principal, account_id: str, trusted_account_id: str) -> bool:
    cmd = c.RemoveTrustedAccount(
        actor=actor_of(principal), account_id=account_id, trusted_account_id=trusted_account_id
    )
    deps.bus.handle(cmd)
    return True


def trusted_accounts(deps: RegistryDeps, principal: Principal, account_id: str) -> list[TrustedEntry]:
    return deps.reads.trusted_accounts(actor_of(principal), account_id)


def complete_due_transfers(deps: RegistryDeps, *, account_id: str | None = None) -> int:
    """One round of the background worker (reads never complete held transfers)."""
    result: r.CompletedTransfers = deps.bus.handle(c.CompleteDueHeldTransfers(account_id=account_id))
    return result.completed


class Registry:
    """Drives the registry like a partner would, and inspects the stored ledger."""

    def __init__(self, deps: RegistryDeps) -> None:
        self.deps = deps

    # -- set-up ---------------------------------------------------------------------------
    def org(self, name: str = "Org", country: str = "JP") -> str:
        response = call(self.deps, ADMIN, registry_pb2.CreateOrganizationRequest(name=name, country=country))
        return str(response.organization.organization_id)

    def account(
        self, organization_id: str, kind: types_pb2.AccountKind.ValueType = types_pb2.ACCOUNT_KIND_HOLDING
    ) -> str:
        response = call(self.deps, ADMIN, registry_pb2.OpenAccountRequest(organization_id=organization_id, kind=kind))
        return str(response.account.account_id)

    @staticmethod
    def holder(organization_id: str, *roles: str) -> Principal:
        return Principal(f"user-{organization_id}", organization_id, frozenset(roles or {"ACCOUNT_HOLDER", "TRADER"}))

    def mint_request(
        self,
        proponent: str,
        holder_account: str,
        quantity: int = 1000,
        *,
        buffer: int = 0,
        program: str = "JCREDIT",
        vintage: str = "2023",
        authorized: bool = False,
        category: issuance_types.CreditCategory.ValueType = issuance_types.CREDIT_CATEGORY_NDC_CONTRIBUTING,
        credit_type: issuance_types.CreditType.ValueType = issuance_types.CREDIT_TYPE_REDUCTION,
        batch_id: str | None = None,
    ) -> registry_pb2.MintBatchRequest:
        number = next(_counter)
        batch = batch_id or f"B{number:06d}"
        return registry_pb2.MintBatchRequest(
            idempotency_key=f"mint-{batch}",
            issuance_id=f"ISS-{batch}",
            batch_id=batch,
            attributes=issuance_types.CreditAttributes(
                project_id="P0000123",
                program_id=program,
                methodology_id="EN-S-001",
                country="JP",
                vintage_start=f"{vintage}-04-01",
                vintage_end=f"{vintage}-12-31",
                credit_type=credit_type,
                basis=issuance_types.CREDIT_BASIS_TECHNOLOGY,
                category=category,
                corresponding_adjustment=authorized,
                authorization=issuance_types.AUTHORIZATION_NDC if authorized else issuance_types.AUTHORIZATION_NONE,
                co_benefits=[7, 13],
                issuer_organization_id=proponent,
            ),
            serial_prefix="",
            issued_quantity_t=quantity,
            buffer_quantity_t=buffer,
            holder_account_id=holder_account,
        )

    def mint(self, proponent: str, holder_account: str, quantity: int = 1000, **kwargs: Any) -> str:
        request = self.mint_request(proponent, holder_account, quantity, **kwargs)
        return str(call(self.deps, ISSUANCE, request).batch_id)

    # -- operations -----------------------------------------------------------------------
    def transfer(
        self, who: Principal, source: str, target: str, batch: str, quantity: int, key: str = ""
    ) -> registry_pb2.TransferResponse:
        request = registry_pb2.TransferRequest(
            idempotency_key=key, from_account_id=source, to_account_id=target, batch_id=batch, quantity_t=quantity
        )
        response: registry_pb2.TransferResponse = call(self.deps, who, request)
        return response

    def retire(
        self, who: Principal, account: str, batch: str, quantity: int, key: str = "", year: int = 2024
    ) -> registry_pb2.RetireResponse:
        request = registry_pb2.RetireRequest(
            idempotency_key=key,
            account_id=account,
            batch_id=batch,
            quantity_t=quantity,
            purpose=types_pb2.RETIREMENT_PURPOSE_SHK_ADJUSTMENT,
            beneficiary="Example K.K.",
            retirement_year=year,
            offset_emissions_decimal="12.5",
        )
        response: registry_pb2.RetireResponse = call(self.deps, who, request)
        return response

    def cancel(self, who: Principal, account: str, batch: str, quantity: int, key: str = "") -> Any:
        request = registry_pb2.CancelRequest(
            idempotency_key=key,
            account_id=account,
            batch_id=batch,
            quantity_t=quantity,
            purpose=types_pb2.CANCELLATION_PURPOSE_OTHER_INTERNATIONAL_SCHEME,
            beneficiary="Airline",
        )
        return call(self.deps, who, request)

    def lock(
        self, who: Principal, account: str, quantity: int, lock_id: str, key: str = "", **criteria: Any
    ) -> registry_pb2.LockResponse:
        request = registry_pb2.LockRequest(
            idempotency_key=key,
            account_id=account,
            quantity_t=quantity,
            lock_id=lock_id,
            criteria=types_pb2.DeliveryCriteria(**criteria),
        )
        response: registry_pb2.LockResponse = call(self.deps, who, request)
        return response

    def settle(self, lock_id: str, quantity: int, target: str, key: str = "") -> registry_pb2.SettleResponse:
        request = registry_pb2.SettleRequest(
            idempotency_key=key, lock_id=lock_id, quantity_t=quantity, to_account_id=target, trade_id=f"T-{lock_id}"
        )
        response: registry_pb2.SettleResponse = call(self.deps, EXCHANGE, request)
        return response

    def unlock(self, lock_id: str, quantity: int | None = None, key: str = "") -> registry_pb2.UnlockResponse:
        request = registry_pb2.UnlockRequest(idempotency_key=key, lock_id=lock_id)
        if quantity is not None:
            request.quantity_t = quantity
        response: registry_pb2.UnlockResponse = call(self.deps, EXCHANGE, request)
        return response

    # -- inspection -----------------------------------------------------------------------
    def balance(self, account: str) -> int:
        with self.deps.engine.connect() as conn:
            return repo.account_quantities(conn, account)[0]

    def locked(self, account: str) -> int:
        with self.deps.engine.connect() as conn:
            return repo.account_quantities(conn, account)[1]

    def blocks(self, batch: str) -> list[UnitBlock]:
        with self.deps.engine.connect() as conn:
            return repo.load_blocks(conn, batch)

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table: 'nothing changed' means this is equal before and after."""
        with self.deps.engine.connect() as conn:
            return {
                name: sorted(tuple(str(v) for v in row) for row in conn.execute(select(table)))
                for name, table in t.metadata.tables.items()
            }

    def sink(self, organization_id: str, kind: str) -> str:
        return f"{kind}-{organization_id}"

    def assert_invariants(self) -> None:
        with self.deps.engine.connect() as conn:
            batches = [repo.batch_from_row(row) for row in conn.execute(select(t.batches))]
            for batch in batches:
                blocks = repo.load_blocks(conn, batch.id)
                check_invariants(batch, blocks)
                assert all(b.quantity > 0 for b in blocks)
        assert self.deps.reads.reconcile() == []
        assert self.deps.reads.verify_journal().ok

    def terminal_blocks(self) -> set[tuple[str, int, int, str]]:
        return {
            (b.batch_id, unit, unit, b.status.value)
            for batch in self.batch_ids()
            for b in self.blocks(batch)
            if b.status in (UnitStatus.RETIRED, UnitStatus.CANCELLED, UnitStatus.NDC_USED)
            for unit in (b.start, b.end)
        }

    def batch_ids(self) -> list[str]:
        with self.deps.engine.connect() as conn:
            return [row.id for row in conn.execute(select(t.batches.c.id))]
