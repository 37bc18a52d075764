"""The ONE in-memory registry every service's tests use instead of the gRPC registry.

One class, `FakeRegistry`, in memory: organizations, minted batches, buffer cancellations, imported
batches and (for the trading section) accounts and locks. Each service implements the methods of its
own registry ports in its own clearly marked section below; shared state lives in `__init__`.
`down = True` makes every call fail the way the real client fails when the registry is unreachable
(DomainError UNAVAILABLE), so retry/resume paths can be tested.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from carbon_runtime.errors import DomainError, ErrorCode
from services.issuance.service.ports import (
    BufferCancellationOrder,
    ImportMintOrder,
    ImportMintResult,
    MintOrder,
    MintResult,
    OrganizationInfo,
)
from services.trading.service.ports import AccountInfo, Delivery, DeliveryCriteria, SettlementReceipt

# Organizations the issuance tests act for (ids only; roles live on the callers in the tests).
PROPONENT_ORG = "org-proponent"
OTHER_ORG = "org-other"
VERIFIER_ORG = "org-verifier"
UNACCREDITED_ORG = "org-unaccredited"

#: The account the registry credits imported batches to (its import holding account).
IMPORT_HOLDING_ACCOUNT = "acct-import-holding"


def default_organizations() -> dict[str, OrganizationInfo]:
    return {
        PROPONENT_ORG: OrganizationInfo(PROPONENT_ORG, "Proponent KK", False),
        OTHER_ORG: OrganizationInfo(OTHER_ORG, "Other KK", False),
        VERIFIER_ORG: OrganizationInfo(VERIFIER_ORG, "Accredited Verifier", True),
        UNACCREDITED_ORG: OrganizationInfo(UNACCREDITED_ORG, "Not Accredited", False),
    }


class FakeRegistry:
    """The registry in memory. Like the real one, minting is idempotent per issuance id, buffer
    cancellation per reversal id and imports per idempotency key; a second import claiming origin
    units another import holds is refused as DOUBLE_REGISTRATION."""

    def __init__(self, organizations: dict[str, OrganizationInfo] | None = None) -> None:
        self.down = False
        self.calls: list[str] = []
        self.organizations = organizations if organizations is not None else default_organizations()
        # ---- issuance state ----
        self.minted: dict[str, tuple[MintOrder, MintResult]] = {}
        self.mint_calls = 0
        self.cancellations: dict[str, BufferCancellationOrder] = {}
        self.imported: dict[str, tuple[ImportMintOrder, ImportMintResult]] = {}
        self.block_events: list[Any] = []
        # ---- trading state: the trading section adds its attributes here ----
        # Accounts hold tonnes of one batch each; locks reserve them; Settle is idempotent by key.
        self.accounts: dict[str, AccountInfo] = {}
        self.batch_of: dict[str, str] = {}
        self.locks: dict[str, tuple[str, int]] = {}  # lock id -> (account, tonnes)
        self.lock_keys: dict[str, str] = {}  # lock id -> the idempotency key that took it
        self.settle_results: dict[str, SettlementReceipt] = {}
        self.settle_calls: list[tuple[str, str]] = []  # (idempotency key, trade id)
        self.lock_calls: list[tuple[str, DeliveryCriteria, str | None]] = []
        self.unlock_calls: list[tuple[str, int | None]] = []
        self.deliveries: dict[str, int] = {}  # account -> tonnes received
        self.lose_settle_answers = 0  # deliver, then fail as if the answer was lost on the way back
        self._trading_lock = threading.Lock()

    def _check_up(self, method: str) -> None:
        self.calls.append(method)
        if self.down:
            raise DomainError(ErrorCode.UNAVAILABLE, "DEPENDENCY_UNAVAILABLE", "registry is down; retry")

    # ==========================================================================================
    # ISSUANCE: services.issuance.service.ports.RegistryPort and ImportRegistryPort
    # ==========================================================================================

    def get_organization(self, organization_id: str, token: str | None) -> OrganizationInfo | None:
        self._check_up("get_organization")
        return self.organizations.get(organization_id)

    def mint_batch(self, order: MintOrder, token: str | None) -> MintResult:
        self._check_up("mint_batch")
        self.mint_calls += 1
        if order.issuance_id not in self.minted:
            result = MintResult(
                order.batch_id,
                f"{order.serial_prefix}-1",
                f"{order.serial_prefix}-{order.issued_quantity_t}",
            )
            self.minted[order.issuance_id] = (order, result)
        return self.minted[order.issuance_id][1]

    def cancel_from_buffer(self, order: BufferCancellationOrder, token: str | None) -> str:
        self._check_up("cancel_from_buffer")
        self.cancellations.setdefault(order.reversal_id, order)
        return f"bc-{order.reversal_id}"

    def import_batch(self, order: ImportMintOrder, token: str | None) -> ImportMintResult:
        self._check_up("import_batch")
        key = order.order.idempotency_key
        if key in self.imported:
            return self.imported[key][1]
        if order.numbering_scope:
            for other, _ in self.imported.values():
                if (
                    other.numbering_scope == order.numbering_scope
                    and other.origin_unit_start <= order.origin_unit_end
                    and order.origin_unit_start <= other.origin_unit_end
                ):
                    raise DomainError(
                        ErrorCode.CONFLICT, "DOUBLE_REGISTRATION", "another import holds these origin units"
                    )
        mint = order.order
        result = ImportMintResult(
            batch_id=mint.batch_id,
            serial_start=f"{mint.serial_prefix}-1",
            serial_end=f"{mint.serial_prefix}-{mint.issued_quantity_t}",
            holder_account_id=IMPORT_HOLDING_ACCOUNT,
            buffer_account_id=mint.buffer_account_id,
        )
        self.imported[key] = (order, result)
        return result

    def import_block_event(self, request: Any, token: str | None) -> Any:
        """Records a forwarded retirement/cancellation of an imported batch; answers None (the
        tests look at `block_events`)."""
        self._check_up("import_block_event")
        self.block_events.append(request)
        return None

    # ==========================================================================================
    # TRADING: services.trading ports (added by the trading conversion)
    # ==========================================================================================

    # ---- trading's port: services.trading.service.ports.RegistryPort -------------------------

    def open(self, organization_id: str, balance_t: int = 0, kind: str = "HOLDING") -> str:
        """A new account of `organization_id` holding `balance_t` tonnes of its own batch."""
        account_id = f"acct-{uuid.uuid4().hex[:8]}"
        self.accounts[account_id] = AccountInfo(account_id, organization_id, kind, balance_t, 0)
        self.batch_of[account_id] = f"batch-{account_id}"
        return account_id

    def mint(self, account_id: str, quantity_t: int) -> None:
        """Issuance minted `quantity_t` tonnes (the holder's share) into the account (forward tests)."""
        with self._trading_lock:
            a = self._account(account_id)
            self.accounts[account_id] = AccountInfo(
                a.account_id, a.organization_id, a.kind, a.balance_t + quantity_t, a.locked_t
            )

    def balance(self, account_id: str) -> int:
        return self.accounts[account_id].balance_t

    def _account(self, account_id: str) -> AccountInfo:
        account = self.accounts.get(account_id)
        if account is None:
            raise DomainError(ErrorCode.NOT_FOUND, "ACCOUNT_NOT_FOUND", account_id)
        return account

    def get_account(self, account_id: str, token: str | None) -> AccountInfo:
        self._check_up("get_account")
        return self._account(account_id)

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
        self._check_up("lock")
        with self._trading_lock:
            self.lock_calls.append((lock_id, criteria, token))
            if lock_id in self.locks:
                # Like the registry: the same idempotency key replays; another key finds the id taken.
                if self.lock_keys.get(lock_id, idempotency_key) != idempotency_key:
                    raise DomainError(ErrorCode.CONFLICT, "LOCK_ID_IN_USE", f"lock id {lock_id!r} is already in use")
                return
            a = self._account(account_id)
            if a.balance_t < quantity_t:
                held = f"{account_id} holds {a.balance_t} t"
                raise DomainError(ErrorCode.INSUFFICIENT_BALANCE, "UNITS_NOT_HELD", held)
            self.accounts[account_id] = AccountInfo(
                a.account_id, a.organization_id, a.kind, a.balance_t - quantity_t, a.locked_t + quantity_t
            )
            self.locks[lock_id] = (account_id, quantity_t)
            self.lock_keys[lock_id] = idempotency_key

    def unlock(self, *, lock_id: str, quantity_t: int | None, idempotency_key: str, token: str | None) -> int:
        self._check_up("unlock")
        with self._trading_lock:
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
        self._check_up("settle")
        with self._trading_lock:
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
        self._check_up("transfer")
        a = self._account(from_account_id)
        if a.balance_t < quantity_t:
            raise DomainError(ErrorCode.INSUFFICIENT_BALANCE, "UNITS_NOT_HELD", "not enough")
        self.accounts[from_account_id] = AccountInfo(
            a.account_id, a.organization_id, a.kind, a.balance_t - quantity_t, a.locked_t
        )
        b = self._account(to_account_id)
        self.accounts[to_account_id] = AccountInfo(
            b.account_id, b.organization_id, b.kind, b.balance_t + quantity_t, b.locked_t
        )
        return f"xfer-{idempotency_key}"
