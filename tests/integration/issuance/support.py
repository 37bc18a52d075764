"""Builders shared by the issuance integration tests (no tests here): the message bus wired to a
database (the `env` fixture's, at the issuance migration head, which seeds the reference data) with
the shared in-memory registry (tests/support/fake_registry.py), callers, and the use cases called the
way an entrypoint calls them (principal -> command -> bus)."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from carbon.events.v1 import envelope_pb2
from sqlalchemy import Engine, select

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.messaging.bus import MessageBus
from carbon_runtime.messaging.envelope import unpack_payload
from carbon_runtime.settings import DEV_JWT_SECRET, AuthSettings
from carbon_runtime.transport.auth import Principal, TokenVerifier, issue_dev_token
from carbon_runtime.transport.grpc_runtime import build_server
from services.issuance.adapters import tables
from services.issuance.adapters.unit_of_work import IssuanceUnitOfWork
from services.issuance.bootstrap import build_bus
from services.issuance.domain import commands
from services.issuance.domain.duplicates import RegistrationStatus
from services.issuance.domain.project import ValidationOutcome
from services.issuance.domain.reference_data import (
    CreditBasis,
    CreditType,
    ExchangeCategory,
    MethodologyFamily,
    ProgramScope,
    Sector,
)
from services.issuance.domain.values import (
    Additionality,
    Article6Authorization,
    JapanTies,
    Permanence,
    ProjectDocument,
    ReversalRisk,
    Site,
)
from services.issuance.entrypoints.caller import actor_of
from services.issuance.service.results import BatchRef, MethodologyRef, ProgramRef, ProjectRef, ReportRef, ReversalRef
from tests.support.fake_registry import OTHER_ORG, PROPONENT_ORG, UNACCREDITED_ORG, VERIFIER_ORG, FakeRegistry
from tooling.devstack import free_port

__all__ = ["OTHER_ORG", "PROPONENT_ORG", "UNACCREDITED_ORG", "VERIFIER_ORG", "FakeRegistry"]

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


class StepClock:
    """Each call is one minute later, so history order is unambiguous."""

    def __init__(self, start: datetime = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)) -> None:
        self._ticks = itertools.count()
        self.start = start

    def __call__(self) -> datetime:
        return self.start + timedelta(minutes=next(self._ticks))


@dataclass
class Deps:
    """What the use-case callers below need: the bus (and the registry it calls, for assertions)."""

    bus: MessageBus[IssuanceUnitOfWork]
    registry: Any


@dataclass
class Env:
    engine: Engine
    registry: FakeRegistry
    deps: Deps
    ids: Iterator[int] = field(default_factory=itertools.count)


def make_env(engine: Engine, registry: Any | None = None) -> Env:
    fake = FakeRegistry()
    port = registry if registry is not None else fake
    bus = build_bus(engine, registry=port, import_registry=port, clock=StepClock())
    return Env(engine, fake, Deps(bus, port))


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


# ---- the use cases, called as an entrypoint calls them ------------------------------------------
#
# Requests are what a client sends (no caller in them); each caller below names the caller from the
# principal (as entrypoints/caller.py does), sends the command through the bus and answers the id.


def _fields(request: Any) -> dict[str, Any]:
    return {f.name: getattr(request, f.name) for f in dataclasses.fields(request)}


def _caller(principal: Principal) -> dict[str, Any]:
    return {"actor": actor_of(principal), "token": principal.token}


@dataclass(frozen=True)
class CreateProject:
    name: str
    program_id: str
    methodology_id: str
    country: str
    proponent_id: str
    verifier_id: str | None = None
    crediting_period_start: date | None = None
    crediting_period_end: date | None = None
    co_benefits: tuple[int, ...] = ()
    idempotency_key: str | None = None
    region: str | None = None
    permanence: Permanence | None = None
    additionality: Additionality | None = None
    japan_ties: JapanTies | None = None
    authorization: Article6Authorization | None = None
    program_type: bool = False
    sites: tuple[Site, ...] = ()
    documents: tuple[ProjectDocument, ...] = ()
    origin_project_id: str | None = None


@dataclass(frozen=True)
class SubmitMonitoringReport:
    project_id: str
    period_start: date
    period_end: date
    baseline_emissions: Decimal
    project_emissions: Decimal
    leakage_emissions: Decimal = Decimal(0)
    project_removals: Decimal | None = None
    baseline_removals: Decimal | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class IssueCredits:
    monitoring_report_id: str
    account_id: str
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ReportReversal:
    project_id: str
    quantity_t: int
    occurred_on: date
    description: str
    batch_id: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ProgramChange:
    program_id: str
    name: str | None = None
    operator: str | None = None
    scope: ProgramScope | None = None
    japanese: bool | None = None
    icroa_endorsed: bool | None = None
    corresponding_adjustment_possible: bool | None = None
    allowed_host_countries: tuple[str, ...] | None = None
    buffer_account_id: str | None = None


@dataclass(frozen=True)
class MethodologyChange:
    methodology_id: str
    program_id: str | None = None
    code: str | None = None
    title: str | None = None
    credit_type: CreditType | None = None
    basis: CreditBasis | None = None
    sector: Sector | None = None
    family: MethodologyFamily | None = None
    exchange_category: ExchangeCategory | None = None


def create_project(deps: Deps, principal: Principal, request: CreateProject) -> str:
    cmd = commands.CreateProject(**_caller(principal), **_fields(request))
    result: ProjectRef = deps.bus.handle(cmd)
    return result.project_id


def _project_step(deps: Deps, cmd: object) -> str:
    result: ProjectRef = deps.bus.handle(cmd)
    return result.project_id


def engage_verifier(deps: Deps, principal: Principal, project_id: str, verifier_id: str) -> str:
    cmd = commands.EngageVerifier(**_caller(principal), project_id=project_id, verifier_id=verifier_id)
    return _project_step(deps, cmd)


def request_validation(deps: Deps, principal: Principal, project_id: str) -> str:
    return _project_step(deps, commands.RequestValidation(**_caller(principal), project_id=project_id))


def record_validation(
    deps: Deps, principal: Principal, project_id: str, outcome: ValidationOutcome, comment: str | None
) -> str:
    cmd = commands.RecordValidation(**_caller(principal), project_id=project_id, outcome=outcome, comment=comment)
    return _project_step(deps, cmd)


def request_changes(deps: Deps, principal: Principal, project_id: str, comment: str) -> str:
    return _project_step(deps, commands.RequestChanges(**_caller(principal), project_id=project_id, comment=comment))


def register_project(deps: Deps, principal: Principal, project_id: str) -> str:
    return _project_step(deps, commands.RegisterProject(**_caller(principal), project_id=project_id))


def withdraw_project(deps: Deps, principal: Principal, project_id: str, reason: str) -> str:
    return _project_step(deps, commands.WithdrawProject(**_caller(principal), project_id=project_id, reason=reason))


def clear_duplicate_flag(
    deps: Deps, principal: Principal, project_id: str, registration_id: str, status: RegistrationStatus
) -> str:
    cmd = commands.ClearDuplicateFlag(
        **_caller(principal), project_id=project_id, registration_id=registration_id, status=status
    )
    return _project_step(deps, cmd)


def submit_monitoring_report(deps: Deps, principal: Principal, request: SubmitMonitoringReport) -> str:
    result: ReportRef = deps.bus.handle(commands.SubmitMonitoringReport(**_caller(principal), **_fields(request)))
    return result.report_id


def record_verification(deps: Deps, principal: Principal, report_id: str, verified_quantity_t: int) -> str:
    cmd = commands.RecordVerification(
        **_caller(principal), report_id=report_id, verified_quantity_t=verified_quantity_t
    )
    result: ReportRef = deps.bus.handle(cmd)
    return result.report_id


def issue_credits(deps: Deps, principal: Principal, request: IssueCredits) -> str:
    result: BatchRef = deps.bus.handle(commands.IssueCredits(**_caller(principal), **_fields(request)))
    return result.batch_id


def report_reversal(deps: Deps, principal: Principal, request: ReportReversal) -> str:
    result: ReversalRef = deps.bus.handle(commands.ReportReversal(**_caller(principal), **_fields(request)))
    return result.reversal_id


def create_program(deps: Deps, principal: Principal, request: ProgramChange) -> str:
    result: ProgramRef = deps.bus.handle(commands.CreateProgram(**_caller(principal), **_fields(request)))
    return result.program_id


def update_program(deps: Deps, principal: Principal, request: ProgramChange) -> str:
    result: ProgramRef = deps.bus.handle(commands.UpdateProgram(**_caller(principal), **_fields(request)))
    return result.program_id


def create_methodology(deps: Deps, principal: Principal, request: MethodologyChange) -> str:
    result: MethodologyRef = deps.bus.handle(commands.CreateMethodology(**_caller(principal), **_fields(request)))
    return result.methodology_id


def update_methodology(deps: Deps, principal: Principal, request: MethodologyChange) -> str:
    result: MethodologyRef = deps.bus.handle(commands.UpdateMethodology(**_caller(principal), **_fields(request)))
    return result.methodology_id


# ---- lifecycle shortcuts ----------------------------------------------------------------------

Y2024 = (date(2024, 1, 1), date(2024, 12, 31))
# The period after Y2024 that has ended by the test clock (2025-04-01): a monitoring period ending after
# today is refused (issue 13 item 5, 「MRV…を経て」).
Y2025 = (date(2025, 1, 1), date(2025, 3, 31))


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
