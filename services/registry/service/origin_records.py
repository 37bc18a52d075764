"""What ImportBatch and ImportBlockEvent share: credits bridged in from an external registry
(Verra, Gold Standard, ACR, CAR, ART TREES).

An imported batch is minted to the HOLDING account of a platform organization standing for the
origin registry ("IMPORT-VERRA"), with its origin batch id and origin serial range kept beside it.
Retirements and cancellations made at the origin then take the same quantity out of that account,
and the retirement/cancellation record keeps the origin serial sub-range. Units nobody retired or
cancelled at the origin stay HELD there.

Double registration: an origin unit range may be claimed once per origin registry and numbering
scope, by one batch (issuance) and by one retirement/cancellation. A second claim of any overlapping
unit is refused with CONFLICT DOUBLE_REGISTRATION. The check and the insert run in one transaction
that first serializes every claim on the scope (see Imports.serialize_scope), so two concurrent
imports of overlapping ranges cannot both pass.

Idempotency is keyed by the import record (its key is derived from the origin record), not by the
caller: the same record imported again by anybody returns the first result and changes nothing;
the key with other arguments is CONFLICT IMPORT_KEY_REUSED.
"""

from __future__ import annotations

import re

from carbon_runtime.errors import invalid
from services.registry.domain.commands import OriginUnits
from services.registry.service.common import require_id

DOUBLE_REGISTRATION = "DOUBLE_REGISTRATION"
IMPORT_KEY_REUSED = "IMPORT_KEY_REUSED"
ORIGIN_BATCH_NOT_IMPORTED = "ORIGIN_BATCH_NOT_IMPORTED"

_REGISTRY_NAME = re.compile(r"[A-Z][A-Z_]{1,19}")
NAMES = {
    "VERRA": "Verra",
    "GOLD_STANDARD": "Gold Standard",
    "ACR": "American Carbon Registry",
    "CAR": "Climate Action Reserve",
    "ART": "ART TREES",
}


def import_organization_id(origin_registry: str) -> str:
    return f"IMPORT-{origin_registry}"


def import_account_id(origin_registry: str) -> str:
    return f"IMPORT-{origin_registry}-HOLDING"


def registry_name(origin_registry: str) -> str:
    return NAMES.get(origin_registry, origin_registry)


def origin_registry(value: str) -> str:
    if not _REGISTRY_NAME.fullmatch(value):
        raise invalid("ORIGIN_REGISTRY_INVALID", "origin_registry must be a registry name such as VERRA or ACR")
    return value


def units_text(units: OriginUnits) -> str:
    return f"{units.numbering_scope} {units.unit_start}-{units.unit_end}"


def check_origin_units(units: OriginUnits | None, quantity: int) -> OriginUnits | None:
    if units is None:
        return None
    require_id(units.numbering_scope, "origin_units.numbering_scope")
    if len(units.numbering_scope) > 200 or len(units.origin_serial) > 300:
        raise invalid("ORIGIN_RANGE_INVALID", "numbering scope or origin serial too long")
    if not 1 <= units.unit_start <= units.unit_end:
        raise invalid("ORIGIN_RANGE_INVALID", "origin units must satisfy 1 <= unit_start <= unit_end")
    held = units.unit_end - units.unit_start + 1
    if held != quantity:
        raise invalid(
            "ORIGIN_RANGE_QUANTITY_MISMATCH",
            f"origin units {units.unit_start}-{units.unit_end} hold {held} t, the record states {quantity} t",
        )
    return units
