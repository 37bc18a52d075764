"""Service settings: one pydantic-settings object per service, one env prefix per service.

Every process is configured only by its environment (the dev stack and the Helm chart set the same
variables), so a setting that is not here cannot silently differ between dev and production.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "dev-only-insecure-secret"
DEV_SERVICE_SECRET = "dev-only-insecure-service-secret"
MIN_PRODUCTION_SECRET_BYTES = 32


class AuthSettings(BaseSettings):
    """Shared, unprefixed auth settings (shared/contract/README.md, "Authentication")."""

    model_config = SettingsConfigDict(env_prefix="CARBON_", extra="ignore")

    jwt_secret: str = DEV_JWT_SECRET
    oidc_issuer: str | None = None
    jwks_url: str | None = None
    jwt_audience: str | None = None
    # Subgraphs in production accept only requests that carry this header value from the gateway.
    gateway_secret: str | None = None
    # Signs short-lived tokens that services use to call each other on their own behalf (role SERVICE),
    # e.g. the exchange settling a trade. Never a user credential; must be set in production.
    service_secret: str = DEV_SERVICE_SECRET


class ServiceSettings(BaseSettings):
    """Base for every service. Subclasses set `model_config` with their own `env_prefix`."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str = "service"
    environment: Literal["dev", "test", "production"] = "dev"
    host: str = "127.0.0.1"
    http_port: int = Field(default=8100, ge=0, le=65535)
    grpc_port: int = Field(default=50100, ge=0, le=65535)
    database_url: str = ""
    kafka_bootstrap_servers: str | None = None
    otlp_endpoint: str | None = None
    log_level: str = "INFO"
    # How often the outbox relay looks for unpublished events when it was not woken up.
    relay_poll_interval_ms: int = Field(default=200, ge=10)
    grpc_deadline_ms: int = Field(default=5000, ge=100)
    grpc_max_message_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    kafka_session_timeout_ms: int = Field(default=6000, ge=1000)
    # Kafka transport security (kafka-python names): PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = None
    kafka_ssl_cafile: str | None = None
    # gRPC TLS: server certificate and key; a client CA turns on mutual TLS (clients must present certificates).
    grpc_tls_cert_file: str | None = None
    grpc_tls_key_file: str | None = None
    grpc_tls_client_ca_file: str | None = None
    # gRPC clients: CA that signed peers' certificates, and this service's client certificate for mTLS.
    grpc_tls_ca_file: str | None = None
    grpc_tls_client_cert_file: str | None = None
    grpc_tls_client_key_file: str | None = None
    # Name to check the peers' server certificates against, when it is not the target's host name.
    grpc_tls_server_name: str | None = None
    graphql_max_depth: int = Field(default=12, ge=2)
    graphql_max_aliases: int = Field(default=30, ge=1)
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Per-client request budget on /graphql (token bucket keyed by the bearer token's subject, else
    # the client address): sustained rate and burst. 0 turns the limit off.
    rate_limit_per_s: float = Field(default=50.0, ge=0)
    rate_limit_burst: int = Field(default=100, ge=1)
    # Persisted-documents mode: a JSON file mapping sha256 hashes to documents; when set, only those
    # documents are executed (a client sends the full text of an allowed document; anything else is
    # FORBIDDEN before parsing).
    persisted_documents_file: str | None = None
    # Fault injection for crash tests: the process exits right after a unit of work commits and
    # before the outbox relay could publish its events. Refused in production.
    fault_crash_after_commit: bool = False
    auth: AuthSettings = Field(default_factory=AuthSettings)

    @model_validator(mode="after")
    def _defaults_and_production_guards(self) -> ServiceSettings:
        if not self.database_url:
            self.database_url = f"sqlite:///var/{self.service_name}.db"
        if self.environment == "production":
            if self.fault_crash_after_commit:
                raise ValueError("fault injection is refused in production")
            # The dev secret is public; accepting it in production would let anyone mint tokens.
            if self.auth.jwt_secret == DEV_JWT_SECRET and not self.auth.jwks_url:
                raise ValueError(
                    "production mode refuses the dev JWT secret: set CARBON_JWKS_URL and CARBON_OIDC_ISSUER"
                )
            if self.auth.service_secret == DEV_SERVICE_SECRET:
                raise ValueError("production mode refuses the dev service secret: set CARBON_SERVICE_SECRET")
            # HS256 with a short secret can be brute-forced offline from any one service token.
            if len(self.auth.service_secret.encode()) < MIN_PRODUCTION_SECRET_BYTES:
                raise ValueError(
                    f"production mode needs a CARBON_SERVICE_SECRET of at least {MIN_PRODUCTION_SECRET_BYTES} bytes"
                )
            if not self.auth.jwks_url or not self.auth.oidc_issuer:
                raise ValueError("production mode needs CARBON_OIDC_ISSUER and CARBON_JWKS_URL")
        return self

    def require_gateway_secret(self) -> None:
        """Serving HTTP in production needs the gateway secret: without it a subgraph would serve
        anyone who reaches its port, skipping the gateway's limits. Checked when the HTTP app is
        built (not for `migrate`, which serves nothing), by the service itself, not only the chart."""
        secret = self.auth.gateway_secret
        if self.is_production and (not secret or len(secret.encode()) < MIN_PRODUCTION_SECRET_BYTES):
            raise ValueError(
                f"production mode needs a CARBON_GATEWAY_SECRET of at least {MIN_PRODUCTION_SECRET_BYTES} bytes"
            )

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def kafka_options(self) -> dict[str, object]:
        """Security options for kafka-python clients (empty for PLAINTEXT)."""
        opts: dict[str, object] = {"security_protocol": self.kafka_security_protocol}
        if self.kafka_security_protocol.startswith("SASL"):
            opts.update(
                sasl_mechanism=self.kafka_sasl_mechanism or "SCRAM-SHA-512",
                sasl_plain_username=self.kafka_sasl_username,
                sasl_plain_password=self.kafka_sasl_password,
            )
        if self.kafka_security_protocol.endswith("SSL") and self.kafka_ssl_cafile:
            opts["ssl_cafile"] = self.kafka_ssl_cafile
        return opts
