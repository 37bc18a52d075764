"""Fiscal-year and double-counting rules that depend on who transfers what, and when.

- Japanese fiscal year (年度): April to March, named by the calendar year in which it starts
  (FY2023 = 2023-04-01 .. 2024-03-31), evaluated in Japan time (UTC+9, no daylight saving), so a
  transfer at 2024-03-31T20:00Z (05:00 on 1 April in Tokyo) falls in FY2024.
- ITMO first transfer (Article 6.2): a unit of a batch authorized for NDC use leaving the host country
  (its holder's organization in the host Party, the receiver's in another) for the first time; the
  rule is carbon_runtime.rules.first_transfer, the same the Article 6 report applies. The host
  country's corresponding adjustment is tied to that event, so it must be recognised exactly once per
  unit, even if units come back and leave again.
- Issuer onset (SHK, report Figure 3): credits the issuing proponent transfers away can no longer
  be claimed by it; their quantity is added back to its emissions for the fiscal year of the
  transfer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from carbon_runtime.errors import invalid
from carbon_runtime.rules.article6 import ARTICLE6_FROM
from carbon_runtime.rules.categories import counts_toward_japan_ndc as shared_counts_toward_japan_ndc
from carbon_runtime.rules.first_transfer import is_first_transfer_at_transfer

from .blocks import UnitBlock
from .models import Account, AuthorizationPurpose, Batch

JAPAN_TIME = timezone(timedelta(hours=9), "JST")
FISCAL_YEAR_START_MONTH = 4


def japanese_fiscal_year(moment: date | datetime) -> int:
    """The Japanese fiscal year of a date, or of an aware instant taken in Japan time."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise invalid("DATETIME_NAIVE", "an instant needs a UTC offset to find its Japanese fiscal year")
        moment = moment.astimezone(JAPAN_TIME).date()
    return moment.year if moment.month >= FISCAL_YEAR_START_MONTH else moment.year - 1


def fiscal_year_bounds(fiscal_year: int) -> tuple[date, date]:
    """First and last day (inclusive) of a Japanese fiscal year."""
    return date(fiscal_year, FISCAL_YEAR_START_MONTH, 1), date(fiscal_year + 1, FISCAL_YEAR_START_MONTH, 1) - timedelta(
        days=1
    )


UnitRange = tuple[int, int]


def _subtract(range_: UnitRange, taken: Sequence[UnitRange]) -> list[UnitRange]:
    """Parts of range_ not covered by any of `taken` (inclusive ranges)."""
    pieces = [range_]
    for taken_start, taken_end in taken:
        next_pieces: list[UnitRange] = []
        for start, end in pieces:
            if taken_end < start or taken_start > end:
                next_pieces.append((start, end))
                continue
            if start < taken_start:
                next_pieces.append((start, taken_start - 1))
            if taken_end < end:
                next_pieces.append((taken_end + 1, end))
        pieces = next_pieces
    return pieces


def is_proponent_outbound(batch: Batch, from_account: Account, to_account: Account) -> bool:
    """A transfer from an account of the batch's proponent to another organization's account."""
    proponent = batch.proponent_organization_id
    return from_account.organization_id == proponent and to_account.organization_id != proponent


def could_be_first_transfer(batch: Batch, from_party: str, to_party: str) -> bool:
    """The move can be an ITMO first transfer: the batch is authorized for NDC use and the units leave
    the host Party (from an organization of the host country to one of another country)."""
    return is_first_transfer_at_transfer(
        authorized_for_ndc=batch.authorization_purpose is AuthorizationPurpose.NDC,
        host_party=batch.host_country,
        from_party=from_party,
        to_party=to_party,
    )


def itmo_first_transfers(
    batch: Batch,
    from_party: str,
    to_party: str,
    moved: Sequence[UnitBlock],
    already_first_transferred: Sequence[UnitRange] = (),
) -> tuple[UnitRange, ...]:
    """The unit ranges of `moved` (OperationResult.affected of a transfer or settle) that are ITMO
    first transfers now: `could_be_first_transfer` for the sender's and receiver's countries, and the
    units are not among `already_first_transferred` (ranges recorded earlier)."""
    if not could_be_first_transfer(batch, from_party, to_party):
        return ()
    result: list[UnitRange] = []
    for block in sorted(moved):
        if block.batch_id != batch.id:
            raise invalid("BLOCKS_OF_SEVERAL_BATCHES", f"block of batch {block.batch_id} is not of batch {batch.id}")
        result.extend(_subtract((block.start, block.end), already_first_transferred))
    return tuple(result)


@dataclass(frozen=True, slots=True)
class TransferRecord:
    """One completed transfer (direct or trade settlement), as onset needs it."""

    batch_id: str
    proponent_organization_id: str
    from_organization_id: str
    to_organization_id: str
    quantity: int
    occurred_at: datetime


def counts_toward_issuer_onset(record: TransferRecord, organization_id: str) -> bool:
    """Credits the organization issued (as proponent) and transferred to another organization."""
    return (
        record.proponent_organization_id == organization_id
        and record.from_organization_id == organization_id
        and record.to_organization_id != organization_id
    )


def issuer_onset_quantity(records: Iterable[TransferRecord], organization_id: str, fiscal_year: int) -> int:
    """Tonnes the organization must add back (onset) for the fiscal year: its own issued credits it
    transferred away during that year. Transfers between its own accounts do not count."""
    return sum(
        record.quantity
        for record in records
        if counts_toward_issuer_onset(record, organization_id)
        and japanese_fiscal_year(record.occurred_at) == fiscal_year
    )


# Japan counts retired JCM credits for outcomes from 2021-01-01 on toward its NDC (report 表 5 第 5 条:
# 「2021 年 1 月 1 日以降に実現した排出削減・吸収に対して発行された JCM クレジットについて、無効化…された量を、
# 日本国の NDC の達成に活用することができる。」). The rule is shared with issuance's category (1)
# (carbon_runtime.rules.categories), so the two services agree on which credits are Japan's.
JCM_NDC_FROM = ARTICLE6_FROM


def counts_toward_japan_ndc(batch: Batch) -> bool:
    """Whether retiring units of this batch is recorded as counting toward Japan's NDC."""
    return shared_counts_toward_japan_ndc(batch.program_id, batch.vintage_start)
