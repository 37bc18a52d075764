"""What the exchange needs from the outside world, as interfaces.

The registry owns the credits: the exchange locks a seller's deliverable units when a sell order is
accepted, and asks the registry to deliver them (Settle) when a trade settles. Over gRPC in
production (`adapters.registry_grpc`), an in-memory fake in unit tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol


@dataclass(frozen=True, slots=True)
class DeliveryCriteria:
    """Which units may be locked for delivery; empty / None fields do not restrict."""

    program_ids: tuple[str, ...] = ()
    credit_types: tuple[str, ...] = ()  # REDUCTION / REMOVAL
    categories: tuple[str, ...] = ()  # the contract's CreditCategory names
    vintage_from: date | None = None
    vintage_to: date | None = None
    corresponding_adjustment_required: bool = False
    batch_id: str | None = None


@dataclass(frozen=True, slots=True)
class AccountInfo:
    account_id: str
    organization_id: str
    kind: str  # HOLDING, BUFFER, ...
    balance_t: int
    locked_t: int


@dataclass(frozen=True, slots=True)
class Delivery:
    batch_id: str
    quantity_t: int


@dataclass(frozen=True, slots=True)
class SettlementReceipt:
    settlement_id: str
    deliveries: tuple[Delivery, ...]


class RegistryPort(Protocol):
    """Every call may raise DomainError (UNAVAILABLE when the registry is down: retry with the same
    idempotency key). `token` is the bearer token the call is made with: the trader's own token for
    Lock/GetAccount/Transfer, a service token for Settle/Unlock made by the exchange itself."""

    def get_account(self, account_id: str, token: str | None) -> AccountInfo: ...

    def lock(
        self,
        *,
        account_id: str,
        quantity_t: int,
        lock_id: str,
        criteria: DeliveryCriteria,
        idempotency_key: str,
        token: str | None,
    ) -> None: ...

    def unlock(self, *, lock_id: str, quantity_t: int | None, idempotency_key: str, token: str | None) -> int:
        """Release locked units; returns the tonnes still locked under the lock."""
        ...

    def settle(
        self,
        *,
        lock_id: str,
        quantity_t: int,
        to_account_id: str,
        trade_id: str,
        idempotency_key: str,
        token: str | None,
    ) -> SettlementReceipt: ...

    def transfer(
        self,
        *,
        from_account_id: str,
        to_account_id: str,
        batch_id: str,
        quantity_t: int,
        idempotency_key: str,
        token: str | None,
    ) -> str:
        """Move held units; returns the registry's transfer id."""
        ...
