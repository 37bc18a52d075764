"""Reporting service settings (env prefix REPORTING_)."""

from __future__ import annotations

from pydantic import Field
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
    # How often the producers' log heads are read for the lag metric.
    lag_poll_interval_ms: int = Field(default=5000, ge=100)
    # Without a broker, follow the producers' event logs over gRPC instead (0 = off). Ignored when
    # REPORTING_KAFKA_BOOTSTRAP_SERVERS is set: Kafka is then the live path and replay the repair path.
    follow_event_logs_interval_ms: int = Field(default=0, ge=0)
