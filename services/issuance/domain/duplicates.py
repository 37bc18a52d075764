"""Double-registration screening (DOMAIN.md section 2.2, "Unique": one tonne, one credit).

A project bridged from another registry, or the same activity registered under two programs, could be
credited twice for the same tonnes. Matches are only *potential* duplicates: a program admin resolves
them by recording that the other registration was cancelled or transitioned to this registry.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from .periods import Period
from .reference_data import MethodologyFamily


class RegistrationStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    CANCELLED = "CANCELLED"
    #: Moved to this registry; the other registry will issue nothing more for it.
    TRANSITIONED = "TRANSITIONED"


class DuplicateBasis(enum.StrEnum):
    SAME_ORIGIN_PROJECT = "SAME_ORIGIN_PROJECT"
    SAME_COUNTRY_FAMILY_AND_PERIOD = "SAME_COUNTRY_FAMILY_AND_PERIOD"


@dataclass(frozen=True, slots=True)
class OtherRegistration:
    """A registration elsewhere (another program here, or another registry) to screen against."""

    registration_id: str
    program_id: str
    #: The project's id within its own program or registry (e.g. "VCS-1234").
    project_id: str
    origin_project_id: str | None
    host_country: str
    methodology_family: MethodologyFamily
    crediting_period: Period | None
    status: RegistrationStatus = RegistrationStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class DuplicateMatch:
    registration_id: str
    program_id: str
    basis: DuplicateBasis


@dataclass(frozen=True, slots=True)
class ScreenedProject:
    """The attributes of a project that screening compares."""

    project_id: str
    program_id: str
    origin_project_id: str | None
    host_country: str
    methodology_family: MethodologyFamily
    crediting_period: Period | None


def _same_origin(project: ScreenedProject, other: OtherRegistration) -> bool:
    # Either side may name the other as its origin, or both may name the same origin.
    if project.origin_project_id is not None and project.origin_project_id in {
        other.project_id,
        other.origin_project_id,
    }:
        return True
    return other.origin_project_id is not None and other.origin_project_id == project.project_id


def _same_activity_elsewhere(project: ScreenedProject, other: OtherRegistration) -> bool:
    # Same program is excluded: one program registering many similar projects in one country is
    # normal (and the program itself prevents double registration within it).
    return (
        other.program_id != project.program_id
        and other.host_country == project.host_country
        and other.methodology_family == project.methodology_family
        and project.crediting_period is not None
        and other.crediting_period is not None
        and project.crediting_period.overlaps(other.crediting_period)
    )


def find_duplicates(project: ScreenedProject, others: Iterable[OtherRegistration]) -> tuple[DuplicateMatch, ...]:
    """Active registrations that may credit the same tonnes as `project`, each with why."""
    matches: list[DuplicateMatch] = []
    for other in others:
        if other.status is not RegistrationStatus.ACTIVE or other.registration_id == project.project_id:
            continue
        if _same_origin(project, other):
            matches.append(DuplicateMatch(other.registration_id, other.program_id, DuplicateBasis.SAME_ORIGIN_PROJECT))
        elif _same_activity_elsewhere(project, other):
            matches.append(
                DuplicateMatch(other.registration_id, other.program_id, DuplicateBasis.SAME_COUNTRY_FAMILY_AND_PERIOD)
            )
    return tuple(matches)
