"""Accreditation of validation/verification bodies, which the registry owns (Organization)."""

from __future__ import annotations

from carbon_runtime.errors import forbidden, invalid
from carbon_runtime.transport.auth import Principal
from services.issuance.service.common import Deps


def is_accredited(deps: Deps, organization_id: str, principal: Principal) -> bool:
    org = deps.registry.get_organization(organization_id, principal.token)
    return org is not None and org.accredited_verifier


def require_accredited(deps: Deps, organization_id: str, principal: Principal, *, refuse_as_invalid: bool) -> None:
    if is_accredited(deps, organization_id, principal):
        return
    message = f"organization {organization_id} is not an accredited validation/verification body"
    if refuse_as_invalid:
        raise invalid("VERIFIER_NOT_ACCREDITED", message, verifier_id=organization_id)
    raise forbidden("VERIFIER_NOT_ACCREDITED", message, verifier_id=organization_id)
