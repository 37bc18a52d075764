"""Which units may be used toward a national NDC (償却): Article 6 rules from 2021.

- 表 4 (ITMOs の定義): 「2021 年以降の緩和成果」, and 脚注 19: 「我が国においては、環境十全性を確保する観点から、
  2020 年以前の削減活動に由来するクレジットの NDC への活用は想定していない。」 So a vintage that starts before
  1 January 2021 is never used toward an NDC.
- 用語集 相当調整: 「パリ協定第６条及び関連する決定に従って二重計上を防止するために、他国の NDC の達成又は
  国際的な排出削減制度に活用するために国際的に移転される緩和の成果について、国際移転した国が同国の NDC の対象と
  なる温室効果ガス排出量に当該緩和成果を加え…」; §3.1.1: 「二重計上防止の措置として相当調整を行うことが必要である」.
  A credit without one stays in its host country's inventory, so only the host may count it: using it toward
  another country's NDC would count the same tonne twice. JCM credits toward Japan's NDC are the exception
  the report itself makes (表 5 第 5 条, 第 7 条: Japan applies the adjustment), decided by the shared rule.
"""

from __future__ import annotations

from carbon_runtime.errors import precondition
from carbon_runtime.rules.article6 import ARTICLE6_FROM, is_article6_vintage
from carbon_runtime.rules.categories import JAPAN, counts_toward_japan_ndc

from .models import Batch


def require_usable_for_ndc(batch: Batch, ndc_country: str) -> None:
    """Refuse (FAILED_PRECONDITION) units that cannot count toward `ndc_country`'s NDC."""
    if not is_article6_vintage(batch.vintage_start):
        raise precondition(
            "NDC_USE_PRE_2021_VINTAGE",
            f"batch {batch.id} has vintage from {batch.vintage_start}: only mitigation outcomes from "
            f"{ARTICLE6_FROM} can be used toward an NDC (Article 6; report Table 4, footnote 19)",
            batch_id=batch.id,
            vintage_start=batch.vintage_start.isoformat(),
        )
    if ndc_country == batch.host_country or batch.corresponding_adjustment:
        return
    if ndc_country == JAPAN and counts_toward_japan_ndc(batch.program_id, batch.vintage_start):
        return
    raise precondition(
        "NDC_USE_WITHOUT_CORRESPONDING_ADJUSTMENT",
        f"batch {batch.id} from {batch.host_country} carries no corresponding adjustment, so it cannot count "
        f"toward the NDC of {ndc_country} (Article 6.2; report §3.1.1)",
        batch_id=batch.id,
        host_country=batch.host_country,
        ndc_country=ndc_country,
    )
