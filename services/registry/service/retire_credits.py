"""Retire (無効化, ACCOUNT_HOLDER of the owning organization): HELD units are retired for the
holder's own claim. Permanent: the units reach the organization's RETIREMENT account as RETIRED and
never move again. A certificate quoting the journal hash is issued in the same transaction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from carbon.registry.v1 import events_pb2, registry_pb2, types_pb2

from carbon_runtime.errors import invalid
from carbon_runtime.transport.auth import Principal, require_authenticated
from services.registry.adapters import repository as repo
from services.registry.adapters import tables as t
from services.registry.domain import ledger
from services.registry.domain.certificates import CertificateKind
from services.registry.domain.fiscal import counts_toward_japan_ndc
from services.registry.domain.models import AccountKind
from services.registry.service.common import (
    RegistryDeps,
    UnitOfWorkLike,
    actor,
    actor_org,
    blocks_to_proto,
    enum_suffix,
    new_id,
    require_holder_of,
    require_id,
    run_idempotent,
    timestamp,
)
from services.registry.service.permanent_use import record_use, take_units

MIN_RETIREMENT_YEAR = 1990
MAX_RETIREMENT_YEAR = 2200


def require_beneficiary(beneficiary: str) -> str:
    text = beneficiary.strip()
    if not text:
        raise invalid("BENEFICIARY_REQUIRED", "name the beneficiary on whose behalf the credits are used")
    if len(text) > 500:
        raise invalid("BENEFICIARY_TOO_LONG", "beneficiary is at most 500 characters")
    return text


MAX_OFFSET_EMISSIONS_T = Decimal(10) ** 12


def parse_offset_emissions(text: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise invalid(
            "DECIMAL_MALFORMED", 'offsetEmissions must be a decimal number as a string, e.g. "12.5"'
        ) from None
    if not value.is_finite() or value < 0:
        raise invalid("OFFSET_EMISSIONS_INVALID", "offsetEmissions must be a finite, non-negative number of tCO2e")
    # The figure is stored as text of at most 60 characters; no activity emits a trillion tCO2e.
    if value > MAX_OFFSET_EMISSIONS_T or len(str(value)) > 60:
        raise invalid(
            "OFFSET_EMISSIONS_INVALID",
            f"offsetEmissions must be at most {MAX_OFFSET_EMISSIONS_T:,} tCO2e, briefly written",
        )
    return value


def _optional_date(text: str, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise invalid("DATE_MALFORMED", f"{field} must be an ISO 8601 date YYYY-MM-DD", field=field) from None


def retire_credits(
    deps: RegistryDeps, principal: Principal, request: registry_pb2.RetireRequest
) -> registry_pb2.RetireResponse:
    require_authenticated(principal)
    account_id = require_id(request.account_id, "account_id")
    batch_id = require_id(request.batch_id, "batch_id")
    quantity = ledger.require_positive_quantity(int(request.quantity_t))
    purpose = enum_suffix(types_pb2.RetirementPurpose, request.purpose, "RETIREMENT_PURPOSE_")
    beneficiary = require_beneficiary(request.beneficiary)
    if not MIN_RETIREMENT_YEAR <= request.retirement_year <= MAX_RETIREMENT_YEAR:
        raise invalid(
            "RETIREMENT_YEAR_INVALID",
            f"retirementYear must be between {MIN_RETIREMENT_YEAR} and {MAX_RETIREMENT_YEAR}",
        )
    offset = parse_offset_emissions(request.offset_emissions_decimal)
    period_start = _optional_date(request.reporting_period_start, "reporting_period_start")
    period_end = _optional_date(request.reporting_period_end, "reporting_period_end")
    if period_start and period_end and period_start > period_end:
        raise invalid("REPORTING_PERIOD_INVALID", "the reporting period must not end before it starts")
    if len(request.activity_description) > 2000:
        raise invalid("ACTIVITY_DESCRIPTION_TOO_LONG", "activity description is at most 2000 characters")

    def effect(uow: UnitOfWorkLike) -> registry_pb2.RetireResponse:
        used = take_units(
            uow,
            principal,
            account_id=account_id,
            batch_id=batch_id,
            quantity=quantity,
            sink_kind=AccountKind.RETIREMENT,
            operation=ledger.retire,
            authorize=lambda account: require_holder_of(principal, account, "ACCOUNT_HOLDER"),
        )
        retirement_id = new_id()
        ranges = used.serial_ranges
        toward_ndc = counts_toward_japan_ndc(used.batch)
        entry = repo.append_journal(
            uow.conn,
            actor(principal),
            "Retire",
            {
                "retirement_id": retirement_id,
                "batch_id": batch_id,
                "account_id": account_id,
                "quantity": quantity,
                "serial_ranges": ranges,
                "purpose": purpose,
                "beneficiary": beneficiary,
                "retirement_year": request.retirement_year,
                "offset_emissions": offset,
                "counts_toward_japan_ndc": toward_ndc,
            },
        )
        record_use(
            uow,
            used,
            kind=CertificateKind.RETIREMENT,
            table=t.retirements,
            use_id=retirement_id,
            account_id=account_id,
            quantity=quantity,
            entry=entry,
            beneficiary=beneficiary,
            purpose=purpose,
            retirement_year=request.retirement_year,
            offset_emissions_t=offset,
            columns={
                "purpose": purpose,
                "beneficiary": beneficiary,
                "retirement_year": request.retirement_year,
                "offset_emissions": str(offset) if offset is not None else None,
                "activity_description": request.activity_description,
                "reporting_period_start": period_start,
                "reporting_period_end": period_end,
                "counts_toward_japan_ndc": toward_ndc,
            },
        )
        blocks = blocks_to_proto(used.batch, used.result.affected)
        uow.add_event(
            "batch",
            batch_id,
            events_pb2.CreditsRetired(
                retirement_id=retirement_id,
                batch_id=batch_id,
                account_id=account_id,
                organization_id=used.source.organization_id,
                quantity_t=quantity,
                blocks=blocks,
                serial_ranges=ranges,
                purpose=request.purpose,
                beneficiary=beneficiary,
                retirement_year=request.retirement_year,
                offset_emissions_decimal=str(offset) if offset is not None else "",
                activity_description=request.activity_description,
                reporting_period_start=request.reporting_period_start,
                reporting_period_end=request.reporting_period_end,
                retired_at=timestamp(entry.occurred_at),
                idempotency_key=request.idempotency_key,
                actor_user_id=actor(principal),
                actor_organization_id=actor_org(principal),
                counts_toward_japan_ndc=toward_ndc,
            ),
        )
        return registry_pb2.RetireResponse(
            retirement_id=retirement_id, blocks=blocks, serial_ranges=ranges, retired_at=timestamp(entry.occurred_at)
        )

    return run_idempotent(deps, principal, "Retire", request, registry_pb2.RetireResponse, effect)
