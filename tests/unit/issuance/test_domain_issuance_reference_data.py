from __future__ import annotations

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from services.issuance.domain.reference_data import (
    METHODOLOGIES,
    PROGRAMS,
    CreditBasis,
    CreditType,
    ExchangeCategory,
    MethodologyFamily,
    get_methodology,
    get_program,
    methodologies_of,
)

EXPECTED_PROGRAM_IDS = {
    "JCREDIT",
    "JBLUE",
    "JCM",
    "CDM",
    "VCS",
    "GS",
    "ACR",
    "CAR",
    "GCC",
    "ART",
    "ERF",
    "WCC",
}


def test_every_program_of_the_report_is_seeded_once() -> None:
    ids = [p.program_id for p in PROGRAMS]
    assert sorted(ids) == sorted(EXPECTED_PROGRAM_IDS)


def test_methodology_ids_are_unique_and_prefixed_by_their_program() -> None:
    ids = [m.methodology_id for m in METHODOLOGIES]
    assert len(ids) == len(set(ids))
    for m in METHODOLOGIES:
        assert m.methodology_id == f"{m.program_id}:{m.code}"
        assert m.program_id in EXPECTED_PROGRAM_IDS


@pytest.mark.parametrize("program_id", ["JCREDIT", "JCM", "VCS", "GS"])
def test_main_programs_have_at_least_three_methodologies(program_id: str) -> None:
    assert len(methodologies_of(program_id)) >= 3


def test_every_program_has_a_methodology() -> None:
    for program in PROGRAMS:
        assert methodologies_of(program.program_id), program.program_id


def test_only_j_credit_methodologies_carry_an_exchange_category() -> None:
    for m in METHODOLOGIES:
        assert (m.exchange_category is not None) == (m.program_id == "JCREDIT"), m.methodology_id


def test_real_methodology_codes_carry_their_type_and_basis() -> None:
    assert get_methodology("JCREDIT:EN-S-001").exchange_category is ExchangeCategory.ENERGY_SAVING
    solar = get_methodology("JCREDIT:EN-R-002")
    assert solar.exchange_category is ExchangeCategory.RENEWABLE_ELECTRICITY
    forest = get_methodology("JCREDIT:FO-001")
    assert (forest.credit_type, forest.basis, forest.exchange_category) == (
        CreditType.REMOVAL,
        CreditBasis.NATURE,
        ExchangeCategory.FOREST,
    )
    biochar = get_methodology("JCREDIT:AG-004")
    assert (biochar.credit_type, biochar.basis) == (CreditType.REMOVAL, CreditBasis.TECHNOLOGY)
    redd = get_methodology("VCS:VM0015")
    assert (redd.credit_type, redd.basis, redd.family) == (
        CreditType.REDUCTION,
        CreditBasis.NATURE,
        MethodologyFamily.REDD,
    )


def test_equivalent_methodologies_share_a_family_across_programs() -> None:
    arr = {m.methodology_id for m in METHODOLOGIES if m.family is MethodologyFamily.AFFORESTATION_REFORESTATION}
    assert {"VCS:VM0047", "CDM:AR-ACM0003", "JCREDIT:FO-002", "WCC:WOODLAND-CREATION"} <= arr


def test_japanese_programs_are_flagged_and_restricted_to_japan_or_partners() -> None:
    assert {p.program_id for p in PROGRAMS if p.japanese} == {"JCREDIT", "JBLUE", "JCM"}
    assert get_program("JCREDIT").accepts_host_country("JP")
    assert not get_program("JCREDIT").accepts_host_country("VN")
    assert get_program("JCM").accepts_host_country("VN")
    assert not get_program("JCM").accepts_host_country("JP")
    assert get_program("VCS").accepts_host_country("BR")


def test_icroa_endorsement_and_corresponding_adjustment_flags_follow_the_report() -> None:
    icroa = {p.program_id for p in PROGRAMS if p.icroa_endorsed}
    assert icroa == {"CDM", "VCS", "GS", "ACR", "CAR", "GCC", "ART", "ERF", "WCC"}
    assert get_program("JCM").corresponding_adjustment_possible
    assert not get_program("JCREDIT").corresponding_adjustment_possible


def test_unknown_program_or_methodology_is_not_found() -> None:
    with pytest.raises(DomainError) as info:
        get_program("NOPE")
    assert (info.value.code, info.value.reason) == (ErrorCode.NOT_FOUND, "PROGRAM_NOT_FOUND")
    with pytest.raises(DomainError) as info:
        get_methodology("VCS:VM9999")
    assert (info.value.code, info.value.reason) == (ErrorCode.NOT_FOUND, "METHODOLOGY_NOT_FOUND")
