"""SHK onset (上乗せ): which transfers of credits an organization adds back to its own reported emissions.

Report §2.2, 図 3 「温対法算定報告公表制度におけるクレジット移転分の調整」: 「カーボン・クレジット発行者が他者に
カーボン・クレジットを移転した場合、その移転分の排出削減量は自ら主張することが出来ない（カーボン・クレジット移転分の
オンセットが必要）」. 脚注 8: 「温対法の算定報告公表制度においては温室効果ガスの炭素吸収量による調整を求めていない
ため、森林の整備及び保全により炭素吸収された温室効果ガスの炭素吸収量として認証された国内認証排出削減量について
は、この上乗せ報告は対象外である。」

One rule for the registry (which flags each transfer `issuer_onset`) and reporting (which adds it up in
the SHK report), so the flag on the event and the figure in the report always agree.
"""

from __future__ import annotations

from carbon_runtime.vocabulary import CreditType

#: SHK reports emissions in Japan: a project elsewhere never reduced the organization's reported emissions.
SHK_COUNTRY = "JP"


def adds_back_on_transfer(
    *,
    proponent_organization_id: str,
    from_organization_id: str,
    to_organization_id: str,
    credit_type: CreditType,
    host_country: str,
) -> bool:
    """Whether this transfer is added back (上乗せ) to the sender's SHK emissions: the sender created the
    credits (it proposed the project) from its OWN emission reductions and gives them to another
    organization. Not added back: moves between its own accounts; absorption (removal, e.g. forest)
    credits, which SHK never deducted (脚注 8); credits from a project outside Japan, whose reductions
    were never in its reported emissions (a VCS project in Kenya, say)."""
    return (
        proponent_organization_id == from_organization_id
        and to_organization_id != from_organization_id
        and credit_type is CreditType.REDUCTION
        and host_country == SHK_COUNTRY
    )
