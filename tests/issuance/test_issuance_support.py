"""Builders shared by the issuance service tests (no tests here): a database with the reference data,
the use-case dependencies wired to it, an in-memory registry, callers and a few lifecycle shortcuts."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from carbon.events.v1 import envelope_pb2
from sqlalchemy import Engine, insert, select

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.messaging.envelope import unpack_payload
from carbon_runtime.persistence.db import make_engine
from carbon_runtime.persistence.uow import UnitOfWork as RuntimeUnitOfWork
from carbon_runtime.settings import DEV_JWT_SECRET, AuthSettings
from carbon_runtime.transport.auth import Principal, TokenVerifier, issue_dev_token
from carbon_runtime.transport.grpc_runtime import build_server
from services.issuance.adapters import tables
from services.issuance.adapters.repositories import SqlUnitOfWork, methodology_values, program_values
from services.issuance.domain.project import ValidationOutcome
from services.issuance.domain.reference_data import METHODOLOGIES, PROGRAMS
from services.issuance.domain.values import Permanence, ReversalRisk
from services.issuance.service.common import Deps
from services.issuance.service.create_project import CreateProject, create_project
from services.issuance.service.ports import (
    BufferCancellationOrder,
    MintOrder,
    MintResult,
    OrganizationInfo,
)
from services.issuance.service.record_validation import record_validation
from services.issuance.service.record_verification import record_verification
from services.issuance.service.register_project import register_project
from services.issuance.service.request_validation import request_validation
from services.issuance.service.submit_monitoring_report import SubmitMonitoringReport, submit_monitoring_report
from tooling.devstack import free_port

PROPONENT_ORG = "org-proponent"
OTHER_ORG = "org-other"
VERIFIER_ORG = "org-verifier"
UNACCREDITED_ORG = "org-unaccredited"
HOLDING_ACCOUNT = "acct-holding"


def principal(sub: str, org: str | None, *roles: str) -> Principal:
    return Principal(sub, org, frozenset(roles), issue_dev_token(DEV_JWT_SECRET, sub, org, roles))


PROPONENT = principal("u-proponent", PROPONENT_ORG, "PROPONENT")
OTHER_PROPONENT = principal("u-other", OTHER_ORG, "PROPONENT")
VERIFIER = principal("u-verifier", VERIFIER_ORG, "VERIFIER")
UNACCREDITED_VERIFIER = principal("u-unaccredited", UNACCREDITED_ORG, "VERIFIER")
# A member of the proponent organization who also holds the VERIFIER role.
PROPONENT_AS_VERIFIER = principal("u-self-verifier", PROPONENT_ORG, "VERIFIER", "PROPONENT")
ADMIN = principal("u-admin", None, "PROGRAM_ADMIN")
ANONYMOUS = Principal(None, None)


class FakeRegistry:
    """The registry port in memory: MintBatch is idempotent per issuance id like the real one."""

    def __init__(self) -> None:
        self.organizations = {
            PROPONENT_ORG: OrganizationInfo(PROPONENT_ORG, "Proponent KK", False),
            OTHER_ORG: OrganizationInfo(OTHER_ORG, "Other KK", False),
            VERIFIER_ORG: OrganizationInfo(VERIFIER_ORG, "Accredited Verifier", True),
            UNACCREDITED_ORG: OrganizationInfo(UNACCREDITED_ORG, "Not Accredited", False),
        }
        self.down = False
        self.minted: dict[str, tuple[MintOrder, MintResult]] = {}
        self.mint_calls = 0
        self.cancellations: dict[str, BufferCancellationOrder] = {}

    def _check_up(self) -> None:
        if self.down:
            raise DomainError(ErrorCode.UNAVAILABLE, "DEPENDENCY_UNAVAILABLE", "registry is down; retry")

    def get_organization(self, organization_id: str, token: str | None) -> OrganizationInfo | None:
        self._check_up()
        return self.organizations.get(organization_id)

    def mint_batch(self, order: MintOrder, token: str | None) -> MintResult:
        self._check_up()
        self.mint_calls += 1
        if order.issuance_id not in self.minted:
            result = MintResult(
                order.batch_id,
                f"{order.serial_prefix}-1",
                f"{order.serial_prefix}-{order.issued_quantity_t}",
            )
            self.minted[order.issuance_id] = (order, result)
        return self.minted[order.issuance_id][1]

    def cancel_from_buffer(self, order: BufferCancellationOrder, token: str | None) -> str:
        self._check_up()
        self.cancellations.setdefault(order.reversal_id, order)
        return f"bc-{order.reversal_id}"


class StepClock:
    """Each call is one minute later, so history order is unambiguous."""

    def __init__(self, start: datetime = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)) -> None:
        self._ticks = itertools.count()
        self.start = start

    def __call__(self) -> datetime:
        return self.start + timedelta(minutes=next(self._ticks))


def seed_reference_data(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(tables.programs), [{**program_values(p), "buffer_account_id": None} for p in PROGRAMS])
        conn.execute(insert(tables.methodologies), [methodology_values(m) for m in METHODOLOGIES])


def fresh_engine(database_url: str) -> Engine:
    engine = make_engine(database_url)
    tables.metadata.create_all(engine)
    seed_reference_data(engine)
    return engine


@dataclass
class Env:
    engine: Engine
    registry: FakeRegistry
    deps: Deps
    ids: Iterator[int] = field(default_factory=itertools.count)


def make_env(engine: Engine, registry: Any | None = None) -> Env:
    fake = FakeRegistry()
    deps = Deps(
        uow=lambda: SqlUnitOfWork(RuntimeUnitOfWork(engine, tables.outbox, "issuance")),
        registry=registry if registry is not None else fake,
        clock=StepClock(),
    )
    return Env(engine, fake, deps)


# ---- observations -----------------------------------------------------------------------------

_STATE_TABLES = [t for t in tables.metadata.sorted_tables if t.name not in ("programs", "methodologies")]


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the use cases write, to prove a refused step changed nothing."""
    with engine.connect() as conn:
        return {t.name: sorted((tuple(r) for r in conn.execute(select(t))), key=repr) for t in _STATE_TABLES}


