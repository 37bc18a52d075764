"""Paris Agreement Article 6 timing: corresponding adjustments and NDC use apply from 2021.

Report §3.1.1 表 4 (ITMOs の定義): 「2021 年以降の緩和成果」. Footnote 19: 「我が国においては、環境十全性を
確保する観点から、2020 年以前の削減活動に由来するクレジットの NDC への活用は想定していない。」
表 5 (日本国 JCM 実施要綱・約款 第 6 条): 「日本国政府は、2021 年 1 月 1 日以降に実現した排出削減・吸収・除去に
対して発行された JCM クレジットに対し、… パリ協定締約国としての承認を行う。」
"""

from __future__ import annotations

from datetime import date

from carbon_runtime.vocabulary import Authorization

#: First day of mitigation outcomes Article 6 covers (表 4 「2021 年以降の緩和成果」).
ARTICLE6_FROM = date(2021, 1, 1)


def is_article6_vintage(vintage_start: date) -> bool:
    """The whole monitoring period lies on or after 1 January 2021, so its outcomes can be ITMOs,
    carry a corresponding adjustment and be used toward an NDC (表 4, 脚注 19)."""
    return vintage_start >= ARTICLE6_FROM


def straddles_article6_start(vintage_start: date, vintage_end: date) -> bool:
    """A monitoring period with tonnes both before and from 1 January 2021: one batch cannot be both
    adjusted and not adjusted, so such a period must be split at the boundary."""
    return vintage_start < ARTICLE6_FROM <= vintage_end


def authorizes_ndc(authorization: Authorization) -> bool:
    """The host authorized the outcomes for use toward an NDC (表 4 「NDC への使用が承認された緩和成果」)."""
    return authorization in (Authorization.NDC, Authorization.NDC_AND_OTHER_INTERNATIONAL_MITIGATION)


def authorizes_other_international_mitigation(authorization: Authorization) -> bool:
    """The host authorized the outcomes for other international mitigation purposes such as CORSIA
    (表 4 「NDC 達成以外の国際緩和目的、その他の目的への使用が国により承認された緩和成果」). An NDC-only
    authorization does not: CORSIA is one of those other purposes, not an NDC."""
    return authorization in (
        Authorization.OTHER_INTERNATIONAL_MITIGATION,
        Authorization.NDC_AND_OTHER_INTERNATIONAL_MITIGATION,
    )
