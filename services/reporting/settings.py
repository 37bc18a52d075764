"""Reporting service settings (env prefix REPORTING_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from carbon_runtime.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")

    service_name: str = "reporting"
    http_port: int = 8104
    grpc_port: int = 50104
    issuance_grpc_target: str = "127.0.0.1:50101"
    registry_grpc_target: str = "127.0.0.1:50102"
    trading_grpc_target: str = "127.0.0.1:50103"
