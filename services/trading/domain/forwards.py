"""Forward and offtake contracts: tonnes bought before they are issued, delivered versus payment when
issuance mints a batch of the project into the seller's account (issue 20).

The seller (a TRADER of the project's proponent) offers; a TRADER of the buyer accepts, which locks
price x quantity of the buyer's cash in escrow and pays the prepayment share to the seller at once.
Every later delivery moves the escrow pro rata to the seller; at the deadline an undelivered
remainder makes the contract SHORTFALL and the escrow still locked goes back to the buyer.

Cash is exact: every amount is a product of Decimals (price x tonnes x share), never a division, so
the escrow released over all deliveries adds up to exactly what was locked. Pure Python: the rules
here are called by the handlers in service/, which do the storage and the registry calls.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from carbon_runtime.errors import invalid, precondition

MAX_SHARE_DECIMALS = 4


class ForwardStatus(enum.StrEnum):
    OFFERED = "OFFERED"  # the seller offered; nothing is locked yet
    ACTIVE = "ACTIVE"  # the buyer accepted; escrow locked, deliveries accumulate
    DELIVERED = "DELIVERED"  # the whole quantity delivered and paid (terminal)
    SHORTFALL = "SHORTFALL"  # the deadline passed with tonnes undelivered; escrow back (terminal)
    CANCELLED = "CANCELLED"  # withdrawn, declined, or cancelled by mutual agreement (terminal)


TERMINAL = frozenset({ForwardStatus.DELIVERED, ForwardStatus.SHORTFALL, ForwardStatus.CANCELLED})


class DeliveryState(enum.StrEnum):
    PENDING = "PENDING"  # allocated from a minted batch; the registry has not confirmed yet
    SETTLED = "SETTLED"  # credits delivered and cash released (terminal)
    FAILED = "FAILED"  # the registry refused the lock (the units were gone); nothing moved (terminal)


@dataclass(frozen=True, slots=True)
class ForwardDeliveryRecord:
    delivery_id: str
    forward_id: str
    batch_id: str
    quantity_t: int
    #: Escrowed cash released to the seller for these tonnes (price x tonnes x (1 - prepayment share)).
    amount: Decimal
    state: DeliveryState
    created_at: datetime
    settlement_id: str | None = None
    delivered_at: datetime | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class MintedBatch:
    """A batch the registry minted, as the forward rules need it (from registry.v1.BatchMinted)."""

    batch_id: str
    project_id: str
    holder_account_id: str
    issuer_organization_id: str
    vintage_start: date
    vintage_end: date
    issued_quantity_t: int
    buffer_quantity_t: int

    @property
    def holder_quantity_t(self) -> int:
        """What reached the holder's account: the buffer share never does (it is the program's)."""
        return max(0, self.issued_quantity_t - self.buffer_quantity_t)


@dataclass(frozen=True, slots=True)
class ForwardRecord:
    forward_id: str
    project_id: str
    seller_organization_id: str
    seller_account_id: str
    buyer_organization_id: str
    quantity_t: int
    price_per_tonne: Decimal
    currency: str
    vintage_from: int | None
    vintage_to: int | None
    delivery_deadline: date
    prepayment_share: Decimal
    status: ForwardStatus
    offered_at: datetime
    offered_by: str
    delivered_quantity_t: int = 0
    delivery_account_id: str | None = None
    #: Position in the project's fill order (acceptance order); None until accepted.
    accepted_seq: int | None = None
    accepted_at: datetime | None = None
    #: Buyer's cash still locked for this contract.
    escrow_locked: Decimal = Decimal(0)
    #: Organization that asked to cancel an ACTIVE contract; the other party's cancel confirms it.
    cancel_requested_by: str | None = None
    closed_at: datetime | None = None
    deliveries: tuple[ForwardDeliveryRecord, ...] = ()

    @property
    def total_amount(self) -> Decimal:
        return self.price_per_tonne * self.quantity_t

    @property
    def prepayment_amount(self) -> Decimal:
        return self.total_amount * self.prepayment_share

    @property
    def escrow_amount(self) -> Decimal:
        """What acceptance locks: the total less the prepayment paid out at once."""
        return self.total_amount - self.prepayment_amount

    @property
    def pending_quantity_t(self) -> int:
        return sum(d.quantity_t for d in self.deliveries if d.state is DeliveryState.PENDING)

    @property
    def open_quantity_t(self) -> int:
        """Tonnes a new batch may still fill: neither delivered nor already allocated."""
        return self.quantity_t - self.delivered_quantity_t - self.pending_quantity_t

    def parties(self) -> tuple[str, str]:
        return (self.seller_organization_id, self.buyer_organization_id)

    def vintage_in_window(self, vintage_start: date, vintage_end: date) -> bool:
        """The whole monitoring period must lie in the window's years (bounds inclusive, None open)."""
        if self.vintage_from is not None and vintage_start.year < self.vintage_from:
            return False
        return not (self.vintage_to is not None and vintage_end.year > self.vintage_to)

    def release_for(self, quantity_t: int) -> Decimal:
        """Escrow released to the seller for `quantity_t` delivered tonnes. The delivery that
        completes the contract takes exactly what is left, so the releases add up to the escrow."""
        if self.delivered_quantity_t + self.pending_quantity_t + quantity_t >= self.quantity_t:
            already = sum((d.amount for d in self.deliveries if d.state is not DeliveryState.FAILED), Decimal(0))
            return self.escrow_amount - already
        return self.price_per_tonne * quantity_t * (1 - self.prepayment_share)


