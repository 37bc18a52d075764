"""Trading service settings (env prefix TRADING_)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from carbon_runtime.settings import ServiceSettings


class TradingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TRADING_", extra="ignore")

    service_name: str = "trading"
    http_port: int = 8103
    grpc_port: int = 50103
    issuance_grpc_target: str = "127.0.0.1:50101"
    registry_grpc_target: str = "127.0.0.1:50102"
    trading_grpc_target: str = "127.0.0.1:50103"
    # Orders per second each participant may place (token bucket), and the burst it may use at once.
    order_rate_limit_per_s: float = 50.0
    order_rate_burst: int = 200
    # How often the settlement worker retries pending settlements and registry unlocks.
    settlement_retry_interval_ms: int = 1000
    # How often the session worker checks for due phase changes and call auctions.
    session_poll_interval_ms: int = 500
    # How often the forward worker finishes pending forward deliveries and checks deadlines.
    forward_poll_interval_ms: int = 1000
    # OTC reports: the price must lie within this percentage around the instrument's reference price
    # (else its exchange VWAP) when it has one, and tradedAt at most this far in the past.
    otc_price_band_pct: Decimal = Field(default=Decimal(50), ge=0)
    otc_max_backdate_s: int = Field(default=7 * 24 * 3600, ge=0)
