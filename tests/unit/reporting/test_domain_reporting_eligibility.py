"""Eligibility rules (DOMAIN.md §5 and §6) and ETS offset limits (DOMAIN.md §5, Table 8)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.vocabulary import Authorization, CreditBasis, CreditCategory, CreditType
from services.reporting.domain.eligibility import (
    RULES,
    RULESET_VERSION,
    EtsScheme,
    decide_all,
    explain,
    max_offset,
    max_offset_tonnes,
)
from services.reporting.domain.facts import BatchFacts, InstitutionalUse, ProgramId

BASE = BatchFacts(
    batch_id="B-1",
    project_id="P-1",
    project_name="Boiler replacement",
    program_id=ProgramId.VCS,
    host_country="VN",
    methodology_code="VM0001",
    credit_type=CreditType.REDUCTION,
    basis=CreditBasis.TECHNOLOGY,
    category=CreditCategory.GLOBAL,
    vintage_start=date(2019, 1, 1),
    vintage_end=date(2019, 12, 31),
    first_crediting_period_start=date(2017, 5, 1),
    corresponding_adjustment=False,
)


def batch(**changes: Any) -> BatchFacts:
    return replace(BASE, **changes)


CAT1, CAT2, CAT3, CAT4 = (
    CreditCategory.NDC_CONTRIBUTING,
    CreditCategory.DOMESTIC_REMOVAL,
    CreditCategory.JAPAN_ECONOMY,
    CreditCategory.GLOBAL,
)

# (test id citing the DOMAIN.md row, use, batch changes, expected eligible, rule id expected in reason)
CASES: list[tuple[str, InstitutionalUse, dict[str, Any], bool, str]] = [
    (
        "§6 row A: SHK mandatory accepts (1)",
        InstitutionalUse.SHK_MANDATORY,
        {"category": CAT1},
        True,
        "SHK-A-CATEGORY-1",
    ),
    (
        "§6 row A: SHK mandatory refuses (2)",
        InstitutionalUse.SHK_MANDATORY,
        {"category": CAT2},
        False,
        "SHK-A-CATEGORY-1",
    ),
    (
        "§6 row A: SHK mandatory refuses (3)",
        InstitutionalUse.SHK_MANDATORY,
        {"category": CAT3},
        False,
        "SHK-A-CATEGORY-1",
    ),
    (
        "§6 row A: SHK mandatory refuses (4)",
        InstitutionalUse.SHK_MANDATORY,
        {"category": CAT4},
        False,
        "SHK-A-CATEGORY-1",
    ),
    (
        "§6 row C: SHK voluntary accepts (1)",
        InstitutionalUse.SHK_VOLUNTARY,
        {"category": CAT1},
        True,
        "SHK-C-ALL-CATEGORIES",
    ),
    (
        "§6 row C: SHK voluntary accepts (4)",
        InstitutionalUse.SHK_VOLUNTARY,
        {"category": CAT4},
        True,
        "SHK-C-ALL-CATEGORIES",
    ),
    (
        "§6 row B: GX League accepts (1)",
        InstitutionalUse.GX_LEAGUE,
        {"category": CAT1},
        True,
        "GXL-B-CATEGORIES-1-3",
    ),
    (
        "§6 row B: GX League accepts (2)",
        InstitutionalUse.GX_LEAGUE,
        {"category": CAT2},
        True,
        "GXL-B-CATEGORIES-1-3",
    ),
    (
        "§6 row B: GX League accepts (3)",
        InstitutionalUse.GX_LEAGUE,
        {"category": CAT3},
        True,
        "GXL-B-CATEGORIES-1-3",
    ),
    (
        "§6 row B: GX League refuses (4)",
        InstitutionalUse.GX_LEAGUE,
        {"category": CAT4},
        False,
        "GXL-B-CATEGORIES-1-3",
    ),
    (
        "§6 row B: procurement accepts (3)",
        InstitutionalUse.PUBLIC_PROCUREMENT,
        {"category": CAT3},
        True,
        "PROC-B-CATEGORIES-1-3",
    ),
    (
        "§6 row B: procurement refuses (4)",
        InstitutionalUse.PUBLIC_PROCUREMENT,
        {"category": CAT4},
        False,
        "PROC-B-CATEGORIES-1-3",
    ),
    (
        "§6 Keidanren: J-Credit accepted",
        InstitutionalUse.KEIDANREN_DOMESTIC,
        {"program_id": ProgramId.JCREDIT},
        True,
        "KDR-PILLAR1-JCREDIT-JCM",
    ),
    (
        "§6 Keidanren: JCM accepted",
        InstitutionalUse.KEIDANREN_DOMESTIC,
        {"program_id": ProgramId.JCM},
        True,
        "KDR-PILLAR1-JCREDIT-JCM",
    ),
    (
        "§6 Keidanren: J-Blue refused",
        InstitutionalUse.KEIDANREN_DOMESTIC,
        {"program_id": ProgramId.JBLUE},
        False,
        "KDR-PILLAR1-JCREDIT-JCM",
    ),
    (
        "§6 Keidanren: VCS refused",
        InstitutionalUse.KEIDANREN_DOMESTIC,
        {"program_id": ProgramId.VCS},
        False,
        "KDR-PILLAR1-JCREDIT-JCM",
    ),
    (
        "§5 CORSIA: VCS 2019 registered 2017 eligible",
        InstitutionalUse.CORSIA,
        {},
        True,
        "CORSIA-PILOT-PROGRAM",
    ),
    (
        "§5 CORSIA: J-Credit not a pilot programme",
        InstitutionalUse.CORSIA,
        {"program_id": ProgramId.JCREDIT},
        False,
        "CORSIA-PILOT-PROGRAM",
    ),
    (
        "§5 CORSIA: registered 2015-12-31 refused",
        InstitutionalUse.CORSIA,
        {"first_crediting_period_start": date(2015, 12, 31)},
        False,
        "CORSIA-PILOT-REGISTRATION",
    ),
    (
        "§5 CORSIA: registered 2016-01-01 accepted",
        InstitutionalUse.CORSIA,
        {"first_crediting_period_start": date(2016, 1, 1)},
        True,
        "CORSIA-PILOT-REGISTRATION",
    ),
    (
        "§5 CORSIA: unknown registration refused",
        InstitutionalUse.CORSIA,
        {"first_crediting_period_start": None},
        False,
        "CORSIA-PILOT-REGISTRATION",
    ),
    (
        "§5 CORSIA: CDM reductions to 2020-12-31 accepted",
        InstitutionalUse.CORSIA,
        {"program_id": ProgramId.CDM, "vintage_end": date(2020, 12, 31)},
        True,
        "CORSIA-PILOT-VINTAGE",
    ),
    (
        "§5 CORSIA: GS vintage 2021 refused even with CA",
        InstitutionalUse.CORSIA,
        {
            "program_id": ProgramId.GS,
            "vintage_start": date(2021, 1, 1),
            "vintage_end": date(2021, 12, 31),
            "corresponding_adjustment": True,
        },
        False,
        "CORSIA-PILOT-VINTAGE",
    ),
    (
        # Issue 13 item 4: CA alone is not enough; the letter must authorize other international mitigation.
        "§5 CORSIA: ACR vintage 2022 with CA and an OIMP authorization accepted",
        InstitutionalUse.CORSIA,
        {
            "program_id": ProgramId.ACR,
            "vintage_start": date(2022, 1, 1),
            "vintage_end": date(2022, 12, 31),
            "corresponding_adjustment": True,
            "authorization": Authorization.OTHER_INTERNATIONAL_MITIGATION,
        },
        True,
        "CORSIA-ART6-CA",
    ),
    (
        "§5 CORSIA: ART vintage 2022 without CA refused",
        InstitutionalUse.CORSIA,
        {"program_id": ProgramId.ART, "vintage_start": date(2022, 1, 1), "vintage_end": date(2022, 12, 31)},
        False,
        "CORSIA-ART6-CA",
    ),
    (
        "§5 CORSIA: ACR reductions in 2024 refused",
        InstitutionalUse.CORSIA,
        {
            "program_id": ProgramId.ACR,
            "vintage_start": date(2024, 1, 1),
            "vintage_end": date(2024, 6, 30),
            "corresponding_adjustment": True,
        },
        False,
        "CORSIA-PILOT-VINTAGE",
    ),
    (
        "§5 CORSIA: CCER 2020 without CA accepted",
        InstitutionalUse.CORSIA,
        {"program_id": ProgramId.CCER, "host_country": "CN", "vintage_end": date(2020, 6, 30)},
        True,
        "CORSIA-ART6-CA",
    ),
    (
        "§5 SBTi: removals neutralise",
        InstitutionalUse.SBTI_NEUTRALIZATION,
        {"credit_type": CreditType.REMOVAL},
        True,
        "SBTI-NZ-REMOVALS",
    ),
    (
        "§5 SBTi: reductions do not neutralise",
        InstitutionalUse.SBTI_NEUTRALIZATION,
        {"credit_type": CreditType.REDUCTION},
        False,
        "SBTI-NZ-REMOVALS",
    ),
]


@pytest.mark.parametrize(
    ("use", "changes", "expected", "rule_id"),
    [pytest.param(use, changes, expected, rule_id, id=case_id) for case_id, use, changes, expected, rule_id in CASES],
)
def test_eligibility_rule_decides_and_cites_rule_and_source(
    use: InstitutionalUse, changes: dict[str, Any], expected: bool, rule_id: str
) -> None:
    decision = explain(batch(**changes), use)
    assert decision.eligible is expected
    assert rule_id in decision.reason
    assert "DOMAIN.md §" in decision.reason
    assert decision.reason.startswith("eligible:" if expected else "not eligible:")


def test_every_rule_has_id_version_and_domain_citation() -> None:
    ids = [rule.rule_id for rule in RULES]
    assert len(ids) == len(set(ids))
    for rule in RULES:
        assert rule.version >= 1
        assert "METI Carbon Credit Report 2022" in rule.source
        assert "DOMAIN.md §" in rule.source


def test_every_institutional_use_has_rules_and_a_decision() -> None:
    decisions = decide_all(BASE)
    assert [d.use for d in decisions] == list(InstitutionalUse)
    assert all(d.ruleset_version == RULESET_VERSION for d in decisions)


def test_explain_lists_every_corsia_rule_with_the_inputs_it_read() -> None:
    decision = explain(batch(program_id=ProgramId.JCREDIT, first_crediting_period_start=None), InstitutionalUse.CORSIA)
    assert [r.rule_id for r in decision.results] == [
        "CORSIA-PILOT-PROGRAM",
        "CORSIA-PILOT-REGISTRATION",
        "CORSIA-PILOT-VINTAGE",
        "CORSIA-ART6-CA",
    ]
    by_id = {r.rule_id: r for r in decision.results}
    assert dict(by_id["CORSIA-PILOT-PROGRAM"].inputs) == {"program_id": "JCREDIT"}
    assert dict(by_id["CORSIA-PILOT-REGISTRATION"].inputs) == {"first_crediting_period_start": "unknown"}
    assert by_id["CORSIA-ART6-CA"].passed is True
    # The reason of a refusal cites the failing rules only.
    assert "CORSIA-ART6-CA" not in decision.reason
    assert "CORSIA-PILOT-REGISTRATION v2" in decision.reason


@pytest.mark.parametrize(
    ("scheme", "year", "obligation_t", "expected_t", "rule_id"),
    [
        pytest.param(EtsScheme.CALIFORNIA_CAP_AND_TRADE, 2013, 1000, 80, "ETS-CA-2013-2020", id="CA 8% from 2013"),
        pytest.param(EtsScheme.CALIFORNIA_CAP_AND_TRADE, 2020, 1001, 80, "ETS-CA-2013-2020", id="CA 8% rounds down"),
        pytest.param(EtsScheme.CALIFORNIA_CAP_AND_TRADE, 2021, 1000, 40, "ETS-CA-2021-2025", id="CA 4% 2021-25"),
        pytest.param(EtsScheme.CALIFORNIA_CAP_AND_TRADE, 2025, 999, 39, "ETS-CA-2021-2025", id="CA 4% rounds down"),
        pytest.param(EtsScheme.CALIFORNIA_CAP_AND_TRADE, 2026, 1000, 60, "ETS-CA-2026-", id="CA 6% from 2026"),
        pytest.param(EtsScheme.CHINA_NATIONAL_ETS, 2021, 12345, 617, "ETS-CN-CCER", id="China 5% CCER"),
        pytest.param(EtsScheme.KOREA_ETS, 2015, 1000, 100, "ETS-KR-PHASE1", id="Korea phase 1 10%"),
        pytest.param(EtsScheme.KOREA_ETS, 2019, 1000, 100, "ETS-KR-PHASE2", id="Korea phase 2 10%"),
        pytest.param(EtsScheme.KOREA_ETS, 2023, 1000, 50, "ETS-KR-PHASE3", id="Korea phase 3 5%"),
        pytest.param(EtsScheme.EU_ETS, 2024, 1_000_000, 0, "ETS-EU-PHASE4", id="EU phase 4 none"),
        pytest.param(EtsScheme.KOREA_ETS, 2016, 0, 0, "ETS-KR-PHASE1", id="zero obligation"),
    ],
)
def test_ets_offset_limit_is_share_of_obligation_rounded_down_per_table_8(
    scheme: EtsScheme, year: int, obligation_t: int, expected_t: int, rule_id: str
) -> None:
    assert max_offset_tonnes(scheme, year, obligation_t) == expected_t
    allowance = max_offset(scheme, year, obligation_t)
    assert allowance.rule.rule_id == rule_id
    assert "Table 8" in allowance.rule.source


@pytest.mark.parametrize(
    ("scheme", "year"),
    [
        pytest.param(EtsScheme.CALIFORNIA_CAP_AND_TRADE, 2012, id="California before 2013"),
        pytest.param(EtsScheme.KOREA_ETS, 2014, id="Korea before phase 1"),
        pytest.param(EtsScheme.KOREA_ETS, 2026, id="Korea after phase 3"),
        pytest.param(EtsScheme.EU_ETS, 2031, id="EU after phase 4"),
        pytest.param(EtsScheme.CHINA_NATIONAL_ETS, 2018, id="China before national ETS"),
    ],
)
def test_ets_offset_limit_refuses_years_the_table_does_not_cover(scheme: EtsScheme, year: int) -> None:
    with pytest.raises(DomainError) as raised:
        max_offset_tonnes(scheme, year, 1000)
    assert raised.value.code is ErrorCode.INVALID_ARGUMENT
    assert raised.value.reason == "ETS_YEAR_NOT_COVERED"


def test_ets_offset_limit_refuses_negative_obligation() -> None:
    with pytest.raises(DomainError) as raised:
        max_offset_tonnes(EtsScheme.KOREA_ETS, 2022, -1)
    assert raised.value.code is ErrorCode.INVALID_ARGUMENT


def test_batch_facts_refuse_vintage_ending_before_it_starts() -> None:
    with pytest.raises(DomainError) as raised:
        batch(vintage_start=date(2020, 1, 1), vintage_end=date(2019, 1, 1))
    assert raised.value.code is ErrorCode.INVALID_ARGUMENT
