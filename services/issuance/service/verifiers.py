"""Accreditation of validation/verification bodies, which the registry owns (Organization)."""

from __future__ import annotations

from carbon_runtime.errors import forbidden, invalid
from services.issuance.service.ports import RegistryPort


def is_accredited(registry: RegistryPort, organization_id: str, token: str | None) -> bool:
    org = registry.get_organization(organization_id, token)
    return org is not None and org.accredited_verifier


def require_accredited(
    registry: RegistryPort, organization_id: str, token: str | None, *, refuse_as_invalid: bool
) -> None:
    if is_accredited(registry, organization_id, token):
        return
    message = f"organization {organization_id} is not an accredited validation/verification body"
    if refuse_as_invalid:
        raise invalid("VERIFIER_NOT_ACCREDITED", message, verifier_id=organization_id)
    raise forbidden("VERIFIER_NOT_ACCREDITED", message, verifier_id=organization_id)
