"""Authentication: JWT verification and the principal handed to every handler.

Dev: HS256 with CARBON_JWT_SECRET. Production: RS256/ES256 verified against the OIDC issuer's JWKS,
with issuer and audience checked; the HS256 dev secret is refused (ServiceSettings refuses to start).
The same bearer token travels from the gateway to the subgraph and on in gRPC metadata, so every
service checks the caller itself instead of trusting the hop before it.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.settings import AuthSettings

_log = logging.getLogger(__name__)

ROLES = frozenset(
    {
        "REGISTRY_ADMIN",
        "PROGRAM_ADMIN",
        "EXCHANGE_ADMIN",
        "VERIFIER",
        "PROPONENT",
        "ACCOUNT_HOLDER",
        "TRADER",
        "AUDITOR",
        # Internal: a platform service acting on its own behalf (e.g. the exchange settling a trade).
        "SERVICE",
    }
)


@dataclass(frozen=True)
class Principal:
    user_id: str | None
    organization_id: str | None
    roles: frozenset[str] = field(default_factory=frozenset)
    token: str | None = None
    # For SERVICE tokens: the service the token was minted for (its `aud`), so a token a service
    # minted to call one peer cannot be replayed against another (e.g. against an event log).
    audience: str | None = None

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def member_of(self, organization_id: str | None) -> bool:
        return organization_id is not None and self.organization_id == organization_id


ANONYMOUS = Principal(user_id=None, organization_id=None)


def unauthenticated(message: str) -> DomainError:
    return DomainError(ErrorCode.UNAUTHENTICATED, "UNAUTHENTICATED", message)


def require_authenticated(p: Principal) -> None:
    if not p.authenticated:
        raise unauthenticated("this operation needs a bearer token")


def require_role(p: Principal, *roles: str) -> None:
    require_authenticated(p)
    if not p.has_role(*roles):
        raise DomainError(
            ErrorCode.FORBIDDEN, "NOT_AUTHORIZED", f"this operation needs one of the roles {', '.join(roles)}"
        )


class TokenVerifier:
    """Verifies bearer tokens. `service_name` is the service doing the verifying: SERVICE tokens
    must name it as their audience (in production a service token without one is refused; in dev it
    is tolerated while callers migrate)."""

    def __init__(self, settings: AuthSettings, *, production: bool, service_name: str | None = None) -> None:
        self.settings = settings
        self.production = production
        self.service_name = service_name
        self._jwks: Any = None

    def _jwks_client(self) -> Any:
        if self._jwks is None:
            self._jwks = jwt.PyJWKClient(str(self.settings.jwks_url), cache_keys=True, lifespan=300)
        return self._jwks

    def prefetch_keys(self) -> None:
        """Fetch the JWKS now (blocking). Call it from a worker thread (see verify_async) so the
        event loop serving gRPC and HTTP never waits on the identity provider."""
        if self.settings.jwks_url:
            self._jwks_client().get_jwk_set()

    async def verify_async(self, token: str) -> Principal:
        """verify() without blocking the event loop: HS256 tokens are checked inline (no I/O);
        tokens that need the JWKS are verified in a worker thread (the fetch may hit the network)."""
        try:
            alg = str(jwt.get_unverified_header(token).get("alg", ""))
        except jwt.PyJWTError as exc:
            raise unauthenticated("the bearer token is not a JWT") from exc
        if alg == "HS256":
            return self.verify(token)
        import asyncio

        return await asyncio.to_thread(self.verify, token)

    async def from_authorization_async(self, header: str | None) -> Principal:
        if not header:
            return ANONYMOUS
        return await self.verify_async(_bearer(header))

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise unauthenticated("the bearer token is not a JWT") from exc
        alg = str(header.get("alg", ""))
        options: Any = {"require": ["exp", "sub"]}
        try:
            if alg == "HS256" and _unverified_issuer(token) == SERVICE_ISSUER:
                claims = jwt.decode(
                    token, self.settings.service_secret, algorithms=["HS256"], issuer=SERVICE_ISSUER,
                    options={"require": ["exp", "sub"], "verify_aud": False},
                )  # fmt: skip
                if claims.get("roles") != ["SERVICE"]:
                    raise unauthenticated("service tokens carry only the SERVICE role")
                self._check_service_audience(claims)
                return principal_from_claims(claims, token, service=True)
            elif alg == "HS256":
                if self.production:
                    raise unauthenticated("HS256 tokens are refused in production")
                claims = jwt.decode(
                    token, self.settings.jwt_secret, algorithms=["HS256"], options=options,
                    audience=self.settings.jwt_audience, issuer=None,
                )  # fmt: skip
            elif alg in ("RS256", "ES256") and self.settings.jwks_url:
                key = self._jwks_client().get_signing_key_from_jwt(token).key
                claims = jwt.decode(
                    token, key, algorithms=[alg], options=options,
                    audience=self.settings.jwt_audience, issuer=self.settings.oidc_issuer,
                )  # fmt: skip
            else:
                raise unauthenticated(f"tokens signed with {alg or 'no algorithm'} are not accepted")
        except jwt.ExpiredSignatureError as exc:
            raise unauthenticated("the bearer token has expired") from exc
        except jwt.PyJWTError as exc:
            # The library's text names what failed (signature, audience, claim) and can help an
            # attacker probe; the caller gets a fixed message, the log keeps the detail.
            _log.info("bearer token refused: %s", exc)
            raise unauthenticated("the bearer token is invalid") from exc
        return principal_from_claims(claims, token)

    def _check_service_audience(self, claims: Mapping[str, Any]) -> None:
        aud = claims.get("aud")
        if aud is None:
            if self.production:
                raise unauthenticated("service tokens must name the called service as their audience")
            return
        if self.service_name is not None and aud != self.service_name:
            raise unauthenticated("this service token was issued for another service")

    def from_authorization(self, header: str | None) -> Principal:
        if not header:
            return ANONYMOUS
        return self.verify(_bearer(header))


def _bearer(header: str) -> str:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthenticated("the Authorization header must be 'Bearer <JWT>'")
    return token.strip()


SERVICE_ISSUER = "carbon-internal"


def _unverified_issuer(token: str) -> str | None:
    try:
        iss = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        return None
    return str(iss) if iss is not None else None


def issue_service_token(
    settings: AuthSettings, service_name: str, ttl_s: int = 300, *, audience: str | None = None
) -> str:
    """A short-lived token a service uses to call a peer on its own behalf (role SERVICE).
    `audience` names the called service; the callee refuses tokens minted for another one
    (production refuses tokens without an audience)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": f"service:{service_name}",
        "roles": ["SERVICE"],
        "iss": SERVICE_ISSUER,
        "iat": now,
        "exp": now + ttl_s,
    }
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, settings.service_secret, algorithm="HS256")


