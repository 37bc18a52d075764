"""Test doubles for the trading service: an in-memory registry and a builder for a service instance
on a real database (SQLite or PostgreSQL) with a controllable clock."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from carbon_runtime.errors import DomainError, ErrorCode, insufficient, not_found
from carbon_runtime.ops.bootstrap import build_core
from carbon_runtime.persistence.migrations import upgrade
from carbon_runtime.transport.auth import Principal
from services.trading.adapters import tables
from services.trading.bootstrap import build_context
from services.trading.domain.instruments import InstrumentCriteria
from services.trading.domain.session import ManualClock
from services.trading.service import instruments as instrument_handlers
from services.trading.service.context import TradingContext
from services.trading.service.ports import AccountInfo, Delivery, DeliveryCriteria, SettlementReceipt
from services.trading.settings import TradingSettings

START = datetime(2025, 4, 1, 1, 0, tzinfo=UTC)  # 10:00 JST


@dataclass
class FakeRegistry:
    """Accounts hold tonnes of one batch each; locks reserve them; Settle is idempotent by key."""

    accounts: dict[str, AccountInfo] = field(default_factory=dict)
    batch_of: dict[str, str] = field(default_factory=dict)
    locks: dict[str, tuple[str, int]] = field(default_factory=dict)  # lock id -> (account, tonnes)
    settle_results: dict[str, SettlementReceipt] = field(default_factory=dict)
    settle_calls: list[tuple[str, str]] = field(default_factory=list)  # (idempotency key, trade id)
    lock_calls: list[tuple[str, DeliveryCriteria, str | None]] = field(default_factory=list)
    unlock_calls: list[tuple[str, int | None]] = field(default_factory=list)
    deliveries: dict[str, int] = field(default_factory=dict)  # account -> tonnes received
    down: bool = False
    lose_settle_answers: int = 0  # deliver, then fail as if the answer was lost on the way back
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def open(self, organization_id: str, balance_t: int = 0, kind: str = "HOLDING") -> str:
        account_id = f"acct-{uuid.uuid4().hex[:8]}"
        self.accounts[account_id] = AccountInfo(account_id, organization_id, kind, balance_t, 0)
        self.batch_of[account_id] = f"batch-{account_id}"
        return account_id

    def _check_up(self) -> None:
        if self.down:
            raise DomainError(ErrorCode.UNAVAILABLE, "DEPENDENCY_UNAVAILABLE", "registry is down")

    def _account(self, account_id: str) -> AccountInfo:
        account = self.accounts.get(account_id)
        if account is None:
            raise not_found("ACCOUNT_NOT_FOUND", account_id)
        return account

    def get_account(self, account_id: str, token: str | None) -> AccountInfo:
        self._check_up()
        return self._account(account_id)

    def balance(self, account_id: str) -> int:
        return self.accounts[account_id].balance_t

    def lock(
        self,
        *,
        account_id: str,
        quantity_t: int,
        lock_id: str,
        criteria: DeliveryCriteria,
        idempotency_key: str,
        token: str | None,
    ) -> None:
        self._check_up()
        with self._lock:
            self.lock_calls.append((lock_id, criteria, token))
            if lock_id in self.locks:
                return
            a = self._account(account_id)
            if a.balance_t < quantity_t:
                raise insufficient("UNITS_NOT_HELD", f"{account_id} holds {a.balance_t} t")
            self.accounts[account_id] = AccountInfo(
                a.account_id, a.organization_id, a.kind, a.balance_t - quantity_t, a.locked_t + quantity_t
            )
            self.locks[lock_id] = (account_id, quantity_t)

    def unlock(self, *, lock_id: str, quantity_t: int | None, idempotency_key: str, token: str | None) -> int:
        self._check_up()
        with self._lock:
            self.unlock_calls.append((lock_id, quantity_t))
            account_id, locked = self.locks[lock_id]
            release = locked if quantity_t is None else quantity_t
            a = self.accounts[account_id]
            self.accounts[account_id] = AccountInfo(
                a.account_id, a.organization_id, a.kind, a.balance_t + release, a.locked_t - release
            )
            self.locks[lock_id] = (account_id, locked - release)
            return locked - release

    def settle(
        self,
        *,
        lock_id: str,
        quantity_t: int,
        to_account_id: str,
        trade_id: str,
        idempotency_key: str,
        token: str | None,
    ) -> SettlementReceipt:
        self._check_up()
        with self._lock:
            self.settle_calls.append((idempotency_key, trade_id))
            if idempotency_key in self.settle_results:
                return self.settle_results[idempotency_key]
            account_id, locked = self.locks[lock_id]
            assert locked >= quantity_t, "settled more than locked"
            self.locks[lock_id] = (account_id, locked - quantity_t)
            a = self.accounts[account_id]
            self.accounts[account_id] = AccountInfo(
                a.account_id, a.organization_id, a.kind, a.balance_t, a.locked_t - quantity_t
            )
            b = self.accounts[to_account_id]
            self.accounts[to_account_id] = AccountInfo(
                b.account_id, b.organization_id, b.kind, b.balance_t + quantity_t, b.locked_t
            )
            self.deliveries[to_account_id] = self.deliveries.get(to_account_id, 0) + quantity_t
            receipt = SettlementReceipt(f"stl-{trade_id}", (Delivery(self.batch_of[account_id], quantity_t),))
            self.settle_results[idempotency_key] = receipt
        if self.lose_settle_answers:
            self.lose_settle_answers -= 1
            raise DomainError(ErrorCode.UNAVAILABLE, "DEPENDENCY_UNAVAILABLE", "deadline exceeded")
        return receipt

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
        self._check_up()
        a = self._account(from_account_id)
        if a.balance_t < quantity_t:
            raise insufficient("UNITS_NOT_HELD", "not enough")
        self.accounts[from_account_id] = AccountInfo(
            a.account_id, a.organization_id, a.kind, a.balance_t - quantity_t, a.locked_t
        )
        b = self._account(to_account_id)
        self.accounts[to_account_id] = AccountInfo(
            b.account_id, b.organization_id, b.kind, b.balance_t + quantity_t, b.locked_t
        )
        return f"xfer-{idempotency_key}"


def principal(org: str | None, *roles: str, user: str = "u1") -> Principal:
    return Principal(user_id=f"{user}@{org}", organization_id=org, roles=frozenset(roles), token=f"token-{org}")


ADMIN = principal(None, "EXCHANGE_ADMIN", user="admin")


def make_context(
    database_url: str, registry: FakeRegistry, clock: ManualClock, *, migrate: bool = True
) -> TradingContext:
    if migrate:
        upgrade("trading", database_url)
    settings = TradingSettings(database_url=database_url, kafka_bootstrap_servers=None)
    core = build_core(settings, tables.outbox, configure_process=False)
    return build_context(settings, core, registry, clock)


def create_instrument(ctx: TradingContext, tick: str = "1", **kw: object) -> str:
    spec = instrument_handlers.InstrumentSpec(
        name="J-Credit removal 2024",
        currency="JPY",
        tick_size=Decimal(tick),
        criteria=InstrumentCriteria(),
        **kw,  # type: ignore[arg-type]
    )
    return instrument_handlers.create_instrument(ctx, ADMIN, spec).instrument.id


def fund(ctx: TradingContext, org: str, amount: str) -> None:
    instrument_handlers.deposit_funds(ctx, ADMIN, org, "JPY", Decimal(amount))
