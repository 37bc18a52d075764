"""Which institutional uses accept a credit batch, and how much of an ETS obligation credits may cover.

Policy as code: every rule lives in this one module, carries an id, a version and the text it implements,
and is a pure function of `BatchFacts`. When a policy changes, add a rule with a new version (or bump
`RULESET_VERSION`) rather than editing the meaning of an existing id, so that a decision shown to a
partner yesterday can still be explained by the id and version it cites.

Sources: METI "Carbon Credit Report" (June 2022) and its distillation in shared/DOMAIN.md.
- §6.1.1 table (DOMAIN.md §6): which credit categories each institutional use accepts.
- §3.1.5 Table 9 and footnote 27 (DOMAIN.md §5): CORSIA pilot-phase eligible units.
- Table 6 (DOMAIN.md §5): SBTi Net-Zero neutralisation with removals only.
- Table 8 (DOMAIN.md §5): ETS offset limits.

A use is eligible only when every rule for it passes; all rules are always evaluated so that `explain`
shows each input looked at, not just the first failure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from carbon_runtime.errors import invalid
from carbon_runtime.rules.article6 import ARTICLE6_FROM, authorizes_other_international_mitigation
from carbon_runtime.rules.categories import is_ndc_contributing

# ETS offset limits (Table 8) are defined once in carbon_runtime.rules.permanent_uses: the registry applies
# the same limits when it retires credits for ETS_COMPLIANCE (issue 13 item 6). Re-exported here.
from carbon_runtime.rules.permanent_uses import OFFSET_LIMIT_RULES as OFFSET_LIMIT_RULES
from carbon_runtime.rules.permanent_uses import EtsScheme as EtsScheme
from carbon_runtime.rules.permanent_uses import OffsetAllowance as OffsetAllowance
from carbon_runtime.rules.permanent_uses import OffsetLimitRule as OffsetLimitRule
from carbon_runtime.rules.permanent_uses import max_offset as max_offset
from carbon_runtime.rules.permanent_uses import max_offset_tonnes as max_offset_tonnes
from carbon_runtime.rules.permanent_uses import offset_limit_rule as offset_limit_rule
from carbon_runtime.vocabulary import CreditCategory, CreditType

from .facts import BatchFacts, InstitutionalUse, ProgramId

# r2 (issue 13): CORSIA reads the crediting period start, enforces the whole vintage window and needs
# an OIMP authorization with CA from 2021; JCM is category (1) by the shared rule.
RULESET_VERSION = "2022.06-r2"

_METI_6_1_1 = "METI Carbon Credit Report 2022 §6.1.1 table"
_METI_TABLE_9 = "METI Carbon Credit Report 2022 §3.1.5 Table 9 and footnote 27"


@dataclass(frozen=True, slots=True)
class RuleCheck:
    """What one rule concluded, with the inputs it read (as display strings, for audit trails)."""

    passed: bool
    finding: str
    inputs: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class EligibilityRule:
    rule_id: str
    version: int
    use: InstitutionalUse
    source: str
    summary: str
    check: Callable[[BatchFacts], RuleCheck]


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule_id: str
    rule_version: int
    source: str
    passed: bool
    finding: str
    inputs: tuple[tuple[str, str], ...]

    def citation(self) -> str:
        return f"{self.rule_id} v{self.rule_version} [{self.source}]: {self.finding}"


@dataclass(frozen=True, slots=True)
class EligibilityDecision:
    batch_id: str
    use: InstitutionalUse
    eligible: bool
    # The contract's `Eligibility.reason`: names the deciding rule ids and their sources.
    reason: str
    ruleset_version: str
    results: tuple[RuleResult, ...]


def _category_rule(
    rule_id: str, use: InstitutionalUse, accepted: frozenset[CreditCategory], row: str, summary: str
) -> EligibilityRule:
    accepted_text = ", ".join(sorted(c.value for c in accepted))

    def check(batch: BatchFacts) -> RuleCheck:
        category = effective_category(batch)
        passed = category in accepted
        verb = "is" if passed else "is not"
        return RuleCheck(
            passed,
            f"category {category.value} {verb} among accepted categories ({accepted_text})",
            (("category", category.value), ("program_id", batch.program_id.value)),
        )

    return EligibilityRule(rule_id, 2, use, f"{_METI_6_1_1}; DOMAIN.md §6 {row}", summary, check)


def effective_category(batch: BatchFacts) -> CreditCategory:
    """The batch's category, with category (1) decided by the rule issuance and the registry share.

    Report §6.1.1 (１) 「我が国の NDC の達成に資するカーボン・クレジット」, （具体例） 「J－クレジット」「JCM」: a
    JCM batch stamped JAPAN_ECONOMY before that rule was shared is still category (1) here, as the
    registry counts its retirements toward Japan's NDC."""
    if is_ndc_contributing(
        batch.program_id.value,
        corresponding_adjustment=batch.corresponding_adjustment,
        authorization=batch.authorization,
    ):
        return CreditCategory.NDC_CONTRIBUTING
    return batch.category


