"""Retire (無効化, ACCOUNT_HOLDER of the owning organization): HELD units are retired for the
holder's own claim. Permanent: the units reach the organization's RETIREMENT account as RETIRED and
never move again. A certificate quoting the journal hash is issued in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from carbon_runtime.errors import invalid
from carbon_runtime.vocabulary import RetirementPurpose
from services.registry.domain import ledger
from services.registry.domain.actor import require_authenticated
from services.registry.domain.certificates import CertificateKind
from services.registry.domain.commands import RetireCredits
from services.registry.domain.events import CreditsRetired, blocks_of
from services.registry.domain.fiscal import counts_toward_japan_ndc
from services.registry.domain.models import AccountKind
from services.registry.domain.permanent_uses import check_retirement
from services.registry.service.common import caused_by, require_holder_of, require_id
from services.registry.service.permanent_use import record_use, take_units
from services.registry.service.ports import RegistryUnitOfWork
from services.registry.service.results import RetirementResult

MIN_RETIREMENT_YEAR = 1990
MAX_RETIREMENT_YEAR = 2200
MAX_OFFSET_EMISSIONS_T = Decimal(10) ** 12


def require_beneficiary(beneficiary: str) -> str:
    text = beneficiary.strip()
    if not text:
        raise invalid("BENEFICIARY_REQUIRED", "name the beneficiary on whose behalf the credits are used")
    if len(text) > 500:
        raise invalid("BENEFICIARY_TOO_LONG", "beneficiary is at most 500 characters")
    return text


def check_offset_emissions(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite() or value < 0:
        raise invalid("OFFSET_EMISSIONS_INVALID", "offsetEmissions must be a finite, non-negative number of tCO2e")
    # The figure is stored as text of at most 60 characters; no activity emits a trillion tCO2e.
    if value > MAX_OFFSET_EMISSIONS_T or len(str(value)) > 60:
        raise invalid(
            "OFFSET_EMISSIONS_INVALID",
            f"offsetEmissions must be at most {MAX_OFFSET_EMISSIONS_T:,} tCO2e, briefly written",
        )
    return value


def handle(cmd: RetireCredits, uow: RegistryUnitOfWork, *, new_id: Callable[[], str]) -> RetirementResult:
    actor = cmd.actor
    require_authenticated(actor)
    account_id = require_id(cmd.account_id, "account_id")
    batch_id = require_id(cmd.batch_id, "batch_id")
    quantity = ledger.require_positive_quantity(cmd.quantity_t)
    if cmd.purpose is None:
        raise invalid("RETIREMENT_PURPOSE_INVALID", "retirement purpose must be set")
    purpose = cmd.purpose
    beneficiary = require_beneficiary(cmd.beneficiary)
    if not MIN_RETIREMENT_YEAR <= cmd.retirement_year <= MAX_RETIREMENT_YEAR:
        raise invalid(
            "RETIREMENT_YEAR_INVALID",
            f"retirementYear must be between {MIN_RETIREMENT_YEAR} and {MAX_RETIREMENT_YEAR}",
        )
    offset = check_offset_emissions(cmd.offset_emissions_t)
    period_start, period_end = cmd.reporting_period_start, cmd.reporting_period_end
    if period_start and period_end and period_start > period_end:
        raise invalid("REPORTING_PERIOD_INVALID", "the reporting period must not end before it starts")
    if len(cmd.activity_description) > 2000:
        raise invalid("ACTIVITY_DESCRIPTION_TOO_LONG", "activity description is at most 2000 characters")

    used = take_units(
        uow,
        account_id=account_id,
        batch_id=batch_id,
        quantity=quantity,
        sink_kind=AccountKind.RETIREMENT,
        operation=ledger.retire,
        authorize=lambda account: require_holder_of(actor, account, "ACCOUNT_HOLDER"),
        check_batch=lambda batch: check_retirement(
            batch,
            purpose,
            quantity_t=quantity,
            retirement_year=cmd.retirement_year,
            ets_scheme=cmd.ets_scheme,
            ets_obligation_t=cmd.ets_obligation_t,
        ),
    )
    retirement_id = new_id()
    ranges = used.serial_ranges
    toward_ndc = counts_toward_japan_ndc(used.batch)
    entry = uow.journal.append(
        actor.name,
        "Retire",
        {
            "retirement_id": retirement_id,
            "batch_id": batch_id,
            "account_id": account_id,
            "quantity": quantity,
            "serial_ranges": list(ranges),
            "purpose": purpose.value,
            "beneficiary": beneficiary,
            "retirement_year": cmd.retirement_year,
            "offset_emissions": offset,
            "counts_toward_japan_ndc": toward_ndc,
            # Which scheme and obligation the 表 8 limit was checked against, for the auditor; only
            # on ETS_COMPLIANCE retirements, so other entries keep their shape.
            **(
                {"ets_scheme": cmd.ets_scheme, "ets_obligation": cmd.ets_obligation_t}
                if purpose is RetirementPurpose.ETS_COMPLIANCE
                else {}
            ),
        },
    )
    certificate_id = record_use(
        uow,
        used,
        kind=CertificateKind.RETIREMENT,
        use_id=retirement_id,
        account_id=account_id,
        quantity=quantity,
        entry=entry,
        beneficiary=beneficiary,
        purpose=purpose.value,
        retirement_year=cmd.retirement_year,
        offset_emissions_t=offset,
        columns={
            "purpose": purpose.value,
            "beneficiary": beneficiary,
            "retirement_year": cmd.retirement_year,
            "offset_emissions": str(offset) if offset is not None else None,
            "activity_description": cmd.activity_description,
            "reporting_period_start": period_start,
            "reporting_period_end": period_end,
            "counts_toward_japan_ndc": toward_ndc,
        },
    )
    blocks = blocks_of(used.batch, used.result.affected)
    uow.emit(
        CreditsRetired(
            retirement_id=retirement_id,
            batch_id=batch_id,
            account_id=account_id,
            organization_id=used.source.organization_id,
            quantity_t=quantity,
            blocks=blocks,
            serial_ranges=ranges,
            purpose=purpose,
            beneficiary=beneficiary,
            retirement_year=cmd.retirement_year,
            offset_emissions_t=offset,
            activity_description=cmd.activity_description,
            reporting_period_start=period_start.isoformat() if period_start else "",
            reporting_period_end=period_end.isoformat() if period_end else "",
            retired_at=entry.occurred_at,
            counts_toward_japan_ndc=toward_ndc,
            **caused_by(actor, cmd.idempotency_key),
        )
    )
    return RetirementResult(
        retirement_id=retirement_id,
        account_id=account_id,
        batch_id=batch_id,
        quantity_t=quantity,
        blocks=blocks,
        serial_ranges=ranges,
        purpose=purpose,
        beneficiary=beneficiary,
        retirement_year=cmd.retirement_year,
        offset_emissions_t=offset,
        activity_description=cmd.activity_description,
        reporting_period_start=period_start,
        reporting_period_end=period_end,
        retired_at=entry.occurred_at,
        certificate_id=certificate_id,
        counts_toward_japan_ndc=toward_ndc,
    )
