"""Double-registration screening: a potential duplicate cannot issue until resolved."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from carbon_runtime.errors import ErrorCode
from services.issuance.domain.duplicates import (
    DuplicateBasis,
    OtherRegistration,
    RegistrationStatus,
    ScreenedProject,
    find_duplicates,
)
from services.issuance.domain.events import DuplicateRegistrationCleared, DuplicateRegistrationFlagged
from services.issuance.domain.monitoring import MonitoringReport, ReductionQuantification
from services.issuance.domain.periods import Period
from services.issuance.domain.reference_data import MethodologyFamily
from tests.unit.issuance.support import (
    ADMIN,
    PROPONENT,
    VERIFIER,
    at,
    new_project,
    refused,
    register,
)

SCREENED = ScreenedProject(
    project_id="prj-1",
    program_id="JCREDIT",
    origin_project_id="VCS-981",
    host_country="JP",
    methodology_family=MethodologyFamily.RENEWABLE_ELECTRICITY,
    crediting_period=Period(date(2024, 1, 1), date(2028, 12, 31)),
)


def _other(**overrides: object) -> OtherRegistration:
    fields: dict[str, object] = {
        "registration_id": "reg-9",
        "program_id": "VCS",
        "project_id": "VCS-555",
        "origin_project_id": None,
        "host_country": "JP",
        "methodology_family": MethodologyFamily.LANDFILL_GAS,
        "crediting_period": Period(date(2020, 1, 1), date(2023, 12, 31)),
        "status": RegistrationStatus.ACTIVE,
    }
    fields.update(overrides)
    return OtherRegistration(**fields)  # type: ignore[arg-type]


def test_same_origin_project_id_is_a_potential_duplicate() -> None:
    for other in (
        _other(project_id="VCS-981"),
        _other(origin_project_id="VCS-981"),
        _other(origin_project_id="prj-1"),
    ):
        (match,) = find_duplicates(SCREENED, [other])
        assert match.basis is DuplicateBasis.SAME_ORIGIN_PROJECT


def test_same_country_family_and_overlapping_period_in_another_program_is_a_potential_duplicate() -> None:
    other = _other(
        methodology_family=MethodologyFamily.RENEWABLE_ELECTRICITY,
        crediting_period=Period(date(2028, 12, 31), date(2030, 1, 1)),
    )
    (match,) = find_duplicates(SCREENED, [other])
    assert (match.registration_id, match.basis) == ("reg-9", DuplicateBasis.SAME_COUNTRY_FAMILY_AND_PERIOD)


def test_no_duplicate_when_period_country_family_or_program_differ() -> None:
    renewable = MethodologyFamily.RENEWABLE_ELECTRICITY
    others = [
        _other(methodology_family=renewable),  # periods do not overlap
        _other(methodology_family=renewable, host_country="KR", crediting_period=SCREENED.crediting_period),
        _other(crediting_period=SCREENED.crediting_period),  # other family
        _other(program_id="JCREDIT", methodology_family=renewable, crediting_period=SCREENED.crediting_period),
        _other(methodology_family=renewable, crediting_period=None),
    ]
    assert find_duplicates(SCREENED, others) == ()


def test_cancelled_or_transitioned_registrations_and_the_project_itself_are_not_duplicates() -> None:
    others = [
        _other(project_id="VCS-981", status=RegistrationStatus.CANCELLED),
        _other(project_id="VCS-981", status=RegistrationStatus.TRANSITIONED),
        _other(registration_id="prj-1", project_id="VCS-981"),
    ]
    assert find_duplicates(SCREENED, others) == ()


def test_flagged_project_cannot_issue_until_other_registration_is_cancelled() -> None:
    project = register(new_project(origin_project_id="VCS-981"))
    report = MonitoringReport.submit(
        report_id="mr-1",
        project=project,
        actor=PROPONENT,
        period=Period(date(2024, 1, 1), date(2024, 12, 31)),
        quantification=ReductionQuantification(Decimal(100), Decimal(10)),
        earlier_reports=(),
        at=at(10),
    )
    report.record_verification(
        actor=VERIFIER, project=project, verified_quantity_t=90, verifier_accredited=True, at=at(11)
    )
    events = project.screen_for_duplicates([_other(project_id="VCS-981")], ADMIN, at(12))
    assert [type(e) for e in events] == [DuplicateRegistrationFlagged]
    error = refused(
        report,
        lambda: report.issue(actor=ADMIN, project=project, at=at(13)),
        ErrorCode.FAILED_PRECONDITION,
        "DUPLICATE_REGISTRATION",
    )
    assert error.details["registration_ids"] == ["reg-9"]
    cleared = project.record_other_registration_closed(ADMIN, "reg-9", RegistrationStatus.CANCELLED, at(14))
    assert isinstance(cleared, DuplicateRegistrationCleared)
    assert report.issue(actor=ADMIN, project=project, at=at(15)).issued_quantity_t == 90


def test_screening_clears_flags_when_the_other_registration_is_listed_as_transitioned() -> None:
    project = new_project(origin_project_id="VCS-981")
    project.screen_for_duplicates([_other(project_id="VCS-981")], ADMIN, at(1))
    again = project.screen_for_duplicates([_other(project_id="VCS-981")], ADMIN, at(2))
    assert again == []  # an open flag is not raised twice
    events = project.screen_for_duplicates(
        [_other(project_id="VCS-981", status=RegistrationStatus.TRANSITIONED)], ADMIN, at(3)
    )
    assert [type(e) for e in events] == [DuplicateRegistrationCleared]
    assert project.duplicate_flags == {}


def test_closing_a_duplicate_needs_program_admin_a_closed_status_and_an_open_flag() -> None:
    project = new_project(origin_project_id="VCS-981")
    project.screen_for_duplicates([_other(project_id="VCS-981")], ADMIN, at(1))
    refused(
        project,
        lambda: project.record_other_registration_closed(PROPONENT, "reg-9", RegistrationStatus.CANCELLED, at(2)),
        ErrorCode.FORBIDDEN,
        "ROLE_REQUIRED",
    )
    refused(
        project,
        lambda: project.record_other_registration_closed(ADMIN, "reg-9", RegistrationStatus.ACTIVE, at(2)),
        ErrorCode.INVALID_ARGUMENT,
        "REGISTRATION_STILL_ACTIVE",
    )
    refused(
        project,
        lambda: project.record_other_registration_closed(ADMIN, "reg-404", RegistrationStatus.CANCELLED, at(2)),
        ErrorCode.NOT_FOUND,
        "DUPLICATE_FLAG_NOT_FOUND",
    )
