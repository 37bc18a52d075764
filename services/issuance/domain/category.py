"""The four credit categories of the report's section 6.1.1 (DOMAIN.md section 6).

One function decides the category so that issuance, reporting and the exchange never disagree on it;
it is stamped on each batch at issuance and travels with the credits.
"""

from __future__ import annotations

from carbon_runtime.vocabulary import CreditCategory as CreditCategory

from .countries import JAPAN
from .reference_data import CreditType, Program
from .values import Article6Authorization, AuthorizationPurpose, JapanTies


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
    # (1) J-Credits are counted in Japan's inventory whatever else is true of them.
    if program.program_id == "JCREDIT":
        return CreditCategory.NDC_CONTRIBUTING
    # (1) JCM with CA, and any foreign credit whose host authorized it for NDC use with a CA.
    if (
        has_corresponding_adjustment(program, authorization)
        and authorization is not None
        and AuthorizationPurpose.NDC in authorization.purposes
    ):
        return CreditCategory.NDC_CONTRIBUTING
    # (2) removals in Japan outside J-Credit (J-Blue, DAC in Japan under another program).
    if host_country == JAPAN and credit_type is CreditType.REMOVAL:
        return CreditCategory.DOMESTIC_REMOVAL
    # (3) JCM exists to deploy Japanese low-carbon technology, so a JCM credit without CA is tied to
    # Japan by construction; other programs need a recorded tie.
    if program.program_id == "JCM" or japan_ties.any():
        return CreditCategory.JAPAN_ECONOMY
    return CreditCategory.GLOBAL
