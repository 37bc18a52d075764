"""Registry unit-test support: the registry's bus over the in-memory unit of work, a settable clock,
and a few actors and set-up commands (no database)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from carbon_runtime.vocabulary import CreditBasis, CreditCategory, CreditType
from services.registry.bootstrap import build_bus
from services.registry.domain import commands as c
from services.registry.domain.actor import Actor, idempotency_scope
from services.registry.domain.safeguards import SafeguardPolicy
from services.registry.service.handlers import RegistryBus
from services.registry.service.ports import RegistryUnitOfWork
from tests.support.fake_registry_uow import FakeRegistryUnitOfWork

ADMIN = Actor("admin", None, frozenset({"REGISTRY_ADMIN"}))
ISSUANCE = Actor("service:issuance", None, frozenset({"SERVICE"}))


def holder(organization_id: str, user_id: str | None = None) -> Actor:
    return Actor(user_id or f"user-{organization_id}", organization_id, frozenset({"ACCOUNT_HOLDER", "TRADER"}))


def keyed(actor: Actor, key: str | None) -> dict[str, object]:
    return {"actor": actor, "idempotency_key": key, "idempotency_scope": idempotency_scope(actor)}


@dataclass
class Clock:
    now: datetime = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class World:
    """A proponent holding batch `batch` (1000 t) in `proponent_account`, and a buyer's account."""

    bus: RegistryBus
    uow: FakeRegistryUnitOfWork
    clock: Clock
    proponent: str = ""
    buyer: str = ""
    proponent_account: str = ""
    buyer_account: str = ""
    batch: str = ""

    def balance(self, account_id: str) -> int:
        return sum(
            b.quantity
            for blocks in self.uow.blocks.values()
            for b in blocks
            if b.account_id == account_id and b.status.value == "HELD"
        )


def world(**policy: Any) -> World:
    clock = Clock()
    uow = FakeRegistryUnitOfWork(clock)
    counter = itertools.count(1)

    def unit_of_work() -> RegistryUnitOfWork:  # typed: mypy checks the fake against the port
        return uow

    bus = build_bus(
        unit_of_work, safeguards=SafeguardPolicy(**policy), clock=clock, ids=lambda: f"ID{next(counter):04d}"
    )
    w = World(bus, uow, clock)
    w.proponent = bus.handle(c.CreateOrganization(actor=ADMIN, name="Proponent K.K.", country="JP")).id
    w.buyer = bus.handle(c.CreateOrganization(actor=ADMIN, name="Buyer Ltd", country="GB")).id
    w.proponent_account = bus.handle(c.OpenAccount(actor=ADMIN, organization_id=w.proponent)).id
    w.buyer_account = bus.handle(c.OpenAccount(actor=ADMIN, organization_id=w.buyer)).id
    w.batch = bus.handle(
        c.MintBatch(
            actor=ISSUANCE,
            issuance_id="ISS-B000001",
            batch_id="B000001",
            attributes=c.CreditAttributes(
                project_id="P0000123",
                program_id="JCREDIT",
                methodology_id="EN-S-001",
                country="JP",
                vintage_start=date(2023, 4, 1),
                vintage_end=date(2023, 12, 31),
                credit_type=CreditType.REDUCTION,
                basis=CreditBasis.TECHNOLOGY,
                category=CreditCategory.NDC_CONTRIBUTING,
                issuer_organization_id=w.proponent,
            ),
            issued_quantity_t=1000,
            holder_account_id=w.proponent_account,
        )
    ).batch_id
    return w
