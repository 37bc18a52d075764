"""Issue 13 items 2 and 4: NDC use (償却) and Japan's NDC counting from 2021, over the in-memory bus.

Report 表 4 (ITMOs の定義): 「2021 年以降の緩和成果」; 脚注 19: 「我が国においては、環境十全性を確保する観点から、
2020 年以前の削減活動に由来するクレジットの NDC への活用は想定していない。」; 表 5 第 5 条: 「日本国政府は、2021 年
1 月 1 日以降に実現した排出削減・吸収に対して発行された JCM クレジットについて、無効化…された量を、日本国の NDC の
達成に活用することができる。」
"""

from __future__ import annotations

from datetime import date

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.rules.categories import counts_toward_japan_ndc, is_ndc_contributing
from carbon_runtime.vocabulary import Authorization, CreditBasis, CreditCategory, CreditType, RetirementPurpose
from services.registry.domain import commands as c
from services.registry.domain.actor import idempotency_scope
from tests.unit.registry.support import ADMIN, ISSUANCE, World, holder, world


def mint(
    w: World,
    batch_id: str,
    *,
    program_id: str,
    country: str,
    vintage_start: date,
    vintage_end: date,
    corresponding_adjustment: bool = False,
    authorization: Authorization | None = None,
) -> str:
    minted: str = w.bus.handle(
        c.MintBatch(
            actor=ISSUANCE,
            issuance_id=f"ISS-{batch_id}",
            batch_id=batch_id,
            attributes=c.CreditAttributes(
                project_id=f"P-{batch_id}",
                program_id=program_id,
                methodology_id="M-1",
                country=country,
                vintage_start=vintage_start,
                vintage_end=vintage_end,
                credit_type=CreditType.REDUCTION,
                basis=CreditBasis.TECHNOLOGY,
                category=CreditCategory.NDC_CONTRIBUTING if program_id == "JCM" else CreditCategory.GLOBAL,
                corresponding_adjustment=corresponding_adjustment,
                authorization=authorization,
                issuer_organization_id=w.proponent,
            ),
            issued_quantity_t=100,
            holder_account_id=w.proponent_account,
        )
    ).batch_id
    return minted


def use_for_ndc(w: World, batch_id: str, country: str) -> c.UseForNdc:
    return c.UseForNdc(
        actor=ADMIN,
        idempotency_key=None,
        idempotency_scope=idempotency_scope(ADMIN),
        account_id=w.proponent_account,
        batch_id=batch_id,
        quantity_t=10,
        ndc_country=country,
        ndc_year=2030,
    )


def refused(w: World, cmd: object) -> DomainError:
    with pytest.raises(DomainError) as info:
        w.bus.handle(cmd)
    return info.value


def test_ndc_use_refuses_a_pre_2021_vintage() -> None:
    """脚注 19: 「2020 年以前の削減活動に由来するクレジットの NDC への活用は想定していない。」"""
    w = world()
    batch = mint(
        w,
        "VCS2019",
        program_id="VCS",
        country="PE",
        vintage_start=date(2019, 1, 1),
        vintage_end=date(2019, 12, 31),
        corresponding_adjustment=True,
        authorization=Authorization.NDC,
    )
    error = refused(w, use_for_ndc(w, batch, "PE"))
    assert (error.code, error.reason) == (ErrorCode.FAILED_PRECONDITION, "NDC_USE_PRE_2021_VINTAGE")
    assert w.balance(w.proponent_account) == 1000 + 100  # nothing moved


def test_ndc_use_refuses_credits_without_ca_toward_another_countrys_ndc() -> None:
    """用語集 相当調整: 「二重計上を防止するために、他国の NDC の達成…に活用するために国際的に移転される緩和の成果に
    ついて、国際移転した国が同国の NDC の対象となる温室効果ガス排出量に当該緩和成果を加え」: without that
    adjustment the tonne stays in the host's inventory and only the host may count it."""
    w = world()
    batch = mint(
        w, "VCS2022", program_id="VCS", country="PE", vintage_start=date(2022, 1, 1), vintage_end=date(2022, 12, 31)
    )
    error = refused(w, use_for_ndc(w, batch, "GB"))
    assert (error.code, error.reason) == (ErrorCode.FAILED_PRECONDITION, "NDC_USE_WITHOUT_CORRESPONDING_ADJUSTMENT")
    # The host itself may use its own unadjusted outcome.
    assert w.bus.handle(use_for_ndc(w, batch, "PE")).ndc_use_id


def test_ndc_use_accepts_an_adjusted_2021_vintage_toward_another_country() -> None:
    """表 4: 「NDC への使用が承認された緩和成果」「2021 年以降の緩和成果」 with a corresponding adjustment."""
    w = world()
    batch = mint(
        w,
        "GS2021",
        program_id="GS",
        country="KE",
        vintage_start=date(2021, 1, 1),
        vintage_end=date(2021, 12, 31),
        corresponding_adjustment=True,
        authorization=Authorization.NDC,
    )
    assert w.bus.handle(use_for_ndc(w, batch, "JP")).ndc_use_id


def test_jcm_from_2021_counts_toward_japans_ndc_and_earlier_jcm_does_not() -> None:
    """表 5 第 5 条: 「2021 年 1 月 1 日以降に実現した排出削減・吸収に対して発行された JCM クレジットについて、
    無効化…された量を、日本国の NDC の達成に活用することができる。」 The registry's counting and issuance's
    category (1) read one shared rule (carbon_runtime.rules.categories)."""
    w = world()
    recent = mint(
        w, "JCM2022", program_id="JCM", country="MN", vintage_start=date(2022, 1, 1), vintage_end=date(2022, 12, 31)
    )
    old = mint(
        w, "JCM2020", program_id="JCM", country="MN", vintage_start=date(2020, 1, 1), vintage_end=date(2020, 12, 31)
    )
    proponent = holder(w.proponent)

    def retire(batch_id: str) -> bool:
        result = w.bus.handle(
            c.RetireCredits(
                actor=proponent,
                idempotency_key=None,
                idempotency_scope=idempotency_scope(proponent),
                account_id=w.proponent_account,
                batch_id=batch_id,
                quantity_t=5,
                beneficiary="Proponent K.K.",
                purpose=RetirementPurpose.SHK_ADJUSTMENT,
                retirement_year=2025,
            )
        )
        return bool(result.counts_toward_japan_ndc)

    assert retire(recent) is True
    assert retire(old) is False
    # Same rule as issuance's category (1): JCM is NDC-contributing with or without a letter.
    assert is_ndc_contributing("JCM", corresponding_adjustment=False, authorization=Authorization.NONE)
    assert counts_toward_japan_ndc("JCM", date(2021, 1, 1)) and not counts_toward_japan_ndc("JCM", date(2020, 12, 31))
    # JCM used toward Japan's NDC needs no CA flag on the batch: Japan applies the adjustment (表 5 第 7 条).
    assert w.bus.handle(use_for_ndc(w, recent, "JP")).ndc_use_id
