"""Builders shared by the issuance unit tests (no tests here): domain objects, and the handlers run
through the message bus over the in-memory unit of work (no database)."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.messaging.bus import MessageBus
from services.issuance.domain import commands
from services.issuance.domain.actor import Actor
from services.issuance.domain.periods import Period
from services.issuance.domain.project import Project, ValidationOutcome
from services.issuance.domain.reference_data import get_methodology, get_program
from services.issuance.domain.values import Permanence, ReversalRisk
from services.issuance.service.handlers import HANDLERS
from services.issuance.service.messages import to_messages
from services.issuance.service.results import ProjectRef, ReportRef
from tests.support.fake_issuance_uow import FakeIssuanceUnitOfWork
from tests.support.fake_registry import FakeRegistry

T0 = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)

PROPONENT_ORG = "org-proponent"
VERIFIER_ORG = "org-verifier"
PROPONENT = Actor("u-proponent", PROPONENT_ORG, frozenset({"PROPONENT"}))
VERIFIER = Actor("u-verifier", VERIFIER_ORG, frozenset({"VERIFIER"}))
ADMIN = Actor("u-admin", None, frozenset({"PROGRAM_ADMIN"}))
CREDITING = Period(date(2024, 1, 1), date(2028, 12, 31))


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def new_project(**overrides: Any) -> Project:
    """A J-Credit boiler project (reduction) in Japan with an engaged verifier."""
    methodology_id = overrides.pop("methodology_id", "JCREDIT:EN-S-001")
    methodology = get_methodology(methodology_id)
    kwargs: dict[str, Any] = {
        "project_id": "prj-1",
        "actor": PROPONENT,
        "at": T0,
        "name": "Boiler replacement, Osaka",
        "program": get_program(methodology.program_id),
        "methodology": methodology,
        "host_country": "JP",
        "proponent_org_id": PROPONENT_ORG,
        "verifier_org_id": VERIFIER_ORG,
        "crediting_period": CREDITING,
        "co_benefits": [7, 13],
    }
    kwargs.update(overrides)
    return Project.create(**kwargs)


def new_removal_project(**overrides: Any) -> Project:
    """A J-Credit forest-management project (removal) rated MEDIUM risk (15 % buffer)."""
    overrides.setdefault("methodology_id", "JCREDIT:FO-001")
    overrides.setdefault("permanence", Permanence(ReversalRisk.MEDIUM))
    overrides.setdefault("name", "Forest management, Nagano")
    return new_project(**overrides)


def register(project: Project) -> Project:
    project.request_validation(PROPONENT, at(1))
    project.record_validation(VERIFIER, ValidationOutcome.APPROVED, True, at(2))
    project.register(ADMIN, at(3))
    return project


def refused(obj: object, action: Callable[[], object], code: ErrorCode, reason: str) -> DomainError:
    """Run a step that must be refused and prove it changed nothing."""
    before = copy.deepcopy(obj)
    with pytest.raises(DomainError) as info:
        action()
    assert (info.value.code, info.value.reason) == (code, reason), info.value
    assert obj == before
    return info.value


# ---- handlers over fakes ----------------------------------------------------------------------


class Handlers:
    """The message bus over the in-memory unit of work and the shared fake registry, with a clock
    that ticks a minute per call and sequential ids, as bootstrap wires them in production."""

    def __init__(self) -> None:
        self.uow = FakeIssuanceUnitOfWork()
        self.registry = FakeRegistry()
        self.ticks = itertools.count()
        self.ids = itertools.count(1)
        self.bus = MessageBus(
            lambda: self.uow,
            HANDLERS,
            to_messages,
            dependencies={
                "registry": self.registry,
                "import_registry": self.registry,
                "clock": lambda: T0 + timedelta(minutes=next(self.ticks)),
                "new_id": lambda: f"id-{next(self.ids)}",
            },
        )

    def handle(self, cmd: object) -> Any:
        return self.bus.handle(cmd)

    def refused(self, cmd: object, code: ErrorCode, reason: str) -> DomainError:
        """A command that must be refused, leaving the stores and the outbox as they were."""
        before = {name: copy.deepcopy(getattr(self.uow, name)) for name in self.uow.state_attributes}
        messages = list(self.uow.messages)
        with pytest.raises(DomainError) as info:
            self.bus.handle(cmd)
        assert (info.value.code, info.value.reason) == (code, reason), info.value
        assert {name: getattr(self.uow, name) for name in self.uow.state_attributes} == before
        assert self.uow.messages == messages
        return info.value

    # lifecycle shortcuts

    def create(self, **overrides: Any) -> str:
        values: dict[str, Any] = {
            "actor": PROPONENT,
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
        result: ProjectRef = self.handle(commands.CreateProject(**values))
        return result.project_id

    def registered(self, **overrides: Any) -> str:
        project_id = self.create(**overrides)
        self.handle(commands.RequestValidation(actor=PROPONENT, project_id=project_id))
        self.handle(
            commands.RecordValidation(actor=VERIFIER, project_id=project_id, outcome=ValidationOutcome.APPROVED)
        )
        self.handle(commands.RegisterProject(actor=ADMIN, project_id=project_id))
        return project_id

    def verified_report(self, project_id: str, verified_t: int = 600, **overrides: Any) -> str:
        values: dict[str, Any] = {
            "actor": PROPONENT,
            "project_id": project_id,
            "period_start": date(2024, 1, 1),
            "period_end": date(2024, 12, 31),
            "baseline_emissions": Decimal("1000.9"),
            "project_emissions": Decimal("400.2"),
            "leakage_emissions": Decimal("0.5"),
        }
        values.update(overrides)
        report: ReportRef = self.handle(commands.SubmitMonitoringReport(**values))
        self.handle(
            commands.RecordVerification(actor=VERIFIER, report_id=report.report_id, verified_quantity_t=verified_t)
        )
        return report.report_id
