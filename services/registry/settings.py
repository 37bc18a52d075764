"""Registry service settings (env prefix REGISTRY_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from carbon_runtime.settings import ServiceSettings
from services.registry.domain.safeguards import SafeguardPolicy

# Production defaults of the transfer safeguards (EU Union Registry practice: a new trusted account
# takes effect after a day, transfers elsewhere wait 26 hours). In dev and test every rule is off
# unless configured, so transferCredits stays read-your-writes.
PRODUCTION_TRUSTED_ACCOUNT_DELAY_S = 24 * 3600
PRODUCTION_UNTRUSTED_TRANSFER_DELAY_S = 26 * 3600
PRODUCTION_MAX_FAILED_AUTHORIZATIONS = 5


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    service_name: str = "registry"
    http_port: int = 8102
    grpc_port: int = 50102
    issuance_grpc_target: str = "127.0.0.1:50101"
    registry_grpc_target: str = "127.0.0.1:50102"
    trading_grpc_target: str = "127.0.0.1:50103"
    # Transfer safeguards; None means "the environment's default" (see above).
    trusted_account_delay_s: int | None = Field(default=None, ge=0)
    untrusted_transfer_delay_s: int | None = Field(default=None, ge=0)
    # Transfers of more than this many tonnes wait for a second ACCOUNT_HOLDER; None: no approval.
    four_eyes_threshold_t: int | None = Field(default=None, ge=0)
    # The rolling window over which four-eyes sums what leaves an account (transfers and sales).
    four_eyes_window_s: int = Field(default=24 * 3600, ge=1)
    # Selling (a Lock) needs ACCOUNT_HOLDER on the delivering account, not only TRADER; None: on in
    # production, off in dev.
    sell_requires_account_holder: bool | None = None
    # Wrong-organization attempts on an account within the window that suspend it; 0: never.
    max_failed_authorizations: int | None = Field(default=None, ge=0)
    failed_authorization_window_s: int = Field(default=3600, ge=1)
    # Refusals one caller may collect in that window before its commands are refused; 0: 4 x the above.
    max_refusals_per_caller: int = Field(default=0, ge=0)
    # How often the background worker completes held transfers whose hold has ended.
    held_transfer_poll_interval_ms: int = Field(default=1000, ge=10)

    def safeguard_policy(self) -> SafeguardPolicy:
        production = self.is_production

        def pick(value: int | None, production_default: int) -> int:
            if value is not None:
                return value
            return production_default if production else 0

        return SafeguardPolicy(
            trusted_account_delay_s=pick(self.trusted_account_delay_s, PRODUCTION_TRUSTED_ACCOUNT_DELAY_S),
            untrusted_transfer_delay_s=pick(self.untrusted_transfer_delay_s, PRODUCTION_UNTRUSTED_TRANSFER_DELAY_S),
            four_eyes_threshold_t=self.four_eyes_threshold_t,
            max_failed_authorizations=pick(self.max_failed_authorizations, PRODUCTION_MAX_FAILED_AUTHORIZATIONS),
            failed_authorization_window_s=self.failed_authorization_window_s,
            four_eyes_window_s=self.four_eyes_window_s,
            max_refusals_per_caller=self.max_refusals_per_caller,
            sell_requires_account_holder=(
                production if self.sell_requires_account_holder is None else self.sell_requires_account_holder
            ),
        )