_CATEGORY_1 = frozenset({CreditCategory.NDC_CONTRIBUTING})
_CATEGORIES_1_TO_3 = frozenset(
    {CreditCategory.NDC_CONTRIBUTING, CreditCategory.DOMESTIC_REMOVAL, CreditCategory.JAPAN_ECONOMY}
)
_ALL_CATEGORIES = frozenset(CreditCategory)

# CORSIA pilot phase (Table 9): programme -> last day of reductions that may be used.
CORSIA_PILOT_REDUCTIONS_UNTIL: dict[ProgramId, date] = {
    ProgramId.ACR: date(2023, 12, 31),
    ProgramId.ART: date(2023, 12, 31),
    ProgramId.CCER: date(2020, 12, 31),
    ProgramId.CDM: date(2020, 12, 31),
    ProgramId.CAR: date(2020, 12, 31),
    ProgramId.GCC: date(2020, 12, 31),
    ProgramId.GS: date(2020, 12, 31),
    ProgramId.VCS: date(2020, 12, 31),
}
CORSIA_REGISTRATION_FROM = date(2016, 1, 1)
# Article 6.2 guidance: mitigation from 2021 on used for CORSIA needs a corresponding adjustment.
CORSIA_CA_REQUIRED_FROM = ARTICLE6_FROM


def _corsia_program(batch: BatchFacts) -> RuleCheck:
    passed = batch.program_id in CORSIA_PILOT_REDUCTIONS_UNTIL
    listed = ", ".join(p.value for p in CORSIA_PILOT_REDUCTIONS_UNTIL)
    verb = "is" if passed else "is not"
    return RuleCheck(
        passed,
        f"program {batch.program_id.value} {verb} a pilot-phase programme ({listed})",
        (("program_id", batch.program_id.value),),
    )


def _corsia_registration(batch: BatchFacts) -> RuleCheck:
    """表 9: 「2016 年 1 月 1 日登録～」: the activity's first crediting period started on or after 1 January
    2016. Read from the project's crediting period (or the origin registry's), never from the day the
    project was registered on this platform, which is always after 2016."""
    start = batch.first_crediting_period_start
    inputs = (("first_crediting_period_start", "unknown" if start is None else start.isoformat()),)
    if start is None:
        # Without the registration date the cut-off cannot be shown to hold; refusing is the safe
        # answer because an ineligible unit cancelled for CORSIA cannot be un-cancelled.
        return RuleCheck(False, "first crediting period start is unknown", inputs)
    passed = start >= CORSIA_REGISTRATION_FROM
    relation = "on or after" if passed else "before"
    return RuleCheck(
        passed,
        f"first crediting period started {start.isoformat()}, {relation} {CORSIA_REGISTRATION_FROM}",
        inputs,
    )


