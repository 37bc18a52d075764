"""Registry service settings (env prefix REGISTRY_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from carbon_runtime.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    service_name: str = "registry"
    http_port: int = 8102
    grpc_port: int = 50102
    issuance_grpc_target: str = "127.0.0.1:50101"
    registry_grpc_target: str = "127.0.0.1:50102"
    trading_grpc_target: str = "127.0.0.1:50103"
