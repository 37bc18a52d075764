"""Permanent uses checked against eligibility (issue 13 item 6): what a retirement (無効化) or a
cancellation (取消) may take, decided once here so the registry, which refuses the use, and reporting,
which explains eligibility, apply the same rule. A use is permanent: a unit retired or cancelled for
a purpose that does not accept it cannot be un-retired, so the registry refuses before it moves anything.

Each rule returns a `UseRefusal` naming itself (rule id, the seed's section and why), the way
`eligibilityDecision` names the rule that decided; None means the use is accepted.

Pure Python (stdlib and carbon_runtime.vocabulary only), so every service's domain may import it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from carbon_runtime.errors import DomainError, invalid
from carbon_runtime.rules.article6 import ARTICLE6_FROM, authorizes_other_international_mitigation
from carbon_runtime.vocabulary import Authorization, CreditType


@dataclass(frozen=True, slots=True)
class UseRefusal:
    """Why a permanent use was refused: the stable rule id, its source in the report, the finding."""

    rule_id: str
    source: str
    finding: str

    @property
    def reason(self) -> str:
        return f"{self.rule_id} [{self.source}]: {self.finding}"


@dataclass(frozen=True, slots=True)
class UsedBatch:
    """The attributes of a batch a permanent-use rule reads; both services hold them."""

    batch_id: str
    program_id: str  # e.g. "VCS", "JCREDIT", "JCM"
    credit_type: CreditType
    vintage_start: date
    vintage_end: date
    corresponding_adjustment: bool
    authorization: Authorization
    # Start of the first crediting period (the origin registry's for an imported project), when known.
    first_crediting_period_start: date | None = None


# --- CORSIA cancellation (表 5 第 5 条 2 項三号; 表 9) ----------------------------------------------

CORSIA_RULE_SOURCE = "METI Carbon Credit Report 2022 表 5 (JCM 実施要綱・約款 第 5 条 2 項三号), 表 9, 脚注 27"

#: 表 9 「CORSIA パイロットフェーズにて使用可能なクレジットと対象ビンテージ」: program -> last day of the
#: reductions the pilot phase accepts (ACR, ART to 2023-12-31; CCER, CDM, CAR, GCC, GS, VCS to 2020-12-31).
CORSIA_PILOT_REDUCTIONS_UNTIL: dict[str, date] = {
    "ACR": date(2023, 12, 31),
    "ART": date(2023, 12, 31),
    "CCER": date(2020, 12, 31),
    "CDM": date(2020, 12, 31),
    "CAR": date(2020, 12, 31),
    "GCC": date(2020, 12, 31),
    "GS": date(2020, 12, 31),
    "VCS": date(2020, 12, 31),
}
#: 表 9 「2016 年 1 月 1 日登録～」.
CORSIA_REGISTRATION_FROM = date(2016, 1, 1)


def corsia_cancellation_refusal(batch: UsedBatch) -> UseRefusal | None:
    """A cancellation for CORSIA takes only CORSIA-eligible units.

    表 5 第 5 条 2 項三号: 「取消しすることによる、国際的な排出削減制度における活用（ただし、当該制度の実施主体に
    より活用が認められた JCM クレジットに限る。…）」: a cancellation for an international scheme is for units
    that scheme accepts. 表 9: ACR, ART 「2016 年 1 月 1 日登録～2023 年 12 月 31 日までの削減量」; CCER, CDM, CAR,
    GCC, GS, VCS 「2016 年 1 月 1 日登録～2020 年 12 月 31 日までの削減量」. 脚注 27: 「対象ビンテージが 2021 年
    1 月 1 日以降のクレジットについては、…CORSIA への活用においても相当調整を行うことが定められている。」
    """
    until = CORSIA_PILOT_REDUCTIONS_UNTIL.get(batch.program_id)
    if until is None:
        listed = ", ".join(CORSIA_PILOT_REDUCTIONS_UNTIL)
        return UseRefusal(
            "CORSIA-PILOT-PROGRAM",
            CORSIA_RULE_SOURCE,
            f"program {batch.program_id} is not a CORSIA pilot-phase programme ({listed})",
        )
    start = batch.first_crediting_period_start
    if start is not None and start < CORSIA_REGISTRATION_FROM:
        return UseRefusal(
            "CORSIA-PILOT-REGISTRATION",
            CORSIA_RULE_SOURCE,
            f"first crediting period started {start.isoformat()}, before {CORSIA_REGISTRATION_FROM.isoformat()}",
        )
    if batch.vintage_start < CORSIA_REGISTRATION_FROM or batch.vintage_end > until:
        return UseRefusal(
            "CORSIA-PILOT-VINTAGE",
            CORSIA_RULE_SOURCE,
            f"vintage {batch.vintage_start.isoformat()}..{batch.vintage_end.isoformat()} is outside the window "
            f"{CORSIA_REGISTRATION_FROM.isoformat()}..{until.isoformat()} for {batch.program_id}",
        )
    if batch.vintage_end >= ARTICLE6_FROM and not (
        authorizes_other_international_mitigation(batch.authorization) and batch.corresponding_adjustment
    ):
        return UseRefusal(
            "CORSIA-ART6-CA",
            CORSIA_RULE_SOURCE,
            f"vintage from 2021 needs an authorization for other international mitigation and a corresponding "
            f"adjustment (authorization {batch.authorization.value}, "
            f"CA {str(batch.corresponding_adjustment).lower()})",
        )
    return None


# --- NET_ZERO_NEUTRALIZATION retirement (表 6, SBTi Net-Zero Standard) -----------------------------

NEUTRALIZATION_RULE_SOURCE = "METI Carbon Credit Report 2022 表 6 (SBTi Net-Zero Standard)"


def neutralization_refusal(batch: UsedBatch) -> UseRefusal | None:
    """Retiring to neutralise residual emissions at net zero takes removal credits only.

    表 6 (SBTi): 「ネットゼロ時点で評価するクレジットは炭素吸収・炭素除去系のみとしている。」 A reduction credit
    retired for NET_ZERO_NEUTRALIZATION would be a claim SBTi does not count.
    """
    if batch.credit_type is CreditType.REMOVAL:
        return None
    return UseRefusal(
        "SBTI-NEUTRALIZATION-REMOVALS",
        NEUTRALIZATION_RULE_SOURCE,
        f"credit type {batch.credit_type.value} cannot neutralise residual emissions; only removals can",
    )


# --- ETS offset limits (表 8; DOMAIN.md §5) ---------------------------------------------------------


class EtsScheme(enum.StrEnum):
    CALIFORNIA_CAP_AND_TRADE = "CALIFORNIA_CAP_AND_TRADE"
    CHINA_NATIONAL_ETS = "CHINA_NATIONAL_ETS"
    KOREA_ETS = "KOREA_ETS"
    EU_ETS = "EU_ETS"


@dataclass(frozen=True, slots=True)
class OffsetLimitRule:
    rule_id: str
    version: int
    scheme: EtsScheme
    first_year: int
    last_year: int | None  # None: in force until the table is revised
    # Basis points of the obligation (800 = 8%), so the limit is integer arithmetic with no rounding.
    limit_bp: int
    source: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class OffsetAllowance:
    max_offset_t: int
    rule: OffsetLimitRule


_TABLE_8 = "METI Carbon Credit Report 2022 Table 8; DOMAIN.md §5 ETS offset limits"

OFFSET_LIMIT_RULES: tuple[OffsetLimitRule, ...] = (
    OffsetLimitRule("ETS-CA-2013-2020", 1, EtsScheme.CALIFORNIA_CAP_AND_TRADE, 2013, 2020, 800, _TABLE_8),
    OffsetLimitRule("ETS-CA-2021-2025", 1, EtsScheme.CALIFORNIA_CAP_AND_TRADE, 2021, 2025, 400, _TABLE_8),
    OffsetLimitRule("ETS-CA-2026-", 1, EtsScheme.CALIFORNIA_CAP_AND_TRADE, 2026, None, 600, _TABLE_8),
    # China's national ETS began with the 2019-2020 compliance cycle; CCER only.
    OffsetLimitRule("ETS-CN-CCER", 1, EtsScheme.CHINA_NATIONAL_ETS, 2019, None, 500, _TABLE_8, "CCER units only"),
    OffsetLimitRule("ETS-KR-PHASE1", 1, EtsScheme.KOREA_ETS, 2015, 2017, 1000, _TABLE_8),
    OffsetLimitRule(
        "ETS-KR-PHASE2",
        1,
        EtsScheme.KOREA_ETS,
        2018,
        2020,
        1000,
        _TABLE_8,
        "CERs by Korean companies after 2016-06-01 with at least 20% Korean ownership",
    ),
    OffsetLimitRule("ETS-KR-PHASE3", 1, EtsScheme.KOREA_ETS, 2021, 2025, 500, _TABLE_8),
    OffsetLimitRule("ETS-EU-PHASE4", 1, EtsScheme.EU_ETS, 2021, 2030, 0, _TABLE_8, "no international credits"),
)


def offset_limit_rule(scheme: EtsScheme, compliance_year: int) -> OffsetLimitRule:
    for rule in OFFSET_LIMIT_RULES:
        in_range = rule.first_year <= compliance_year and (rule.last_year is None or compliance_year <= rule.last_year)
        if rule.scheme is scheme and in_range:
            return rule
    # Years the table does not cover are refused rather than extrapolated: a guessed limit could let
    # a facility surrender credits its regulator will not accept.
    raise invalid(
        "ETS_YEAR_NOT_COVERED",
        f"no offset limit is known for {scheme.value} in compliance year {compliance_year}",
        scheme=scheme.value,
        compliance_year=compliance_year,
    )


def max_offset(scheme: EtsScheme, compliance_year: int, obligation_tonnes: int) -> OffsetAllowance:
    """The most credits that may be surrendered against `obligation_tonnes`, rounded down, with its rule."""
    if obligation_tonnes < 0:
        raise invalid(
            "NEGATIVE_OBLIGATION",
            f"obligation must be a non-negative number of tonnes, got {obligation_tonnes}",
        )
    rule = offset_limit_rule(scheme, compliance_year)
    return OffsetAllowance(obligation_tonnes * rule.limit_bp // 10_000, rule)


def max_offset_tonnes(scheme: EtsScheme, compliance_year: int, obligation_tonnes: int) -> int:
    return max_offset(scheme, compliance_year, obligation_tonnes).max_offset_t


ETS_RULE_SOURCE = "METI Carbon Credit Report 2022 表 8"


def ets_compliance_refusal(
    batch: UsedBatch, scheme: str | None, compliance_year: int, obligation_t: int | None, quantity_t: int
) -> UseRefusal | None:
    """An ETS_COMPLIANCE retirement names its scheme, and that scheme's offset limit of 表 8 applies.

    表 8 (California Compliance Offset Program): 「量的制限は 2013 年～2020 年は義務に対し最大 8%、2021 年～2025 年
    は最大 4%、2026 年以降は最大 6%の予定。」; EU-ETS: 「2021 年以降（第４フェーズ）での活用は現時点では想定され
    ていない。」 (and DOMAIN.md §5: China's national ETS takes CCER up to 5%, Korea 10% / 10% / 5%).
    The retirement states the obligation it is surrendered against; credits beyond the scheme's share of it,
    or of a kind the scheme does not take (China: CCER only), are refused. The limit applies to this
    retirement against the stated obligation.
    """
    if not scheme:
        return UseRefusal("ETS-SCHEME-REQUIRED", ETS_RULE_SOURCE, "an ETS_COMPLIANCE retirement must name its scheme")
    try:
        known = EtsScheme(scheme)
    except ValueError:
        listed = ", ".join(s.value for s in EtsScheme)
        return UseRefusal("ETS-SCHEME-REQUIRED", ETS_RULE_SOURCE, f"scheme {scheme!r} is not one of {listed}")
    if obligation_t is None:
        return UseRefusal(
            "ETS-OBLIGATION-REQUIRED",
            ETS_RULE_SOURCE,
            f"{known.value} limits credits to a share of the obligation: state the obligation in tonnes",
        )
    try:
        allowance = max_offset(known, compliance_year, obligation_t)
    except DomainError as error:
        return UseRefusal("ETS-YEAR-NOT-COVERED", ETS_RULE_SOURCE, error.message)
    rule = allowance.rule
    if known is EtsScheme.CHINA_NATIONAL_ETS and batch.program_id != "CCER":
        return UseRefusal(rule.rule_id, rule.source, f"{known.value} takes CCER units only, not {batch.program_id}")
    if quantity_t > allowance.max_offset_t:
        return UseRefusal(
            rule.rule_id,
            rule.source,
            f"{quantity_t} t exceeds {known.value}'s limit of {rule.limit_bp // 100}% of the {obligation_t} t "
            f"obligation in {compliance_year} ({allowance.max_offset_t} t)",
        )
    return None