# Roles only the platform's own services hold; a user token (dev secret or OIDC) carrying one is refused.
SERVICE_ONLY_ROLES = frozenset({"SERVICE"})
USER_ROLES = ROLES - SERVICE_ONLY_ROLES


def principal_from_claims(claims: Mapping[str, Any], token: str | None = None, *, service: bool = False) -> Principal:
    roles_claim = claims.get("roles", [])
    if not isinstance(roles_claim, list) or not all(isinstance(r, str) for r in roles_claim):
        raise unauthenticated("the 'roles' claim must be a list of role names")
    unknown = set(roles_claim) - ROLES
    if unknown:
        raise unauthenticated(f"unknown roles in token: {', '.join(sorted(unknown))}")
    if not service and SERVICE_ONLY_ROLES.intersection(roles_claim):
        # SERVICE is granted only by tokens signed with the service secret; an identity provider
        # misconfiguration (or a leaked dev secret) must not turn a user into a platform service.
        raise unauthenticated("user tokens cannot carry the SERVICE role")
    org = claims.get("org")
    aud = claims.get("aud") if service else None
    return Principal(
        user_id=str(claims["sub"]),
        organization_id=str(org) if org is not None else None,
        roles=frozenset(roles_claim),
        token=token,
        audience=str(aud) if isinstance(aud, str) else None,
    )


def issue_dev_token(
    secret: str,
    sub: str,
    org: str | None,
    roles: Iterable[str],
    ttl_s: int = 3600,
    audience: str | None = None,
) -> str:
    """A dev token signed with the HS256 dev secret (never accepted in production)."""
    if SERVICE_ONLY_ROLES.intersection(roles):
        raise ValueError("user tokens cannot carry the SERVICE role (services mint their own tokens)")
    now = int(time.time())
    claims: dict[str, Any] = {"sub": sub, "roles": sorted(set(roles)), "iat": now, "exp": now + ttl_s}
    if org:
        claims["org"] = org
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")


def main(argv: list[str] | None = None) -> int:
    """`python -m carbon_runtime.transport.auth --sub alice --org <org-id> --role ACCOUNT_HOLDER` prints a dev token."""
    parser = argparse.ArgumentParser(description="Print a dev JWT (HS256, CARBON_JWT_SECRET) for given claims.")
    parser.add_argument("--sub", required=True, help="user id")
    parser.add_argument("--org", default=None, help="organization id (omit for platform staff)")
    parser.add_argument(
        "--role", action="append", default=[], choices=sorted(USER_ROLES), help="repeatable (SERVICE is refused)"
    )
    parser.add_argument("--ttl-s", type=int, default=3600)
    parser.add_argument("--json", action="store_true", help="print claims and token as JSON")
    args = parser.parse_args(argv)
    settings = AuthSettings()
    token = issue_dev_token(settings.jwt_secret, args.sub, args.org, args.role, args.ttl_s, settings.jwt_audience)
    if args.json:
        print(json.dumps({"token": token, "sub": args.sub, "org": args.org, "roles": args.role}))
    else:
        print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
