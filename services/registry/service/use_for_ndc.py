"""UseForNdc (償却, REGISTRY_ADMIN only): HELD units count towards a national NDC. Permanent: they
reach the holder organization's NDC_USE account. Only the registry administrator acts here because
the use is the state's accounting act, not the holder's claim."""

from __future__ import annotations

from collections.abc import Callable

from carbon_runtime.errors import invalid
from services.registry.domain import ledger
from services.registry.domain.actor import require_role
from services.registry.domain.certificates import CertificateKind
from services.registry.domain.commands import UseForNdc
from services.registry.domain.events import CreditsUsedForNdc, blocks_of
from services.registry.domain.models import AccountKind, validate_country
from services.registry.domain.ndc_use import require_usable_for_ndc
from services.registry.service.common import caused_by, require_id
from services.registry.service.permanent_use import record_use, take_units
from services.registry.service.ports import RegistryUnitOfWork
from services.registry.service.results import NdcUseResult


def handle(cmd: UseForNdc, uow: RegistryUnitOfWork, *, new_id: Callable[[], str]) -> NdcUseResult:
    actor = cmd.actor
    require_role(actor, "REGISTRY_ADMIN")
    account_id = require_id(cmd.account_id, "account_id")
    batch_id = require_id(cmd.batch_id, "batch_id")
    quantity = ledger.require_positive_quantity(cmd.quantity_t)
    country = validate_country(cmd.ndc_country)
    if not 2021 <= cmd.ndc_year <= 2200:
        # Article 6 NDC accounting starts with mitigation outcomes from 2021.
        raise invalid("NDC_YEAR_INVALID", "ndc_year must be a calendar year from 2021 on")

    used = take_units(
        uow,
        account_id=account_id,
        batch_id=batch_id,
        quantity=quantity,
        sink_kind=AccountKind.NDC_USE,
        operation=ledger.use_for_ndc,
        authorize=lambda account: None,
    )
    # Article 6 (report Table 4, footnote 19): pre-2021 vintages and unadjusted foreign credits are
    # refused; raising here rolls the taken units back with the unit of work.
    require_usable_for_ndc(used.batch, country)
    ndc_use_id = new_id()
    ranges = used.serial_ranges
    purpose = f"NDC of {country}, {cmd.ndc_year}"
    entry = uow.journal.append(
        actor.name,
        "UseForNdc",
        {
            "ndc_use_id": ndc_use_id,
            "batch_id": batch_id,
            "account_id": account_id,
            "quantity": quantity,
            "serial_ranges": list(ranges),
            "ndc_country": country,
            "ndc_year": cmd.ndc_year,
        },
    )
    record_use(
        uow,
        used,
        kind=CertificateKind.NDC_USE,
        use_id=ndc_use_id,
        account_id=account_id,
        quantity=quantity,
        entry=entry,
        beneficiary=country,
        purpose=purpose,
        columns={"ndc_country": country, "ndc_year": cmd.ndc_year},
    )
    blocks = blocks_of(used.batch, used.result.affected)
    uow.emit(
        CreditsUsedForNdc(
            ndc_use_id=ndc_use_id,
            batch_id=batch_id,
            account_id=account_id,
            organization_id=used.source.organization_id,
            quantity_t=quantity,
            blocks=blocks,
            serial_ranges=ranges,
            ndc_country=country,
            ndc_year=cmd.ndc_year,
            used_at=entry.occurred_at,
            **caused_by(actor, cmd.idempotency_key),
        )
    )
    return NdcUseResult(ndc_use_id=ndc_use_id, blocks=blocks, serial_ranges=ranges, used_at=entry.occurred_at)
