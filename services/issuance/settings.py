"""Issuance service settings (env prefix ISSUANCE_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from carbon_runtime.settings import ServiceSettings


class IssuanceSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ISSUANCE_", extra="ignore")

    service_name: str = "issuance"
    http_port: int = 8101
    grpc_port: int = 50101
    registry_grpc_target: str = "127.0.0.1:50102"
