"""The four credit categories of the report's section 6.1.1 (DOMAIN.md section 6).

One function decides the category so that issuance, reporting and the exchange never disagree on it;
it is stamped on each batch at issuance and travels with the credits.
"""

from __future__ import annotations

from carbon_runtime.rules.categories import is_ndc_contributing
from carbon_runtime.vocabulary import CreditCategory as CreditCategory

from .countries import JAPAN
from .reference_data import CreditType, Program
from .values import Article6Authorization, JapanTies, authorization_of


def has_corresponding_adjustment(program: Program, authorization: Article6Authorization | None) -> bool:
    """An authorized outcome is correspondingly adjusted, but only programs that can label units as
    authorized may carry one; without that label the adjustment cannot be traced to the credit."""
    return authorization is not None and program.corresponding_adjustment_possible


def derive_category(
    *,
    program: Program,
    host_country: str,
    credit_type: CreditType,
    authorization: Article6Authorization | None,
    japan_ties: JapanTies,
) -> CreditCategory:
    """The §6.1.1 category of a project's credits. (1) 「我が国の NDC の達成に資するカーボン・クレジット」
    (具体例 J－クレジット, JCM); (2) 「J－クレジット制度によらない国内の炭素吸収・炭素除去系ボランタリー
    クレジット」; (3) Japan-tied voluntary credits without CA; (4) all others."""
    # (1) 6.1.1(1): J-Credit and JCM always (「（具体例） J－クレジット JCM」), other foreign credits only
    # when authorized for NDC use with a corresponding adjustment. The rule is shared with the
    # registry's NDC counting and reporting's eligibility (carbon_runtime.rules.categories).
    if is_ndc_contributing(
        program.program_id,
        corresponding_adjustment=has_corresponding_adjustment(program, authorization),
        authorization=authorization_of(authorization),
    ):
        return CreditCategory.NDC_CONTRIBUTING
    # (2) removals in Japan outside J-Credit (J-Blue, DAC in Japan under another program).
    if host_country == JAPAN and credit_type is CreditType.REMOVAL:
        return CreditCategory.DOMESTIC_REMOVAL
    # (3) voluntary credits without CA tied to Japan by a recorded tie.
    if japan_ties.any():
        return CreditCategory.JAPAN_ECONOMY
    return CreditCategory.GLOBAL
