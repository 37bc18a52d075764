"""Article 6.2 report for one Party and calendar year, shaped like the UNFCCC agreed electronic format.

Only units from batches with an authorization (`AuthorizationFacts`) and a corresponding adjustment are
ITMOs; everything else is outside Article 6.2 and ignored. One `AefRecord` is one AEF row: one action on
one contiguous block of ITMOs.

Field mapping (AEF column -> `AefRecord` field -> where it comes from):
- Cooperative approach ............... cooperative_approach_id ..... AuthorizationFacts (same name)
- First ID / Last ID (ITMO unique identifiers)
                                    .. itmo_first_id / itmo_last_id . block serials ("<first>-<last>"),
                                                                        the batch serials for authorization
- Vintage ............................ vintage ..................... BatchFacts.vintage_end.year
- Sector ............................. sector ...................... BatchFacts.sector
- Activity type ...................... activity_type ............... "Emission reductions" | "Removals"
- Metric / Quantity (in metric) ...... metric / quantity ........... "tCO2e" / tonnes
- Conversion factor .................. conversion_factor ........... "1" (all units are tCO2e)
- Quantity (in tCO2e) ................ quantity_tco2e .............. tonnes
- First transferring Party ........... first_transferring_party .... AuthorizationFacts.host_party
- Transferring Party / Acquiring Party transferring_party / acquiring_party
                                                                     organization -> Party mapping
- Purposes for authorization ......... purposes_for_authorization .. "NDC" | "OIMP" | "NDC and OIMP"
- OIMP authorized by the first transferring Party
                                    .. oimp_authorized ............. AuthorizationFacts.oimp (e.g. "CORSIA")
- Authorized entities ................ authorized_entities ......... AuthorizationFacts.authorized_entities
- Authorization date ................. authorization_date .......... AuthorizationFacts.authorized_on
- Action (first transfer, transfer, acquisition, use, voluntary cancellation)
                                    .. action ...................... AefAction
- Action date ........................ action_date ................. event date in Japan time (JST)
- Using Party / Purpose of use ....... using_party / purpose_of_use  "NDC" or the OIMP name
- (platform) source event ............ source_id ................... transfer/retirement/cancellation id

How platform events map to actions:
- authorization (dated in the year) -> AUTHORIZATION by the host Party;
- OIMP-only authorization whose first transfer is defined at AUTHORIZATION or ISSUANCE -> FIRST_TRANSFER
  on that date (decision 2/CMA.3 annex para 2(b) lets the host define it);
- transfer leaving the host Party -> FIRST_TRANSFER (NDC-authorized or first transfer defined at transfer);
  other cross-border transfers -> TRANSFER (transferring Party) and ACQUISITION (acquiring Party);
  transfers inside one Party are not international and are not reported;
- NDC use (償却) -> USE towards NDC by the using Party;
- retirement (無効化) the registry marked `counts_toward_japan_ndc` -> USE towards NDC by Japan ("JP"),
  whatever the retirement's purpose (SHK adjustment or voluntary offsetting) and whichever organization
  retired: Japan counts retired JCM credits for reductions from 2021-01-01 toward its NDC (DOMAIN.md §4).
  The registry's flag is the only authority; the retirement's purpose is not (an SHK_ADJUSTMENT
  retirement of an ITMO the registry did not mark, e.g. a pre-2021 JCM vintage, counts toward no NDC);
- cancellation for CORSIA / another international scheme -> USE towards OIMP, preceded by a FIRST_TRANSFER
  when the host defined first transfer at use or cancellation;
- any other retirement or cancellation -> VOLUNTARY_CANCELLATION.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from carbon_runtime.errors import invalid, precondition
from carbon_runtime.rules.first_transfer import is_first_transfer_at_transfer
from carbon_runtime.vocabulary import CancellationPurpose, CreditType

from .facts import JST, BatchFacts, CancellationFacts, NdcUseFacts, RetirementFacts, TransferFacts, require_aware

# The Party that counts JCM retirements toward its NDC (ISO 3166-1 alpha-2, as every Party here).
JAPAN_PARTY = "JP"


class AuthorizedPurpose(enum.StrEnum):
    NDC = "NDC"
    OIMP = "OIMP"
    NDC_AND_OIMP = "NDC and OIMP"


class FirstTransferDefinition(enum.StrEnum):
    """When an OIMP-authorized ITMO is first transferred (decision 2/CMA.3 annex para 2(b))."""

    AUTHORIZATION = "AUTHORIZATION"
    ISSUANCE = "ISSUANCE"
    USE_OR_CANCELLATION = "USE_OR_CANCELLATION"


class AefAction(enum.StrEnum):
    AUTHORIZATION = "Authorization"
    FIRST_TRANSFER = "First transfer"
    TRANSFER = "Transfer"
    ACQUISITION = "Acquisition"
    USE = "Use"
    VOLUNTARY_CANCELLATION = "Voluntary cancellation"


# Record order inside one day: an authorization precedes the transfers it enables, a first transfer
# precedes the use it makes possible.
_ACTION_ORDER = {action: index for index, action in enumerate(AefAction)}


@dataclass(frozen=True, slots=True)
class AuthorizationFacts:
    authorization_id: str
    batch_id: str
    cooperative_approach_id: str
    host_party: str
    authorized_on: date
    purposes: AuthorizedPurpose
    oimp: str = ""
    first_transfer_definition: FirstTransferDefinition | None = None
    authorized_entities: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.purposes is not AuthorizedPurpose.NDC and (not self.oimp or self.first_transfer_definition is None):
            raise invalid(
                "OIMP_AUTHORIZATION_INCOMPLETE",
                f"authorization {self.authorization_id} for OIMP must name the OIMP and when the first "
                "transfer happens",
            )


@dataclass(frozen=True, slots=True)
class AefRecord:
    action: AefAction
    action_date: date
    cooperative_approach_id: str
    authorization_id: str
    authorization_date: date
    itmo_first_id: str
    itmo_last_id: str
    vintage: int
    sector: str
    activity_type: str
    metric: str
    quantity: int
    conversion_factor: str
    quantity_tco2e: int
    first_transferring_party: str
    transferring_party: str
    acquiring_party: str
    using_party: str
    purpose_of_use: str
    purposes_for_authorization: str
    oimp_authorized: str
    authorized_entities: tuple[str, ...]
    batch_id: str
    source_id: str


@dataclass(frozen=True, slots=True)
class Article6Report:
    reporting_party: str
    year: int
    records: tuple[AefRecord, ...]
    totals_by_action_tco2e: Mapping[AefAction, int]


@dataclass(frozen=True, slots=True)
class _Itmo:
    batch: BatchFacts
    authorization: AuthorizationFacts


def _split_range(serial_range: str) -> tuple[str, str]:
    # Serial ranges are "<first>-<last>"; serial formats may contain '-', so the range is split in the
    # middle only when the halves are balanced, otherwise at the last '-'.
    parts = serial_range.split("-")
    if len(parts) % 2 == 0 and len(parts) >= 2:
        half = len(parts) // 2
        return "-".join(parts[:half]), "-".join(parts[half:])
    if "-" not in serial_range:
        return serial_range, serial_range
    head, _, tail = serial_range.rpartition("-")
    return head, tail


def _day(moment: datetime, what: str) -> date:
    """The calendar day of an event in Japan time, the clock the SHK fiscal years use (issue 13 item 9):
    a transfer at 2024-12-31T20:00Z happened on 1 January 2025 in Tokyo, so it belongs to the 2025
    report, as it does to the fiscal-year reports that read the same event."""
    return require_aware(moment, what).astimezone(JST).date()


class _Builder:
    def __init__(self, reporting_party: str, year: int, organization_parties: Mapping[str, str]) -> None:
        self.reporting_party = reporting_party
        self.year = year
        self.organization_parties = organization_parties
        self.records: list[AefRecord] = []

    def party_of(self, organization_id: str) -> str:
        party = self.organization_parties.get(organization_id)
        if party is None:
            raise precondition(
                "ORGANIZATION_PARTY_UNKNOWN",
                f"organization {organization_id} has no known country; Article 6 rows need its Party",
                organization_id=organization_id,
            )
        return party

    def add(
        self,
        itmo: _Itmo,
        action: AefAction,
        action_date: date,
        serial_range: tuple[str, str],
        quantity_t: int,
        source_id: str,
        *,
        transferring: str = "",
        acquiring: str = "",
        using: str = "",
        purpose_of_use: str = "",
    ) -> None:
        if action_date.year != self.year:
            return
        # A Party reports the actions it takes part in; the host also reports what it authorizes and
        # first-transfers, but not what later holders do with the ITMOs among themselves.
        involved = {transferring, acquiring, using}
        if action in (AefAction.AUTHORIZATION, AefAction.FIRST_TRANSFER):
            involved.add(itmo.authorization.host_party)
        if self.reporting_party not in involved:
            return
        auth, batch = itmo.authorization, itmo.batch
        self.records.append(
            AefRecord(
                action=action,
                action_date=action_date,
                cooperative_approach_id=auth.cooperative_approach_id,
                authorization_id=auth.authorization_id,
                authorization_date=auth.authorized_on,
                itmo_first_id=serial_range[0],
                itmo_last_id=serial_range[1],
                vintage=batch.vintage_end.year,
                sector=batch.sector,
                activity_type="Removals" if batch.credit_type is CreditType.REMOVAL else "Emission reductions",
                metric="tCO2e",
                quantity=quantity_t,
                conversion_factor="1",
                quantity_tco2e=quantity_t,
                first_transferring_party=auth.host_party,
                transferring_party=transferring,
                acquiring_party=acquiring,
                using_party=using,
                purpose_of_use=purpose_of_use,
                purposes_for_authorization=auth.purposes.value,
                oimp_authorized=auth.oimp,
                authorized_entities=auth.authorized_entities,
                batch_id=batch.batch_id,
                source_id=source_id,
            )
        )

    def blocks(self, itmo: _Itmo, serial_ranges: tuple[str, ...], quantity_t: int) -> list[tuple[tuple[str, str], int]]:
        # One row per contiguous block; when the event lists several ranges without per-range counts,
        # the quantity is carried on the first row only, so totals still add up exactly.
        if not serial_ranges:
            return [((itmo.batch.serial_start, itmo.batch.serial_end), quantity_t)]
        return [
            (_split_range(serial_range), quantity_t if index == 0 else 0)
            for index, serial_range in enumerate(serial_ranges)
        ]


def build_article6_report(
    reporting_party: str,
    year: int,
    batches: Mapping[str, BatchFacts],
    authorizations: Iterable[AuthorizationFacts],
    organization_parties: Mapping[str, str],
    transfers: Iterable[TransferFacts] = (),
    retirements: Iterable[RetirementFacts] = (),
    cancellations: Iterable[CancellationFacts] = (),
    ndc_uses: Iterable[NdcUseFacts] = (),
) -> Article6Report:
    builder = _Builder(reporting_party, year, organization_parties)
    itmos: dict[str, _Itmo] = {}
    for auth in authorizations:
        batch = batches.get(auth.batch_id)
        if batch is None:
            raise precondition("BATCH_FACTS_MISSING", f"authorization {auth.authorization_id} refers to unknown batch")
        # Without a corresponding adjustment the host keeps the outcome: not an ITMO (DOMAIN.md §4).
        if not batch.corresponding_adjustment:
            continue
        authorized = _Itmo(batch, auth)
        itmos[batch.batch_id] = authorized
        whole = (batch.serial_start, batch.serial_end)
        quantity = batch.issued_quantity_t
        builder.add(authorized, AefAction.AUTHORIZATION, auth.authorized_on, whole, quantity, auth.authorization_id)
        if auth.purposes is AuthorizedPurpose.OIMP:
            if auth.first_transfer_definition is FirstTransferDefinition.AUTHORIZATION:
                builder.add(
                    authorized,
                    AefAction.FIRST_TRANSFER,
                    auth.authorized_on,
                    whole,
                    quantity,
                    auth.authorization_id,
                    transferring=auth.host_party,
                )
            elif auth.first_transfer_definition is FirstTransferDefinition.ISSUANCE and batch.issued_on:
                builder.add(
                    authorized,
                    AefAction.FIRST_TRANSFER,
                    batch.issued_on,
                    whole,
                    quantity,
                    batch.batch_id,
                    transferring=auth.host_party,
                )

    for transfer in transfers:
        itmo = itmos.get(transfer.batch_id)
        if itmo is None:
            continue
        source, target = (
            builder.party_of(transfer.from_organization_id),
            builder.party_of(transfer.to_organization_id),
        )
        if source == target:
            continue
        day = _day(transfer.transferred_at, f"transfer {transfer.transfer_id}")
        # The same rule as the registry's itmo_first_transfer flag (carbon_runtime.rules.first_transfer):
        # NDC-authorized units leaving the host Party; an OIMP-only unit's first transfer is defined
        # by the host at authorization, issuance or use, never at a transfer.
        first = is_first_transfer_at_transfer(
            authorized_for_ndc=itmo.authorization.purposes is not AuthorizedPurpose.OIMP,
            host_party=itmo.authorization.host_party,
            from_party=source,
            to_party=target,
        )
        for block, quantity in builder.blocks(itmo, transfer.serial_ranges, transfer.quantity_t):
            if first:
                builder.add(
                    itmo,
                    AefAction.FIRST_TRANSFER,
                    day,
                    block,
                    quantity,
                    transfer.transfer_id,
                    transferring=source,
                    acquiring=target,
                )
                continue
            for action in (AefAction.TRANSFER, AefAction.ACQUISITION):
                builder.add(
                    itmo,
                    action,
                    day,
                    block,
                    quantity,
                    transfer.transfer_id,
                    transferring=source,
                    acquiring=target,
                )

    for use in ndc_uses:
        itmo = itmos.get(use.batch_id)
        if itmo is None:
            continue
        day = _day(use.used_at, f"NDC use {use.ndc_use_id}")
        for block, quantity in builder.blocks(itmo, use.serial_ranges, use.quantity_t):
            builder.add(
                itmo,
                AefAction.USE,
                day,
                block,
                quantity,
                use.ndc_use_id,
                using=use.using_party,
                purpose_of_use="NDC",
            )

    for retirement in retirements:
        itmo = itmos.get(retirement.batch_id)
        if itmo is None:
            continue
        day = _day(retirement.retired_at, f"retirement {retirement.retirement_id}")
        is_ndc = retirement.counts_toward_japan_ndc
        # Japan, not the retiring organization's Party, is the Party using the ITMO toward its NDC.
        party = JAPAN_PARTY if is_ndc else builder.party_of(retirement.organization_id)
        for block, quantity in builder.blocks(itmo, retirement.serial_ranges, retirement.quantity_t):
            builder.add(
                itmo,
                AefAction.USE if is_ndc else AefAction.VOLUNTARY_CANCELLATION,
                day,
                block,
                quantity,
                retirement.retirement_id,
                using=party,
                purpose_of_use="NDC" if is_ndc else "",
            )

    oimp_purposes = (CancellationPurpose.CORSIA, CancellationPurpose.OTHER_INTERNATIONAL_SCHEME)
    for cancellation in cancellations:
        itmo = itmos.get(cancellation.batch_id)
        if itmo is None:
            continue
        day = _day(cancellation.cancelled_at, f"cancellation {cancellation.cancellation_id}")
        party = builder.party_of(cancellation.organization_id)
        is_oimp = cancellation.purpose in oimp_purposes
        first_at_use = (
            itmo.authorization.purposes is AuthorizedPurpose.OIMP
            and itmo.authorization.first_transfer_definition is FirstTransferDefinition.USE_OR_CANCELLATION
        )
        for block, quantity in builder.blocks(itmo, cancellation.serial_ranges, cancellation.quantity_t):
            if first_at_use:
                builder.add(
                    itmo,
                    AefAction.FIRST_TRANSFER,
                    day,
                    block,
                    quantity,
                    cancellation.cancellation_id,
                    transferring=itmo.authorization.host_party,
                )
            purpose = cancellation.purpose.value if is_oimp else ""
            builder.add(
                itmo,
                AefAction.USE if is_oimp else AefAction.VOLUNTARY_CANCELLATION,
                day,
                block,
                quantity,
                cancellation.cancellation_id,
                using=party,
                purpose_of_use=purpose,
            )

    records = sorted(
        builder.records,
        key=lambda r: (r.action_date, _ACTION_ORDER[r.action], r.source_id, r.itmo_first_id),
    )
    totals = {action: 0 for action in AefAction}
    for record in records:
        totals[record.action] += record.quantity_tco2e
    return Article6Report(reporting_party, year, tuple(records), totals)