def events(engine: Engine) -> list[Any]:
    """Recorded event payloads, in log order."""
    with engine.connect() as conn:
        rows = conn.execute(select(tables.outbox.event_log.c.envelope).order_by(tables.outbox.event_log.c.position))
        return [unpack_payload(envelope_pb2.EventEnvelope.FromString(r[0])) for r in rows]


def event_names(engine: Engine) -> list[str]:
    return [e.DESCRIPTOR.name for e in events(engine)]


def assert_refused(env: Env, action: Any, code: ErrorCode, reason: str | None = None) -> DomainError:
    before = snapshot(env.engine)
    with pytest.raises(DomainError) as info:
        action()
    assert info.value.code == code, info.value
    if reason is not None:
        assert info.value.reason == reason, info.value
    assert snapshot(env.engine) == before
    return info.value


# ---- lifecycle shortcuts ----------------------------------------------------------------------

Y2024 = (date(2024, 1, 1), date(2024, 12, 31))
Y2025 = (date(2025, 1, 1), date(2025, 12, 31))


def project_command(**overrides: Any) -> CreateProject:
    values: dict[str, Any] = {
        "name": "Boiler replacement, Osaka",
        "program_id": "JCREDIT",
        "methodology_id": "JCREDIT:EN-S-001",
        "country": "JP",
        "proponent_id": PROPONENT_ORG,
        "verifier_id": VERIFIER_ORG,
        "crediting_period_start": date(2024, 1, 1),
        "crediting_period_end": date(2028, 12, 31),
        "co_benefits": (7, 13),
    }
    values.update(overrides)
    return CreateProject(**values)


def removal_command(**overrides: Any) -> CreateProject:
    values: dict[str, Any] = {
        "name": "Forest management, Nagano",
        "methodology_id": "JCREDIT:FO-001",
        "permanence": Permanence(ReversalRisk.MEDIUM),
    }
    values.update(overrides)
    return project_command(**values)


def new_project(env: Env, cmd: CreateProject | None = None) -> str:
    return create_project(env.deps, PROPONENT, cmd or project_command())


def validated_project(env: Env, cmd: CreateProject | None = None) -> str:
    project_id = new_project(env, cmd)
    request_validation(env.deps, PROPONENT, project_id)
    record_validation(env.deps, VERIFIER, project_id, ValidationOutcome.APPROVED, "design is sound")
    return project_id


def registered_project(env: Env, cmd: CreateProject | None = None) -> str:
    project_id = validated_project(env, cmd)
    register_project(env.deps, ADMIN, project_id)
    return project_id


def report_command(project_id: str, period: tuple[date, date] = Y2024, **overrides: Any) -> SubmitMonitoringReport:
    values: dict[str, Any] = {
        "project_id": project_id,
        "period_start": period[0],
        "period_end": period[1],
        "baseline_emissions": Decimal("1000.9"),
        "project_emissions": Decimal("400.2"),
        "leakage_emissions": Decimal("0.5"),
    }
    values.update(overrides)
    return SubmitMonitoringReport(**values)


def verified_report(
    env: Env, project_id: str, verified_t: int = 600, period: tuple[date, date] = Y2024, **overrides: Any
) -> str:
    report_id = submit_monitoring_report(env.deps, PROPONENT, report_command(project_id, period, **overrides))
    record_verification(env.deps, VERIFIER, report_id, verified_t)
    return report_id


def removal_report_overrides(removals: str = "1000") -> dict[str, Any]:
    return {
        "baseline_emissions": Decimal(0),
        "project_emissions": Decimal(0),
        "leakage_emissions": Decimal(0),
        "project_removals": Decimal(removals),
        "baseline_removals": Decimal(0),
    }


class GrpcServerThread:
    """A grpc.aio server (with the platform interceptor: tokens verified, DomainError mapped) on its
    own event loop in a background thread, for in-process peers."""

    def __init__(self, register: Callable[[Any], object], service_names: list[str], port: int | None = None) -> None:
        self.port = port or free_port()
        self.register = register
        self.service_names = service_names
        self.loop = asyncio.new_event_loop()
        self.started = threading.Event()
        self.stop_event: asyncio.Event | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())

    def _register(self, server: Any) -> None:
        self.register(server)

    async def _serve(self) -> None:
        server, _, _ = await build_server(
            host="127.0.0.1",
            port=self.port,
            verifier=TokenVerifier(AuthSettings(), production=False),
            register=self._register,
            service_names=self.service_names,
            max_message_bytes=4 * 1024 * 1024,
        )
        await server.start()
        self.stop_event = asyncio.Event()
        self.started.set()
        await self.stop_event.wait()
        await server.stop(0)

    def __enter__(self) -> GrpcServerThread:
        self.thread.start()
        assert self.started.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.stop_event is not None
        self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(10)
