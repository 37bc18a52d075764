"""Settings (one prefix per service, production guards) and JWT authentication."""

from __future__ import annotations

import time

import jwt
import pytest
from pydantic import ValidationError

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.settings import DEV_JWT_SECRET, AuthSettings
from carbon_runtime.transport.auth import TokenVerifier, issue_dev_token, issue_service_token, main
from services.issuance.settings import IssuanceSettings
from services.registry.settings import RegistrySettings


def test_each_service_reads_only_its_own_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_HTTP_PORT", "9999")
    monkeypatch.setenv("ISSUANCE_DATABASE_URL", "postgresql://x@h/db")
    assert RegistrySettings().http_port == 9999
    assert IssuanceSettings().http_port == 8101
    assert IssuanceSettings().database_url == "postgresql://x@h/db"
    assert RegistrySettings().database_url == "sqlite:///var/registry.db"


def test_production_refuses_the_dev_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="dev JWT secret"):
        RegistrySettings()


def test_production_needs_oidc_and_a_real_service_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_ENVIRONMENT", "production")
    monkeypatch.setenv("CARBON_JWKS_URL", "https://idp.example/jwks")
    monkeypatch.setenv("CARBON_OIDC_ISSUER", "https://idp.example/")
    with pytest.raises(ValidationError, match="dev service secret"):
        RegistrySettings()
    monkeypatch.setenv("CARBON_SERVICE_SECRET", "s3cr3t-from-a-vault")
    with pytest.raises(ValidationError, match="CARBON_SERVICE_SECRET of at least 32 bytes"):
        RegistrySettings()
    monkeypatch.setenv("CARBON_SERVICE_SECRET", "s3cr3t-from-a-vault-" + "x" * 16)
    assert RegistrySettings().is_production
    with pytest.raises(ValueError, match="CARBON_GATEWAY_SECRET"):
        RegistrySettings().require_gateway_secret()
    monkeypatch.setenv("CARBON_GATEWAY_SECRET", "g" * 32)
    RegistrySettings().require_gateway_secret()


def _verifier(production: bool = False) -> TokenVerifier:
    return TokenVerifier(AuthSettings(), production=production)


def test_dev_token_round_trips_to_a_principal() -> None:
    token = issue_dev_token(DEV_JWT_SECRET, "alice", "org-1", ["ACCOUNT_HOLDER", "TRADER"])
    p = _verifier().from_authorization(f"Bearer {token}")
    assert (p.user_id, p.organization_id, p.roles) == ("alice", "org-1", frozenset({"ACCOUNT_HOLDER", "TRADER"}))


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Basic abc", "Bearer"),
        ("Bearer not-a-jwt", "not a JWT"),
        ("Bearer " + issue_dev_token("wrong-secret", "a", None, [], ttl_s=86400), "invalid"),
        ("Bearer " + issue_dev_token(DEV_JWT_SECRET, "a", None, [], ttl_s=-10), "expired"),
        (
            "Bearer " + jwt.encode({"sub": "a", "exp": int(time.time()) + 86400, "roles": ["KING"]}, DEV_JWT_SECRET),
            "unknown",
        ),
        ("Bearer " + jwt.encode({"sub": "a", "exp": int(time.time()) + 86400}, "x", algorithm="HS384"), "not accepted"),
    ],
)
def test_bad_tokens_are_unauthenticated(header: str, message: str) -> None:
    with pytest.raises(DomainError) as err:
        _verifier().from_authorization(header)
    assert err.value.code is ErrorCode.UNAUTHENTICATED
    assert message in err.value.message


def test_no_header_is_anonymous() -> None:
    assert not _verifier().from_authorization(None).authenticated


def test_production_refuses_hs256_user_tokens() -> None:
    token = issue_dev_token(DEV_JWT_SECRET, "alice", "org-1", ["REGISTRY_ADMIN"])
    with pytest.raises(DomainError, match="refused in production"):
        _verifier(production=True).from_authorization(f"Bearer {token}")


def test_service_tokens_carry_only_the_service_role() -> None:
    settings = AuthSettings()
    p = _verifier().verify(issue_service_token(settings, "trading"))
    assert p.roles == frozenset({"SERVICE"}) and p.user_id == "service:trading"
    forged = jwt.encode(
        {"sub": "x", "iss": "carbon-internal", "roles": ["REGISTRY_ADMIN"], "exp": int(time.time()) + 86400},
        settings.service_secret,
    )
    with pytest.raises(DomainError, match="only the SERVICE role"):
        _verifier().verify(forged)


def test_token_command_prints_a_verifiable_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--sub", "bob", "--org", "org-9", "--role", "TRADER"]) == 0
    token = capsys.readouterr().out.strip()
    p = _verifier().verify(token)
    assert p.organization_id == "org-9" and p.roles == frozenset({"TRADER"})
