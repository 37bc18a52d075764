"""Creating a project: every attribute is validated before the aggregate exists."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from services.issuance.domain.actor import Actor
from services.issuance.domain.events import DocumentAdded, ProjectCreated, SiteAdded
from services.issuance.domain.periods import Period
from services.issuance.domain.project import ProjectStatus
from services.issuance.domain.reference_data import get_methodology, get_program
from services.issuance.domain.values import (
    BUFFER_PERCENT_BY_RISK,
    Additionality,
    AdditionalityTest,
    Article6Authorization,
    AuthorizationPurpose,
    JapanTies,
    Permanence,
    ProjectDocument,
    ReversalRisk,
    Site,
)
from tests.unit.issuance.support import (
    PROPONENT,
    PROPONENT_ORG,
    T0,
    VERIFIER,
    at,
    new_project,
    new_removal_project,
    refused,
)

SHA = "a" * 64


def _refused_creation(code: ErrorCode, reason: str, **overrides: Any) -> None:
    with pytest.raises(DomainError) as info:
        new_project(**overrides)
    assert (info.value.code, info.value.reason) == (code, reason)


def test_create_records_draft_status_actor_time_and_event() -> None:
    project = new_project(region="Kansai")
    assert project.status is ProjectStatus.DRAFT
    assert project.history[0].to_status is ProjectStatus.DRAFT
    assert (project.history[0].actor_user_id, project.history[0].at) == ("u-proponent", T0)
    assert project.co_benefits == (7, 13)
    event = project.events[0]
    assert isinstance(event, ProjectCreated)
    assert (event.program_id, event.methodology_id, event.host_country) == (
        "JCREDIT",
        "JCREDIT:EN-S-001",
        "JP",
    )


def test_create_requires_proponent_of_the_proponent_organization() -> None:
    _refused_creation(ErrorCode.FORBIDDEN, "ROLE_REQUIRED", actor=VERIFIER)
    other_org = Actor("u-x", "org-other", frozenset({"PROPONENT"}))
    _refused_creation(ErrorCode.FORBIDDEN, "WRONG_ORGANIZATION", actor=other_org)


@pytest.mark.parametrize("country", ["jp", "XX", "JPN", ""])
def test_create_rejects_host_country_that_is_not_iso_alpha2(country: str) -> None:
    _refused_creation(ErrorCode.INVALID_ARGUMENT, "INVALID_COUNTRY", host_country=country)


def test_create_rejects_host_country_the_program_does_not_credit() -> None:
    _refused_creation(ErrorCode.INVALID_ARGUMENT, "HOST_COUNTRY_NOT_ELIGIBLE", host_country="VN")
    _refused_creation(
        ErrorCode.INVALID_ARGUMENT,
        "HOST_COUNTRY_NOT_ELIGIBLE",
        methodology_id="JCM:VN_AM001",
        host_country="FR",
    )


def test_create_rejects_methodology_of_another_program() -> None:
    _refused_creation(
        ErrorCode.INVALID_ARGUMENT,
        "METHODOLOGY_NOT_IN_PROGRAM",
        program=get_program("VCS"),
        methodology=get_methodology("JCREDIT:EN-S-001"),
    )


@pytest.mark.parametrize("sdg", [0, 18, -1])
def test_create_rejects_co_benefits_outside_sdg_1_to_17(sdg: int) -> None:
    _refused_creation(ErrorCode.INVALID_ARGUMENT, "INVALID_SDG", co_benefits=[3, sdg])


def test_co_benefits_are_deduplicated_and_sorted() -> None:
    assert new_project(co_benefits=[17, 1, 17]).co_benefits == (1, 17)


def test_create_rejects_verifier_that_is_the_proponent() -> None:
    _refused_creation(ErrorCode.INVALID_ARGUMENT, "VERIFIER_IS_PROPONENT", verifier_org_id=PROPONENT_ORG)


def test_removal_project_requires_permanence_and_reduction_refuses_it() -> None:
    _refused_creation(ErrorCode.INVALID_ARGUMENT, "PERMANENCE_REQUIRED", methodology_id="JCREDIT:FO-001")
    _refused_creation(ErrorCode.INVALID_ARGUMENT, "PERMANENCE_NOT_APPLICABLE", permanence=Permanence(ReversalRisk.LOW))


def test_buffer_percentage_follows_the_documented_risk_table() -> None:
    assert BUFFER_PERCENT_BY_RISK == {
        ReversalRisk.LOW: 10,
        ReversalRisk.MEDIUM: 15,
        ReversalRisk.HIGH: 25,
        ReversalRisk.VERY_HIGH: 40,
    }
    assert new_removal_project(permanence=Permanence(ReversalRisk.VERY_HIGH)).buffer_percent == 40
    assert new_project().buffer_percent == 0
    assert Permanence(ReversalRisk.LOW).commitment_years == 100


def test_permanence_rejects_non_positive_commitment() -> None:
    with pytest.raises(DomainError) as info:
        Permanence(ReversalRisk.LOW, commitment_years=0)
    assert info.value.reason == "INVALID_PERMANENCE"


def test_additionality_records_test_and_requires_evidence() -> None:
    project = new_project(additionality=Additionality(AdditionalityTest.INVESTMENT_ANALYSIS, "IRR analysis v2"))
    assert project.additionality is not None
    assert project.additionality.test is AdditionalityTest.INVESTMENT_ANALYSIS
    with pytest.raises(DomainError) as info:
        Additionality(AdditionalityTest.BARRIER_ANALYSIS, "  ")
    assert info.value.reason == "ADDITIONALITY_EVIDENCE_REQUIRED"


@pytest.mark.parametrize("share", [Decimal("-0.01"), Decimal("1.01"), Decimal("NaN")])
def test_japanese_investment_share_must_be_between_0_and_1(share: Decimal) -> None:
    with pytest.raises(DomainError) as info:
        JapanTies(japanese_investment_share=share)
    assert (info.value.code, info.value.reason) == (ErrorCode.INVALID_ARGUMENT, "INVALID_INVESTMENT_SHARE")


def test_japanese_investment_share_refuses_float() -> None:
    with pytest.raises(DomainError):
        JapanTies(japanese_investment_share=0.5)  # type: ignore[arg-type]


def test_authorization_only_on_programs_that_can_carry_a_corresponding_adjustment() -> None:
    authorization = Article6Authorization("LoA-1", frozenset({AuthorizationPurpose.NDC}), date(2024, 5, 1))
    _refused_creation(ErrorCode.INVALID_ARGUMENT, "AUTHORIZATION_NOT_SUPPORTED", authorization=authorization)
    jcm = new_project(methodology_id="JCM:VN_AM001", host_country="VN", authorization=authorization)
    assert jcm.corresponding_adjustment is True
    assert new_project(methodology_id="JCM:VN_AM001", host_country="VN").corresponding_adjustment is False


def test_authorization_needs_a_letter_and_a_purpose() -> None:
    with pytest.raises(DomainError) as info:
        Article6Authorization("LoA-1", frozenset(), date(2024, 5, 1))
    assert info.value.reason == "INVALID_AUTHORIZATION"
    with pytest.raises(DomainError) as info:
        Article6Authorization(" ", frozenset({AuthorizationPurpose.OIMP}), date(2024, 5, 1))
    assert info.value.reason == "REQUIRED_FIELD"


@pytest.mark.parametrize("digest", ["A" * 64, "a" * 63, "g" * 64, ""])
def test_document_sha256_must_be_64_lowercase_hex(digest: str) -> None:
    with pytest.raises(DomainError) as info:
        ProjectDocument("PDD", digest, "s3://docs/pdd.pdf")
    assert (info.value.code, info.value.reason) == (ErrorCode.INVALID_ARGUMENT, "INVALID_SHA256")


def test_sites_only_for_program_type_projects_with_unique_ids() -> None:
    site = Site("s1", "Factory A", "Osaka")
    _refused_creation(ErrorCode.INVALID_ARGUMENT, "SITES_REQUIRE_PROGRAM_TYPE", sites=[site])
    _refused_creation(ErrorCode.INVALID_ARGUMENT, "DUPLICATE_SITE", program_type=True, sites=[site, site])
    assert new_project(program_type=True, sites=[site]).sites == (site,)


def test_add_site_appends_to_program_type_project_and_refuses_duplicates() -> None:
    project = new_project(program_type=True)
    event = project.add_site(PROPONENT, Site("s1", "Factory A", "Osaka"), at(1))
    assert isinstance(event, SiteAdded)
    assert [s.site_id for s in project.sites] == ["s1"]
    refused(
        project,
        lambda: project.add_site(PROPONENT, Site("s1", "Again", "Kobe"), at(2)),
        ErrorCode.CONFLICT,
        "DUPLICATE_SITE",
    )
    plain = new_project()
    refused(
        plain,
        lambda: plain.add_site(PROPONENT, Site("s1", "A", "B"), at(1)),
        ErrorCode.FAILED_PRECONDITION,
        "NOT_PROGRAM_TYPE",
    )


def test_add_document_is_pinned_by_hash_and_refuses_the_same_document_twice() -> None:
    project = new_project()
    document = ProjectDocument("PDD", SHA, "s3://docs/pdd.pdf")
    assert isinstance(project.add_document(PROPONENT, document, at(1)), DocumentAdded)
    refused(
        project,
        lambda: project.add_document(PROPONENT, ProjectDocument("PDD v2", SHA, "s3://x"), at(2)),
        ErrorCode.CONFLICT,
        "DUPLICATE_DOCUMENT",
    )
    refused(
        project,
        lambda: project.add_document(VERIFIER, ProjectDocument("X", "b" * 64, "s3://x"), at(2)),
        ErrorCode.FORBIDDEN,
        "ROLE_REQUIRED",
    )


def test_origin_project_id_is_kept_for_bridged_projects() -> None:
    assert new_project(origin_project_id="VCS-1234").origin_project_id == "VCS-1234"


def test_period_end_before_start_is_invalid() -> None:
    with pytest.raises(DomainError) as info:
        Period(date(2025, 1, 2), date(2025, 1, 1))
    assert info.value.reason == "INVALID_PERIOD"


def test_naive_timestamps_are_refused() -> None:
    _refused_creation(ErrorCode.INVALID_ARGUMENT, "NAIVE_TIMESTAMP", at=datetime(2025, 1, 1))  # noqa: DTZ001