def _corsia_vintage(batch: BatchFacts) -> RuleCheck:
    """表 9 「CORSIA パイロットフェーズにて使用可能なクレジットと対象ビンテージ」: ACR, ART 「2016 年 1 月 1 日登録～
    2023 年 12 月 31 日までの削減量」; CCER, CDM, CAR, GCC, GS, VCS 「2016 年 1 月 1 日登録～2020 年 12 月 31 日
    までの削減量」. The whole monitoring period must lie in the window: a batch cannot be split by date."""
    inputs = (
        ("program_id", batch.program_id.value),
        ("vintage_start", batch.vintage_start.isoformat()),
        ("vintage_end", batch.vintage_end.isoformat()),
    )
    until = CORSIA_PILOT_REDUCTIONS_UNTIL.get(batch.program_id)
    if until is None:
        return RuleCheck(False, f"no pilot-phase vintage window for program {batch.program_id.value}", inputs)
    if batch.vintage_start < CORSIA_REGISTRATION_FROM:
        return RuleCheck(
            False,
            f"vintage starts {batch.vintage_start.isoformat()}, before the window opening "
            f"{CORSIA_REGISTRATION_FROM.isoformat()}",
            inputs,
        )
    passed = batch.vintage_end <= until
    relation = "within" if passed else "after"
    return RuleCheck(
        passed,
        f"vintage {batch.vintage_start.isoformat()}..{batch.vintage_end.isoformat()} {relation} the window "
        f"{CORSIA_REGISTRATION_FROM.isoformat()}..{until.isoformat()}",
        inputs,
    )


def _corsia_corresponding_adjustment(batch: BatchFacts) -> RuleCheck:
    """脚注 27: 「対象ビンテージが 2021 年 1 月 1 日以降のクレジットについては、パリ協定第 6 条 2 項ガイダンスに
    よって、CORSIA への活用においても相当調整を行うことが定められている。」 表 4: the host must authorize the
    outcomes for 「NDC 達成以外の国際緩和目的」 (OIMP); an NDC-only authorization does not cover CORSIA."""
    inputs = (
        ("vintage_end", batch.vintage_end.isoformat()),
        ("corresponding_adjustment", str(batch.corresponding_adjustment).lower()),
        ("authorization", batch.authorization.value),
    )
    # A batch whose monitoring period reaches into 2021 contains 2021+ mitigation, so it needs CA.
    needs_ca = batch.vintage_end >= CORSIA_CA_REQUIRED_FROM
    if not needs_ca:
        return RuleCheck(True, "vintage before 2021: no corresponding adjustment required", inputs)
    if not authorizes_other_international_mitigation(batch.authorization):
        return RuleCheck(
            False,
            f"vintage from 2021 with authorization {batch.authorization.value}: CORSIA needs an authorization "
            "for other international mitigation purposes",
            inputs,
        )
    if batch.corresponding_adjustment:
        return RuleCheck(True, "vintage from 2021, authorized for other international mitigation, with CA", inputs)
    return RuleCheck(False, "vintage from 2021 without a corresponding adjustment", inputs)


def _keidanren_domestic(batch: BatchFacts) -> RuleCheck:
    passed = batch.program_id in (ProgramId.JCREDIT, ProgramId.JCM)
    verb = "is" if passed else "is not"
    return RuleCheck(
        passed,
        f"program {batch.program_id.value} {verb} J-Credit or JCM",
        (("program_id", batch.program_id.value),),
    )


def _sbti_removals(batch: BatchFacts) -> RuleCheck:
    passed = batch.credit_type is CreditType.REMOVAL
    verb = "neutralises" if passed else "cannot neutralise"
    return RuleCheck(
        passed,
        f"credit type {batch.credit_type.value} {verb} residual emissions",
        (("credit_type", batch.credit_type.value),),
    )


