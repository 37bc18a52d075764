"""Issue 13 items 1, 2 and 4: the CORSIA windows of Table 9, table-driven, and JCM as category (1).

表 9 「CORSIA パイロットフェーズにて使用可能なクレジットと対象ビンテージ」:
  ACR, ART: 「2016 年 1 月 1 日登録～2023 年 12 月 31 日までの削減量」 (※ACR と ART は相当調整を行うことに言及)
  CCER, CDM, CAR, GCC, GS, VCS: 「2016 年 1 月 1 日登録～2020 年 12 月 31 日までの削減量」
脚注 27: 「対象ビンテージが 2021 年 1 月 1 日以降のクレジットについては、パリ協定第 6 条 2 項ガイダンスによって、CORSIA
への活用においても相当調整を行うことが定められている。」 表 4: CORSIA is one of 「NDC 達成以外の国際緩和目的」, so an
authorization for NDC use only does not cover it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from carbon_runtime.vocabulary import Authorization, CreditBasis, CreditCategory, CreditType
from services.reporting.domain.eligibility import effective_category, explain
from services.reporting.domain.facts import BatchFacts, InstitutionalUse, ProgramId

BASE = BatchFacts(
    batch_id="B-CORSIA",
    project_id="P-1",
    project_name="Cookstoves",
    program_id=ProgramId.VCS,
    host_country="KE",
    methodology_code="VMR0006",
    credit_type=CreditType.REDUCTION,
    basis=CreditBasis.TECHNOLOGY,
    category=CreditCategory.GLOBAL,
    vintage_start=date(2019, 1, 1),
    vintage_end=date(2019, 12, 31),
    first_crediting_period_start=date(2017, 1, 1),
    corresponding_adjustment=False,
)

NONE = Authorization.NONE
NDC = Authorization.NDC
OIMP = Authorization.OTHER_INTERNATIONAL_MITIGATION
BOTH = Authorization.NDC_AND_OTHER_INTERNATIONAL_MITIGATION

Y2015 = (date(2015, 1, 1), date(2015, 12, 31))
Y2016 = (date(2016, 1, 1), date(2016, 12, 31))
Y2020 = (date(2020, 1, 1), date(2020, 12, 31))
Y2021 = (date(2021, 1, 1), date(2021, 12, 31))
Y2023 = (date(2023, 1, 1), date(2023, 12, 31))
Y2024 = (date(2024, 1, 1), date(2024, 12, 31))

# program, vintage, first crediting period start, authorization (CA follows the letter), eligible, failing rules
WINDOWS: list[tuple[ProgramId, tuple[date, date], date | None, Authorization, bool, tuple[str, ...]]] = [
    # 2020-window programmes: reductions from 2016 up to 2020, activities from 2016.
    (ProgramId.VCS, Y2016, date(2016, 1, 1), NONE, True, ()),
    (ProgramId.VCS, Y2020, date(2017, 3, 1), NONE, True, ()),
    (ProgramId.VCS, Y2020, date(2015, 12, 31), NONE, False, ("CORSIA-PILOT-REGISTRATION",)),
    (ProgramId.VCS, Y2020, None, NONE, False, ("CORSIA-PILOT-REGISTRATION",)),
    (ProgramId.VCS, Y2015, date(2015, 1, 1), NONE, False, ("CORSIA-PILOT-REGISTRATION", "CORSIA-PILOT-VINTAGE")),
    (ProgramId.VCS, Y2021, date(2017, 3, 1), BOTH, False, ("CORSIA-PILOT-VINTAGE",)),
    (ProgramId.GS, Y2020, date(2016, 6, 1), NONE, True, ()),
    (ProgramId.CDM, Y2020, date(2016, 6, 1), NONE, True, ()),
    (ProgramId.CAR, Y2020, date(2016, 6, 1), NONE, True, ()),
    (ProgramId.GCC, Y2020, date(2016, 6, 1), NONE, True, ()),
    (ProgramId.CCER, Y2021, date(2016, 6, 1), OIMP, False, ("CORSIA-PILOT-VINTAGE",)),
    # ACR and ART: reductions up to 2023; from 2021 only with an OIMP letter and CA.
    (ProgramId.ACR, Y2020, date(2016, 6, 1), NONE, True, ()),
    (ProgramId.ACR, Y2021, date(2016, 6, 1), OIMP, True, ()),
    (ProgramId.ACR, Y2023, date(2016, 6, 1), BOTH, True, ()),
    (ProgramId.ACR, Y2021, date(2016, 6, 1), NONE, False, ("CORSIA-ART6-CA",)),
    (ProgramId.ACR, Y2021, date(2016, 6, 1), NDC, False, ("CORSIA-ART6-CA",)),
    (ProgramId.ART, Y2023, date(2018, 1, 1), OIMP, True, ()),
    (ProgramId.ART, Y2023, date(2018, 1, 1), NDC, False, ("CORSIA-ART6-CA",)),
    (ProgramId.ART, Y2024, date(2018, 1, 1), OIMP, False, ("CORSIA-PILOT-VINTAGE",)),
    (ProgramId.ART, Y2021, date(2015, 6, 1), OIMP, False, ("CORSIA-PILOT-REGISTRATION",)),
    # Programmes outside Table 9.
    (ProgramId.JCREDIT, Y2020, date(2016, 6, 1), NONE, False, ("CORSIA-PILOT-PROGRAM", "CORSIA-PILOT-VINTAGE")),
    (ProgramId.JCM, Y2021, date(2016, 6, 1), BOTH, False, ("CORSIA-PILOT-PROGRAM", "CORSIA-PILOT-VINTAGE")),
]


@pytest.mark.parametrize(
    ("program", "vintage", "crediting_start", "authorization", "eligible", "failing"),
    [
        pytest.param(
            *row,
            id=f"{row[0].value}-{row[1][0].year}-cp{row[2] or 'unknown'}-{row[3].value}-{'ok' if row[4] else 'no'}",
        )
        for row in WINDOWS
    ],
)
def test_corsia_windows_program_vintage_crediting_start_authorization(
    program: ProgramId,
    vintage: tuple[date, date],
    crediting_start: date | None,
    authorization: Authorization,
    eligible: bool,
    failing: tuple[str, ...],
) -> None:
    """表 9 「2016 年 1 月 1 日登録～2020 年 12 月 31 日までの削減量」 / 「～2023 年 12 月 31 日までの削減量」 (ACR,
    ART); 脚注 27: vintages from 2021 need a corresponding adjustment and an OIMP authorization."""
    batch = replace(
        BASE,
        program_id=program,
        vintage_start=vintage[0],
        vintage_end=vintage[1],
        first_crediting_period_start=crediting_start,
        authorization=authorization,
        corresponding_adjustment=authorization is not NONE,
    )
    decision = explain(batch, InstitutionalUse.CORSIA)
    assert decision.eligible is eligible, decision.reason
    assert tuple(r.rule_id for r in decision.results if not r.passed) == failing
    for rule_id in failing:
        assert rule_id in decision.reason


def test_corsia_cut_off_reads_the_crediting_period_not_the_platform_registration() -> None:
    """表 9 「2016 年 1 月 1 日登録」: the activity's first crediting period. A 2012 CDM activity registered on this
    platform in 2025 is still outside the window."""
    batch = replace(BASE, program_id=ProgramId.CDM, first_crediting_period_start=date(2012, 4, 1))
    decision = explain(batch, InstitutionalUse.CORSIA)
    assert not decision.eligible
    assert "CORSIA-PILOT-REGISTRATION" in decision.reason and "2012-04-01" in decision.reason


def test_ndc_only_authorization_does_not_satisfy_corsia() -> None:
    """表 4: 「NDC への使用が承認された緩和成果」 and 「NDC 達成以外の国際緩和目的…への使用が国により承認された緩和
    成果」 are different authorizations; CORSIA is the latter."""
    batch = replace(
        BASE,
        program_id=ProgramId.ACR,
        vintage_start=date(2022, 1, 1),
        vintage_end=date(2022, 12, 31),
        authorization=NDC,
        corresponding_adjustment=True,
    )
    decision = explain(batch, InstitutionalUse.CORSIA)
    assert not decision.eligible
    assert "CORSIA-ART6-CA v2" in decision.reason and "other international mitigation" in decision.reason


def test_jcm_batch_is_category_1_for_shk_mandatory_even_if_stamped_japan_economy() -> None:
    """§6.1.1 (１) 「我が国の NDC の達成に資するカーボン・クレジット」（具体例） 「JCM」, and row A (SHK mandatory)
    accepts (1) only: a JCM batch issued before the shared rule (stamped JAPAN_ECONOMY) is category (1) here
    too, as the registry counts its retirements toward Japan's NDC."""
    batch = replace(
        BASE, program_id=ProgramId.JCM, host_country="MN", category=CreditCategory.JAPAN_ECONOMY, authorization=NONE
    )
    assert effective_category(batch) is CreditCategory.NDC_CONTRIBUTING
    assert explain(batch, InstitutionalUse.SHK_MANDATORY).eligible
    # A VCS batch without CA stays where issuance put it.
    assert effective_category(replace(batch, program_id=ProgramId.VCS)) is CreditCategory.JAPAN_ECONOMY
