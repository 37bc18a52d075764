"""Registry test support: principals and a small driver that calls the real handlers (the same code
gRPC and GraphQL run), plus inspection of the stored ledger."""

from __future__ import annotations

import itertools
from typing import Any

from carbon.issuance.v1 import types_pb2 as issuance_types
from carbon.registry.v1 import registry_pb2, types_pb2
from sqlalchemy import Engine, select

from carbon_runtime.persistence.db import make_engine
from carbon_runtime.persistence.uow import UnitOfWork
from carbon_runtime.transport.auth import Principal
from services.registry.adapters import repository as repo
from services.registry.adapters import tables as t
from services.registry.domain.blocks import UnitBlock, UnitStatus, check_invariants
from services.registry.service import (
    batch_totals,
    cancel_credits,
    create_organization,
    lock_credits,
    mint_batch,
    open_account,
    retire_credits,
    settle_credits,
    transfer_credits,
    unlock_credits,
    verify_journal,
)
from services.registry.service.common import RegistryDeps

ADMIN = Principal("admin", None, frozenset({"REGISTRY_ADMIN"}))
ISSUANCE = Principal("service:issuance", None, frozenset({"SERVICE"}))
EXCHANGE = Principal("service:trading", None, frozenset({"SERVICE"}))
AUDITOR = Principal("auditor", None, frozenset({"AUDITOR"}))
_counter = itertools.count(1)


def make_deps(engine: Engine) -> RegistryDeps:
    return RegistryDeps(engine=engine, uow=lambda: UnitOfWork(engine, t.outbox, "registry"))


class Registry:
    """Drives the handlers like a partner would, and inspects the stored ledger."""

    def __init__(self, deps: RegistryDeps) -> None:
        self.deps = deps

    # -- set-up ---------------------------------------------------------------------------
    def org(self, name: str = "Org", country: str = "JP") -> str:
        response = create_organization.create_organization(
            self.deps, ADMIN, registry_pb2.CreateOrganizationRequest(name=name, country=country)
        )
        return response.organization.organization_id

    def account(
        self, organization_id: str, kind: types_pb2.AccountKind.ValueType = types_pb2.ACCOUNT_KIND_HOLDING
    ) -> str:
        response = open_account.open_account(
            self.deps, ADMIN, registry_pb2.OpenAccountRequest(organization_id=organization_id, kind=kind)
        )
        return response.account.account_id

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
        return mint_batch.mint_batch(self.deps, ISSUANCE, request).batch_id

    # -- operations -----------------------------------------------------------------------
    def transfer(
        self, who: Principal, source: str, target: str, batch: str, quantity: int, key: str = ""
    ) -> registry_pb2.TransferResponse:
        return transfer_credits.transfer_credits(
            self.deps,
            who,
            registry_pb2.TransferRequest(
                idempotency_key=key, from_account_id=source, to_account_id=target, batch_id=batch, quantity_t=quantity
            ),
        )

    def retire(
        self, who: Principal, account: str, batch: str, quantity: int, key: str = "", year: int = 2024
    ) -> registry_pb2.RetireResponse:
        return retire_credits.retire_credits(
            self.deps,
            who,
            registry_pb2.RetireRequest(
                idempotency_key=key,
                account_id=account,
                batch_id=batch,
                quantity_t=quantity,
                purpose=types_pb2.RETIREMENT_PURPOSE_SHK_ADJUSTMENT,
                beneficiary="Example K.K.",
                retirement_year=year,
                offset_emissions_decimal="12.5",
            ),
        )

    def cancel(self, who: Principal, account: str, batch: str, quantity: int, key: str = "") -> Any:
        return cancel_credits.cancel_credits(
            self.deps,
            who,
            registry_pb2.CancelRequest(
                idempotency_key=key,
                account_id=account,
                batch_id=batch,
                quantity_t=quantity,
                purpose=types_pb2.CANCELLATION_PURPOSE_CORSIA,
                beneficiary="Airline",
            ),
        )

    def lock(
        self, who: Principal, account: str, quantity: int, lock_id: str, key: str = "", **criteria: Any
    ) -> registry_pb2.LockResponse:
        return lock_credits.lock_credits(
            self.deps,
            who,
            registry_pb2.LockRequest(
                idempotency_key=key,
                account_id=account,
                quantity_t=quantity,
                lock_id=lock_id,
                criteria=types_pb2.DeliveryCriteria(**criteria),
            ),
        )

    def settle(self, lock_id: str, quantity: int, target: str, key: str = "") -> registry_pb2.SettleResponse:
        return settle_credits.settle_credits(
            self.deps,
            EXCHANGE,
            registry_pb2.SettleRequest(
                idempotency_key=key, lock_id=lock_id, quantity_t=quantity, to_account_id=target, trade_id=f"T-{lock_id}"
            ),
        )

    def unlock(self, lock_id: str, quantity: int | None = None, key: str = "") -> registry_pb2.UnlockResponse:
        request = registry_pb2.UnlockRequest(idempotency_key=key, lock_id=lock_id)
        if quantity is not None:
            request.quantity_t = quantity
        return unlock_credits.unlock_credits(self.deps, EXCHANGE, request)

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
        assert batch_totals.reconcile(self.deps, ADMIN) == []
        assert verify_journal.verify_journal(self.deps).ok

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


def create_schema(url: str) -> Engine:
    engine = make_engine(url)
    t.metadata.create_all(engine)
    return engine