RULES: tuple[EligibilityRule, ...] = (
    _category_rule(
        "SHK-A-CATEGORY-1",
        InstitutionalUse.SHK_MANDATORY,
        _CATEGORY_1,
        "row A",
        "SHK mandatory adjusted emissions accept category (1) NDC-contributing credits only",
    ),
    _category_rule(
        "SHK-C-ALL-CATEGORIES",
        InstitutionalUse.SHK_VOLUNTARY,
        _ALL_CATEGORIES,
        "row C",
        "SHK voluntary reporting accepts categories (1)-(4)",
    ),
    _category_rule(
        "GXL-B-CATEGORIES-1-3",
        InstitutionalUse.GX_LEAGUE,
        _CATEGORIES_1_TO_3,
        "row B",
        "GX League voluntary emissions trading accepts categories (1)-(3)",
    ),
    _category_rule(
        "PROC-B-CATEGORIES-1-3",
        InstitutionalUse.PUBLIC_PROCUREMENT,
        _CATEGORIES_1_TO_3,
        "row B",
        "Public procurement (Green Purchasing Act, Carbon Neutral Ports) accepts categories (1)-(3)",
    ),
    EligibilityRule(
        "KDR-PILLAR1-JCREDIT-JCM",
        1,
        InstitutionalUse.KEIDANREN_DOMESTIC,
        f"{_METI_6_1_1}; DOMAIN.md §6 row Keidanren pillar 1",
        "Keidanren action plan pillar 1 (domestic reductions) accepts J-Credit and JCM only",
        _keidanren_domestic,
    ),
    EligibilityRule(
        "CORSIA-PILOT-PROGRAM",
        1,
        InstitutionalUse.CORSIA,
        f"{_METI_TABLE_9}; DOMAIN.md §5 CORSIA",
        "CORSIA pilot phase accepts ACR, ART, CCER, CDM, CAR, GCC, GS and VCS units",
        _corsia_program,
    ),
    EligibilityRule(
        "CORSIA-PILOT-REGISTRATION",
        2,
        InstitutionalUse.CORSIA,
        f"{_METI_TABLE_9}; DOMAIN.md §5 CORSIA",
        "first crediting period starting on or after 2016-01-01",
        _corsia_registration,
    ),
    EligibilityRule(
        "CORSIA-PILOT-VINTAGE",
        2,
        InstitutionalUse.CORSIA,
        f"{_METI_TABLE_9}; DOMAIN.md §5 CORSIA",
        "vintages from 2016-01-01, reductions up to 2023-12-31 (ACR, ART) or 2020-12-31 (CCER, CDM, CAR, GCC, GS, VCS)",
        _corsia_vintage,
    ),
    EligibilityRule(
        "CORSIA-ART6-CA",
        2,
        InstitutionalUse.CORSIA,
        f"{_METI_TABLE_9}; Article 6.2 guidance; DOMAIN.md §5 CORSIA",
        "vintages from 2021 on need an authorization for other international mitigation and a corresponding adjustment",
        _corsia_corresponding_adjustment,
    ),
    EligibilityRule(
        "SBTI-NZ-REMOVALS",
        1,
        InstitutionalUse.SBTI_NEUTRALIZATION,
        "METI Carbon Credit Report 2022 Table 6 (SBTi Net-Zero Standard); DOMAIN.md §5 SBTi",
        "only removal credits neutralise residual emissions at net zero",
        _sbti_removals,
    ),
)


def rules_for(use: InstitutionalUse) -> tuple[EligibilityRule, ...]:
    return tuple(rule for rule in RULES if rule.use is use)


def explain(batch: BatchFacts, use: InstitutionalUse) -> EligibilityDecision:
    """The full decision: every rule for `use`, its version, source, finding and the inputs it read."""
    rules = rules_for(use)
    if not rules:
        # A use without rules would silently read as "eligible"; that is a policy gap, not a yes.
        raise invalid("NO_RULES_FOR_USE", f"no eligibility rules are defined for {use.value}")
    results = tuple(
        RuleResult(rule.rule_id, rule.version, rule.source, check.passed, check.finding, check.inputs)
        for rule, check in ((rule, rule.check(batch)) for rule in rules)
    )
    failed = [result for result in results if not result.passed]
    eligible = not failed
    cited = results if eligible else tuple(failed)
    verdict = "eligible" if eligible else "not eligible"
    reason = f"{verdict}: " + "; ".join(result.citation() for result in cited)
    return EligibilityDecision(batch.batch_id, use, eligible, reason, RULESET_VERSION, results)


def decide_all(batch: BatchFacts) -> tuple[EligibilityDecision, ...]:
    """One decision per institutional use, in the contract's enum order (`CreditBatch.eligibility`)."""
    return tuple(explain(batch, use) for use in InstitutionalUse)
