"""The SERVICE role and service tokens (issue 14, item 6; JWT error text from item 10)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.settings import DEV_JWT_SECRET, AuthSettings
from carbon_runtime.transport.auth import TokenVerifier, issue_dev_token, issue_service_token, main
from services.registry.settings import RegistrySettings

AUTH = AuthSettings()


def _refused(verifier: TokenVerifier, token: str) -> DomainError:
    with pytest.raises(DomainError) as err:
        verifier.verify(token)
    assert err.value.code is ErrorCode.UNAUTHENTICATED
    return err.value


def test_make_token_refuses_the_service_role(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--sub", "mallory", "--role", "SERVICE"])
    assert exit_.value.code == 2
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="SERVICE"):
        issue_dev_token(DEV_JWT_SECRET, "mallory", None, ["TRADER", "SERVICE"])


def test_user_tokens_can_never_carry_the_service_role() -> None:
    import time

    import jwt

    now = int(time.time())
    forged = jwt.encode({"sub": "mallory", "roles": ["SERVICE"], "exp": now + 60}, DEV_JWT_SECRET, algorithm="HS256")
    assert "SERVICE" in _refused(TokenVerifier(AUTH, production=False), forged).message


def test_a_service_token_minted_for_another_service_is_refused() -> None:
    registry = TokenVerifier(AUTH, production=False, service_name="registry")
    assert registry.verify(issue_service_token(AUTH, "trading", audience="registry")).has_role("SERVICE")
    _refused(registry, issue_service_token(AUTH, "trading", audience="issuance"))


def test_production_refuses_service_tokens_without_an_audience() -> None:
    registry = TokenVerifier(AUTH, production=True, service_name="registry")
    _refused(registry, issue_service_token(AUTH, "trading"))


def test_jwt_library_error_text_is_not_echoed() -> None:
    forged = issue_dev_token("attacker-secret", "mallory", "org-1", ["TRADER"])
    err = _refused(TokenVerifier(AUTH, production=False), forged)
    assert err.message == "the bearer token is invalid"


def test_production_refuses_a_service_secret_shorter_than_32_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_ENVIRONMENT", "production")
    monkeypatch.setenv("CARBON_JWKS_URL", "https://idp.example/jwks")
    monkeypatch.setenv("CARBON_OIDC_ISSUER", "https://idp.example/")
    monkeypatch.setenv("CARBON_SERVICE_SECRET", "x" * 31)
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        RegistrySettings()
    monkeypatch.setenv("CARBON_SERVICE_SECRET", "x" * 32)
    assert RegistrySettings().is_production


def test_production_refuses_to_serve_http_without_a_gateway_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_ENVIRONMENT", "production")
    monkeypatch.setenv("CARBON_JWKS_URL", "https://idp.example/jwks")
    monkeypatch.setenv("CARBON_OIDC_ISSUER", "https://idp.example/")
    monkeypatch.setenv("CARBON_SERVICE_SECRET", "x" * 32)
    with pytest.raises(ValueError, match="CARBON_GATEWAY_SECRET"):
        RegistrySettings().require_gateway_secret()
