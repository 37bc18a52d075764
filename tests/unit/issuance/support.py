"""Builders shared by the issuance domain tests (no tests here)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from services.issuance.domain.actor import Actor
from services.issuance.domain.periods import Period
from services.issuance.domain.project import Project, ValidationOutcome
from services.issuance.domain.reference_data import get_methodology, get_program
from services.issuance.domain.values import Permanence, ReversalRisk

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
