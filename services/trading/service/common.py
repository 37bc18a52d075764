"""Checks several use cases share: account ownership (asked of the registry) and the delivery
criteria a sell or tender locks credits under."""

from __future__ import annotations

from carbon_runtime.errors import forbidden, invalid
from services.trading.domain.actor import Actor
from services.trading.domain.instruments import Instrument
from services.trading.service.ports import DeliveryCriteria, RegistryPort


def delivery_criteria(instrument: Instrument) -> DeliveryCriteria:
    c = instrument.criteria
    return DeliveryCriteria(
        program_ids=tuple(sorted(c.program_ids)) if c.program_ids else (),
        credit_types=tuple(sorted(x.value for x in c.credit_types)) if c.credit_types else (),
        categories=tuple(sorted(x.value for x in c.categories)) if c.categories else (),
        vintage_from=c.vintage_from,
        vintage_to=c.vintage_to,
        corresponding_adjustment_required=c.corresponding_adjustment_required,
        batch_id=c.batch_id,
    )


def check_account_owner(registry: RegistryPort, actor: Actor, account_id: str, organization_id: str) -> None:
    """The account must be a HOLDING account of the acting organization (asked with the trader's token)."""
    account = registry.get_account(account_id, actor.token)
    if account.organization_id != organization_id:
        raise forbidden("ACCOUNT_NOT_OWNED", "the account belongs to another organization", account_id=account_id)
    if account.kind != "HOLDING":
        raise invalid("ACCOUNT_NOT_HOLDING", "orders deliver from and to HOLDING accounts only", account_id=account_id)