def validate_offer(
    *,
    quantity_t: int,
    price_per_tonne: Decimal,
    currency: str,
    vintage_from: int | None,
    vintage_to: int | None,
    delivery_deadline: date,
    prepayment_share: Decimal,
    today: date,
) -> None:
    if quantity_t <= 0:
        raise invalid("QUANTITY_NOT_POSITIVE", "quantity must be a positive number of tonnes", field="input.quantity")
    if not price_per_tonne.is_finite() or price_per_tonne <= 0:
        raise invalid("PRICE_NOT_POSITIVE", "pricePerTonne must be positive", field="input.pricePerTonne")
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise invalid("CURRENCY_INVALID", "currency must be an ISO 4217 code such as JPY", field="input.currency")
    # At most 4 decimal places: with prices of at most 8, every product stays exact in Decimal's 28 digits.
    if (
        not prepayment_share.is_finite()
        or not Decimal(0) <= prepayment_share <= Decimal(1)
        or int(prepayment_share.as_tuple().exponent) < -MAX_SHARE_DECIMALS
    ):
        raise invalid(
            "PREPAYMENT_SHARE_OUT_OF_RANGE",
            f"prepaymentShare must be between 0 and 1 with at most {MAX_SHARE_DECIMALS} decimal places",
            field="input.prepaymentShare",
        )
    for name, year in (("vintageFrom", vintage_from), ("vintageTo", vintage_to)):
        if year is not None and not 1990 <= year <= 2200:
            raise invalid("VINTAGE_OUT_OF_RANGE", f"{name} must be a year", field=f"input.{name}")
    if vintage_from is not None and vintage_to is not None and vintage_from > vintage_to:
        raise invalid("VINTAGE_WINDOW_EMPTY", "vintageFrom is after vintageTo", field="input.vintageFrom")
    if delivery_deadline < today:
        raise invalid("DEADLINE_PASSED", "deliveryDeadline is in the past", field="input.deliveryDeadline")


def accept(forward: ForwardRecord, *, delivery_account_id: str, seq: int, at: datetime) -> ForwardRecord:
    if forward.status is not ForwardStatus.OFFERED:
        raise precondition("FORWARD_NOT_OFFERED", f"the contract is {forward.status.value}, not OFFERED")
    if forward.delivery_deadline < at.date():
        raise precondition("DEADLINE_PASSED", "the contract's delivery deadline has passed")
    return replace(
        forward,
        status=ForwardStatus.ACTIVE,
        delivery_account_id=delivery_account_id,
        accepted_seq=seq,
        accepted_at=at,
        escrow_locked=forward.escrow_amount,
    )


