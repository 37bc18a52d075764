"""Category (1) of the report's §6.1.1 and Japan's NDC counting: one rule for every service.

Report §6.1.1 (１) 「我が国の NDC の達成に資するカーボン・クレジット」: 「国内で実施されるため、結果的に
インベントリに反映されるプロジェクトから創出されたカーボン・クレジット及び海外で実施されパリ協定に基づく
国際移転の調整（相当調整）がなされたカーボン・クレジット」, （具体例） 「J－クレジット」「JCM」.
表 5 (日本国 JCM 実施要綱・約款 第 5 条): 「日本国政府は、2021 年 1 月 1 日以降に実現した排出削減・吸収に
対して発行された JCM クレジットについて、無効化…された量を、日本国の NDC の達成に活用することができる。」

Issuance stamps the category on each batch with `is_ndc_contributing`; the registry records whether a
retirement counts toward Japan's NDC with `counts_toward_japan_ndc`; reporting judges eligibility with
the same `is_ndc_contributing`. So a JCM credit is category (1) wherever it is looked at.
"""

from __future__ import annotations

from datetime import date

from carbon_runtime.vocabulary import Authorization

from .article6 import authorizes_ndc, is_article6_vintage

JAPAN = "JP"
JCREDIT = "JCREDIT"
JCM = "JCM"

#: Programs whose credits the report names as contributing to Japan's NDC whatever else is true of
#: them (6.1.1(1) 具体例: J－クレジット, JCM).
NDC_PROGRAMS = frozenset({JCREDIT, JCM})


def is_ndc_contributing(program_id: str, *, corresponding_adjustment: bool, authorization: Authorization) -> bool:
    """Category (1): J-Credit and JCM always (6.1.1(1) 具体例); any other credit only when its host
    authorized it for NDC use and correspondingly adjusted it (「相当調整がなされたカーボン・クレジット」)."""
    if program_id in NDC_PROGRAMS:
        return True
    return corresponding_adjustment and authorizes_ndc(authorization)


def counts_toward_japan_ndc(program_id: str, vintage_start: date) -> bool:
    """Whether retiring (無効化) units of a batch counts toward Japan's NDC: JCM credits for outcomes
    realised from 1 January 2021 (表 5 第 5 条). The whole period must be from 2021: a batch straddling
    the date is split or refused at issuance, and an older one is never counted (脚注 19)."""
    return program_id == JCM and is_article6_vintage(vintage_start)
