"""Credit categories (1)-(4), DOMAIN.md section 6 (report 6.1.1), table-driven."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from services.issuance.domain.category import CreditCategory, derive_category
from services.issuance.domain.reference_data import CreditType, get_program
from services.issuance.domain.values import Article6Authorization, AuthorizationPurpose, JapanTies

NDC = Article6Authorization("LoA-NDC", frozenset({AuthorizationPurpose.NDC}), date(2024, 5, 1))
OIMP = Article6Authorization("LoA-CORSIA", frozenset({AuthorizationPurpose.OIMP}), date(2024, 5, 1))
NO_TIES = JapanTies()


@dataclass(frozen=True)
class Case:
    why: str
    program_id: str
    host_country: str
    credit_type: CreditType
    authorization: Article6Authorization | None
    ties: JapanTies
    expected: CreditCategory


CASES = [
    # (1) "domestic credits reflected in Japan's inventory ... J-Credit"
    Case(
        "J-Credit reduction",
        "JCREDIT",
        "JP",
        CreditType.REDUCTION,
        None,
        NO_TIES,
        CreditCategory.NDC_CONTRIBUTING,
    ),
    Case(
        "J-Credit removal (forest)",
        "JCREDIT",
        "JP",
        CreditType.REMOVAL,
        None,
        NO_TIES,
        CreditCategory.NDC_CONTRIBUTING,
    ),
    # (1) "foreign credits with CA ... JCM"
    Case(
        "JCM with CA for NDC",
        "JCM",
        "VN",
        CreditType.REDUCTION,
        NDC,
        NO_TIES,
        CreditCategory.NDC_CONTRIBUTING,
    ),
    # (1) foreign voluntary credits with CA authorized for NDC use
    Case(
        "VCS abroad with CA for NDC",
        "VCS",
        "GH",
        CreditType.REDUCTION,
        NDC,
        NO_TIES,
        CreditCategory.NDC_CONTRIBUTING,
    ),
    Case(
        "GS abroad with CA for NDC",
        "GS",
        "KE",
        CreditType.REDUCTION,
        NDC,
        NO_TIES,
        CreditCategory.NDC_CONTRIBUTING,
    ),
    # (2) "domestic removal credits outside J-Credit ... DAC, blue carbon (J-Blue)"
    Case(
        "J-Blue blue carbon",
        "JBLUE",
        "JP",
        CreditType.REMOVAL,
        None,
        NO_TIES,
        CreditCategory.DOMESTIC_REMOVAL,
    ),
    Case(
        "DAC in Japan under ACR",
        "ACR",
        "JP",
        CreditType.REMOVAL,
        None,
        NO_TIES,
        CreditCategory.DOMESTIC_REMOVAL,
    ),
    # (3) "without CA but tied to Japan ... Japanese-funded VCS project"
    Case(
        "Japanese-funded VCS",
        "VCS",
        "ID",
        CreditType.REDUCTION,
        None,
        JapanTies(japanese_investment_share=Decimal("0.4")),
        CreditCategory.JAPAN_ECONOMY,
    ),
    Case(
        "GS with Japanese technology",
        "GS",
        "IN",
        CreditType.REDUCTION,
        None,
        JapanTies(japanese_technology=True),
        CreditCategory.JAPAN_ECONOMY,
    ),
    Case(
        "VCS with long-term Japanese offtake",
        "VCS",
        "BR",
        CreditType.REMOVAL,
        None,
        JapanTies(long_term_offtake_by_japanese_company=True),
        CreditCategory.JAPAN_ECONOMY,
    ),
    Case(
        "forward investment in new technology",
        "ACR",
        "US",
        CreditType.REMOVAL,
        None,
        JapanTies(forward_investment=True),
        CreditCategory.JAPAN_ECONOMY,
    ),
    Case(
        "hydrogen used in Japan",
        "GCC",
        "SA",
        CreditType.REDUCTION,
        None,
        JapanTies(japan_energy=True),
        CreditCategory.JAPAN_ECONOMY,
    ),
    Case(
        # Issue 13 item 2, 6.1.1(1) 「（具体例） J－クレジット JCM」: JCM is category (1) with or without a letter.
        "JCM without a letter is still category (1) NDC-contributing",
        "JCM",
        "MN",
        CreditType.REDUCTION,
        None,
        NO_TIES,
        CreditCategory.NDC_CONTRIBUTING,
    ),
    Case(
        "CA only for CORSIA is not NDC, tied to Japan",
        "VCS",
        "PE",
        CreditType.REDUCTION,
        OIMP,
        JapanTies(japanese_technology=True),
        CreditCategory.JAPAN_ECONOMY,
    ),
    # (4) "all other foreign voluntary credits ... other VCS/GS credits"
    Case("other VCS credit", "VCS", "BR", CreditType.REDUCTION, None, NO_TIES, CreditCategory.GLOBAL),
    Case("other GS credit", "GS", "KE", CreditType.REDUCTION, None, NO_TIES, CreditCategory.GLOBAL),
    Case("CA only for CORSIA, no tie", "VCS", "PE", CreditType.REDUCTION, OIMP, NO_TIES, CreditCategory.GLOBAL),
    Case(
        "domestic voluntary reduction outside J-Credit",
        "VCS",
        "JP",
        CreditType.REDUCTION,
        None,
        NO_TIES,
        CreditCategory.GLOBAL,
    ),
    Case("CDM credit without CA", "CDM", "CN", CreditType.REDUCTION, None, NO_TIES, CreditCategory.GLOBAL),
    Case(
        "authorization on a program that cannot label CA",
        "CDM",
        "CN",
        CreditType.REDUCTION,
        NDC,
        NO_TIES,
        CreditCategory.GLOBAL,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.why for c in CASES])
def test_category_follows_domain_section_6(case: Case) -> None:
    category = derive_category(
        program=get_program(case.program_id),
        host_country=case.host_country,
        credit_type=case.credit_type,
        authorization=case.authorization,
        japan_ties=case.ties,
    )
    assert category is case.expected


def test_any_positive_japanese_investment_counts_as_a_tie() -> None:
    assert JapanTies(japanese_investment_share=Decimal("0.01")).any()
    assert not JapanTies(japanese_investment_share=Decimal(0)).any()