def allocate(batch: MintedBatch, contracts: list[ForwardRecord]) -> list[tuple[ForwardRecord, int]]:
    """How a minted batch fills the contracts on its project: in acceptance order, each up to its open
    quantity, only contracts of the receiving account and with the batch's vintage in their window,
    from what reached the holder (after the buffer)."""
    left = batch.holder_quantity_t
    fills: list[tuple[ForwardRecord, int]] = []
    for forward in sorted(contracts, key=lambda f: (f.accepted_seq or 0, f.forward_id)):
        if left <= 0:
            break
        if (
            forward.status is not ForwardStatus.ACTIVE
            or forward.project_id != batch.project_id
            or forward.seller_account_id != batch.holder_account_id
            or not forward.vintage_in_window(batch.vintage_start, batch.vintage_end)
        ):
            continue
        take = min(left, forward.open_quantity_t)
        if take > 0:
            fills.append((forward, take))
            left -= take
    return fills


def settle_delivery(
    forward: ForwardRecord, delivery_id: str, settlement_id: str, at: datetime
) -> tuple[ForwardRecord, ForwardDeliveryRecord]:
    """A pending delivery the registry settled: tonnes count as delivered and its cash leaves escrow."""
    delivery = next(d for d in forward.deliveries if d.delivery_id == delivery_id)
    if delivery.state is not DeliveryState.PENDING:
        return forward, delivery
    done = replace(delivery, state=DeliveryState.SETTLED, settlement_id=settlement_id, delivered_at=at)
    delivered = forward.delivered_quantity_t + delivery.quantity_t
    updated = replace(
        forward,
        delivered_quantity_t=delivered,
        escrow_locked=forward.escrow_locked - delivery.amount,
        deliveries=tuple(done if d.delivery_id == delivery_id else d for d in forward.deliveries),
    )
    if delivered >= forward.quantity_t and updated.status is ForwardStatus.ACTIVE:
        updated = replace(updated, status=ForwardStatus.DELIVERED, closed_at=at)
    return updated, done


def fail_delivery(forward: ForwardRecord, delivery_id: str, error: str) -> ForwardRecord:
    """The registry refused the lock: nothing moved, the tonnes are open again for later batches."""
    return replace(
        forward,
        deliveries=tuple(
            replace(d, state=DeliveryState.FAILED, error=error, amount=Decimal(0))
            if d.delivery_id == delivery_id
            else d
            for d in forward.deliveries
        ),
    )


def shortfall(forward: ForwardRecord, at: datetime) -> ForwardRecord:
    if forward.status is not ForwardStatus.ACTIVE:
        raise precondition("FORWARD_NOT_ACTIVE", f"the contract is {forward.status.value}")
    return replace(forward, status=ForwardStatus.SHORTFALL, escrow_locked=Decimal(0), closed_at=at)


def is_due(forward: ForwardRecord, today: date) -> bool:
    """Past its deadline day (deliveries on the deadline itself still count) with nothing in flight."""
    return (
        forward.status is ForwardStatus.ACTIVE and forward.delivery_deadline < today and not forward.pending_quantity_t
    )


def cancel(forward: ForwardRecord, organization_id: str, at: datetime) -> ForwardRecord:
    """OFFERED: either party ends it (the seller withdraws, the buyer declines). ACTIVE: by mutual
    agreement only, so the first party's cancel is recorded and the other party's cancel confirms."""
    if forward.status in TERMINAL:
        raise precondition("FORWARD_CLOSED", f"the contract is already {forward.status.value}")
    if forward.status is ForwardStatus.OFFERED:
        return replace(forward, status=ForwardStatus.CANCELLED, closed_at=at, cancel_requested_by=organization_id)
    if forward.pending_quantity_t:
        raise precondition("DELIVERY_IN_PROGRESS", "a delivery is being settled; cancel again once it is done")
    if forward.cancel_requested_by is None or forward.cancel_requested_by == organization_id:
        return replace(forward, cancel_requested_by=organization_id)
    return replace(forward, status=ForwardStatus.CANCELLED, escrow_locked=Decimal(0), closed_at=at)
