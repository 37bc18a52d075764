"""Forward and offtake contracts over fakes (issue 20): offer, acceptance with escrow, delivery versus
payment on issuance (exactly once, in acceptance order, after the buffer, within the vintage window),
shortfall at the deadline on a controllable clock, cancellation by mutual agreement, and the
conservation of tonnes and cash at every step (Hypothesis)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carbon_runtime.errors import DomainError, ErrorCode
from services.trading.domain import commands
from services.trading.domain.actor import Actor
from services.trading.domain.events import ForwardCancelled, ForwardDelivered, ForwardFellShort
from services.trading.domain.forwards import DeliveryState, ForwardRecord, ForwardStatus, MintedBatch
from services.trading.domain.orders import Side
from services.trading.service.ports import SettlementReceipt
from tests.support.fake_registry import FakeRegistry
from tests.support.fake_trading_uow import FakeTradingUnitOfWork
from tests.unit.trading.support import BUYER, SELLER, START, Exchange

PROJECT = "proj-forest"
OTHER_BUYER = Actor("u1@org-buyer2", "org-buyer2", frozenset({"TRADER"}), "token-org-buyer2")
DEADLINE = date(2027, 3, 31)


@dataclass
class Forwards:
    """An exchange with a project whose proponent is org-seller, a seller account the project's
    batches are minted into, and a funded buyer with a delivery account."""

    ex: Exchange = field(default_factory=Exchange)
    events: int = 0
    batches: int = 0

    def __post_init__(self) -> None:
        self.ex.handle(commands.RecordProject("ev-project", PROJECT, "org-seller"))
        self.seller_account = self.ex.registry.open("org-seller")
        self.buyer_account = self.ex.registry.open("org-buyer")
        self.buyer2_account = self.ex.registry.open("org-buyer2")

    @property
    def registry(self) -> FakeRegistry:
        return self.ex.registry

    @property
    def uow(self) -> FakeTradingUnitOfWork:
        return self.ex.uow

    def offer(self, quantity_t: int = 100, price: str = "1000", share: str = "0", **kw: Any) -> ForwardRecord:
        cmd = commands.OfferForward(
            SELLER,
            project_id=PROJECT,
            seller_account_id=self.seller_account,
            buyer_organization_id=kw.pop("buyer", "org-buyer"),
            quantity_t=quantity_t,
            price_per_tonne=Decimal(price),
            currency="JPY",
            delivery_deadline=kw.pop("deadline", DEADLINE),
            prepayment_share=Decimal(share),
            **kw,
        )
        forward: ForwardRecord = self.ex.handle(cmd)
        return forward

    def accept(self, forward_id: str, who: Actor = BUYER, account: str | None = None, **kw: Any) -> ForwardRecord:
        cmd = commands.AcceptForward(who, forward_id, account or self.buyer_account, **kw)
        accepted: ForwardRecord = self.ex.handle(cmd)
        return accepted

    def mint(self, issued_t: int, buffer_t: int = 0, vintage: int = 2026, event_id: str | None = None) -> int:
        """Issuance minted a batch of the project into the seller's account; the registry's BatchMinted
        reaches the exchange's consumer. Returns the tonnes delivered at once."""
        self.batches += 1
        self.events += 1
        self.registry.mint(self.seller_account, issued_t - buffer_t)
        batch = MintedBatch(
            batch_id=f"batch-{self.batches}",
            project_id=PROJECT,
            holder_account_id=self.seller_account,
            issuer_organization_id="org-seller",
            vintage_start=date(vintage, 1, 1),
            vintage_end=date(vintage, 12, 31),
            issued_quantity_t=issued_t,
            buffer_quantity_t=buffer_t,
        )
        delivered: int = self.ex.handle(commands.DeliverForwards(event_id or f"ev-{self.events}", batch))
        return delivered

    def get(self, forward_id: str) -> ForwardRecord:
        forward = self.uow.forwards.get(forward_id)
        assert forward is not None
        return forward


def minted(fx: Forwards, batch_id: str, quantity_t: int) -> MintedBatch:
    """BatchMinted of a 2026 batch of the project into the seller's account, without a buffer."""
    return MintedBatch(
        batch_id, PROJECT, fx.seller_account, "org-seller", date(2026, 1, 1), date(2026, 12, 31), quantity_t, 0
    )


@pytest.fixture
def fx() -> Forwards:
    f = Forwards()
    f.ex.fund("org-buyer", "1000000")
    return f


# --- offer and acceptance -------------------------------------------------------------------------


def test_offer_is_refused_to_a_trader_who_is_not_the_project_proponent(fx: Forwards) -> None:
    outsider = Actor("u1@org-buyer", "org-buyer", frozenset({"TRADER"}), "token-org-buyer")
    cmd = commands.OfferForward(outsider, PROJECT, fx.buyer_account, "org-buyer2", 10, Decimal("100"), "JPY", DEADLINE)
    with pytest.raises(DomainError) as err:
        fx.ex.handle(cmd)
    assert (err.value.code, err.value.reason) == (ErrorCode.FORBIDDEN, "NOT_PROPONENT")
    assert fx.uow.store.forwards == {}


def test_offer_on_a_project_not_yet_announced_by_issuance_is_unavailable(fx: Forwards) -> None:
    cmd = commands.OfferForward(SELLER, "proj-unknown", fx.seller_account, "org-buyer", 10, Decimal(1), "JPY", DEADLINE)
    with pytest.raises(DomainError) as err:
        fx.ex.handle(cmd)
    assert err.value.code is ErrorCode.UNAVAILABLE


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quantity_t": 0}, "input.quantity"),
        ({"price": "-1"}, "input.pricePerTonne"),
        ({"share": "1.5"}, "input.prepaymentShare"),
        ({"share": "0.12345"}, "input.prepaymentShare"),
        ({"vintage_from": 2030, "vintage_to": 2026}, "input.vintageFrom"),
        ({"deadline": date(2020, 1, 1)}, "input.deliveryDeadline"),
    ],
)
def test_offer_rejects_invalid_terms_naming_the_field(fx: Forwards, change: dict[str, Any], field: str) -> None:
    with pytest.raises(DomainError) as err:
        fx.offer(**change)
    assert err.value.code is ErrorCode.INVALID_ARGUMENT
    assert err.value.details["field"] == field


def test_offer_locks_nothing_and_acceptance_escrows_cash_and_pays_the_prepayment(fx: Forwards) -> None:
    offered = fx.offer(100, "1000", share="0.2")
    assert offered.status is ForwardStatus.OFFERED
    assert fx.ex.cash("org-buyer") == (Decimal(1000000), Decimal(0))
    accepted = fx.accept(offered.forward_id)
    assert accepted.status is ForwardStatus.ACTIVE
    assert accepted.delivery_account_id == fx.buyer_account
    # 100 t x 1000 = 100 000 leaves available; 20 % goes to the seller now, 80 000 stays in escrow.
    assert fx.ex.cash("org-buyer") == (Decimal(900000), Decimal(80000))
    assert fx.ex.cash("org-seller") == (Decimal(20000), Decimal(0))
    assert accepted.escrow_locked == Decimal(80000)
    assert fx.ex.message_types()[-2:] == ["ForwardOffered", "ForwardAccepted"]


def test_acceptance_is_refused_when_the_buyers_cash_does_not_cover_it_and_changes_nothing(fx: Forwards) -> None:
    offered = fx.offer(2000, "1000")
    with pytest.raises(DomainError) as err:
        fx.accept(offered.forward_id)
    assert err.value.code is ErrorCode.INSUFFICIENT_BALANCE
    assert fx.ex.cash("org-buyer") == (Decimal(1000000), Decimal(0))
    assert fx.get(offered.forward_id).status is ForwardStatus.OFFERED


def test_only_a_trader_of_the_named_buyer_may_accept(fx: Forwards) -> None:
    offered = fx.offer(10)
    with pytest.raises(DomainError) as err:
        fx.accept(offered.forward_id, who=OTHER_BUYER, account=fx.buyer2_account)
    assert err.value.code is ErrorCode.NOT_FOUND  # not a party: the contract does not exist for it
    with pytest.raises(DomainError) as err:
        fx.accept(offered.forward_id, who=SELLER, account=fx.seller_account)
    assert err.value.code is ErrorCode.FORBIDDEN


def test_accept_with_the_same_idempotency_key_answers_the_first_result_and_locks_once(fx: Forwards) -> None:
    offered = fx.offer(10, "1000")
    first = fx.accept(offered.forward_id, idempotency_key="k-1")
    again = fx.accept(offered.forward_id, idempotency_key="k-1")
    assert again == first
    assert fx.ex.cash("org-buyer") == (Decimal(990000), Decimal(10000))


# --- delivery on issuance ---------------------------------------------------------------------------


def test_issuance_delivers_after_the_buffer_and_releases_escrow_pro_rata_until_delivered(fx: Forwards) -> None:
    forward = fx.accept(fx.offer(100, "1000", share="0.2").forward_id)
    assert fx.mint(60, buffer_t=10) == 50  # the buffer's 10 t never reach the seller
    assert fx.registry.balance(fx.buyer_account) == 50
    partial = fx.get(forward.forward_id)
    assert (partial.status, partial.delivered_quantity_t) == (ForwardStatus.ACTIVE, 50)
    # 50 t x 1000 x (1 - 0.2) released from escrow to the seller
    assert fx.ex.cash("org-seller") == (Decimal(20000) + Decimal(40000), Decimal(0))
    assert fx.ex.cash("org-buyer") == (Decimal(900000), Decimal(40000))
    assert fx.mint(70) == 50  # partial deliveries accumulate up to the contracted quantity
    done = fx.get(forward.forward_id)
    assert (done.status, done.delivered_quantity_t, done.escrow_locked) == (ForwardStatus.DELIVERED, 100, Decimal(0))
    assert fx.ex.cash("org-seller") == (Decimal(100000), Decimal(0))
    assert fx.ex.cash("org-buyer") == (Decimal(900000), Decimal(0))
    assert fx.registry.balance(fx.seller_account) == 20  # what the contract did not need stays the seller's
    delivered = [e for e in fx.uow.events if isinstance(e, ForwardDelivered)]
    assert [(d.delivery.batch_id, d.delivery.quantity_t) for d in delivered] == [("batch-1", 50), ("batch-2", 50)]
    assert fx.ex.message_types().count("ForwardDelivered") == 2


def test_a_batch_outside_the_vintage_window_delivers_nothing(fx: Forwards) -> None:
    forward = fx.accept(fx.offer(100, vintage_from=2027, vintage_to=2028).forward_id)
    assert fx.mint(50, vintage=2026) == 0
    assert fx.get(forward.forward_id).delivered_quantity_t == 0
    assert fx.registry.balance(fx.seller_account) == 50
    assert fx.mint(50, vintage=2027) == 50


def test_two_contracts_on_one_project_fill_in_acceptance_order(fx: Forwards) -> None:
    fx.ex.fund("org-buyer2", "1000000")
    offered_first = fx.offer(40, buyer="org-buyer2")
    offered_second = fx.offer(30)
    accepted_first = fx.accept(offered_second.forward_id)  # accepted first although offered second
    accepted_second = fx.accept(offered_first.forward_id, who=OTHER_BUYER, account=fx.buyer2_account)
    assert fx.mint(50) == 50
    assert fx.get(accepted_first.forward_id).delivered_quantity_t == 30  # filled completely first
    assert fx.get(accepted_second.forward_id).delivered_quantity_t == 20  # then the next in order
    assert fx.get(accepted_first.forward_id).status is ForwardStatus.DELIVERED
    assert (fx.registry.balance(fx.buyer_account), fx.registry.balance(fx.buyer2_account)) == (30, 20)
    assert fx.mint(100) == 20
    assert fx.get(accepted_second.forward_id).status is ForwardStatus.DELIVERED
    assert fx.registry.balance(fx.seller_account) == 80


def test_a_redelivered_batch_event_delivers_and_pays_once(fx: Forwards) -> None:
    forward = fx.accept(fx.offer(100, "1000").forward_id)
    assert fx.mint(30, event_id="ev-same") == 30
    batch = MintedBatch(
        "batch-1", PROJECT, fx.seller_account, "org-seller", date(2026, 1, 1), date(2026, 12, 31), 30, 0
    )
    assert fx.ex.handle(commands.DeliverForwards("ev-same", batch)) == 0  # the same event again
    assert fx.ex.handle(commands.DeliverForwards("ev-other-copy", batch)) == 0  # the same batch, another event id
    assert fx.get(forward.forward_id).delivered_quantity_t == 30
    assert fx.registry.balance(fx.buyer_account) == 30
    assert fx.ex.cash("org-seller") == (Decimal(30000), Decimal(0))


class Killed(BaseException):
    """The trading process dies (not an error any handler catches)."""


class KillAfterSettle:
    """The registry, with the trading process killed right after the registry's Settle answered:
    the credits are delivered, the exchange never got to release the cash."""

    def __init__(self, registry: FakeRegistry) -> None:
        self.registry = registry
        self.kills = 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self.registry, name)

    def settle(self, **kw: Any) -> SettlementReceipt:
        receipt = self.registry.settle(**kw)
        if self.kills:
            self.kills -= 1
            raise Killed
        return receipt


def test_delivery_and_payment_happen_exactly_once_when_trading_is_killed_between_settle_and_cash_release() -> None:
    fx = Forwards()
    fx.ex.fund("org-buyer", "1000000")
    forward = fx.accept(fx.offer(100, "1000", share="0.1").forward_id)
    dying = Exchange(uow=fx.uow, registry=KillAfterSettle(fx.registry), clock=fx.ex.clock)  # type: ignore[arg-type]
    fx.registry.mint(fx.seller_account, 40)
    batch = MintedBatch(
        "batch-k", PROJECT, fx.seller_account, "org-seller", date(2026, 1, 1), date(2026, 12, 31), 40, 0
    )
    with pytest.raises(Killed):
        dying.handle(commands.DeliverForwards("ev-k", batch))
    # The registry delivered; the allocation was committed before it was called; no cash moved yet.
    assert fx.registry.balance(fx.buyer_account) == 40
    pending = fx.get(forward.forward_id)
    assert [d.state for d in pending.deliveries] == [DeliveryState.PENDING]
    assert pending.delivered_quantity_t == 0
    assert fx.ex.cash("org-seller") == (Decimal(10000), Decimal(0))  # the prepayment only
    # The Kafka record was not acknowledged: it comes again to the restarted process, and the worker runs.
    restarted = Exchange(uow=fx.uow, registry=fx.registry, clock=fx.ex.clock)
    assert restarted.handle(commands.DeliverForwards("ev-k", batch)) == 0  # claimed: no second allocation
    assert restarted.handle(commands.SettleForwardDeliveries()) == 40
    assert restarted.handle(commands.SettleForwardDeliveries()) == 0
    done = fx.get(forward.forward_id)
    assert done.delivered_quantity_t == 40
    assert fx.registry.balance(fx.buyer_account) == 40  # delivered once
    assert fx.registry.deliveries[fx.buyer_account] == 40
    assert fx.ex.cash("org-seller") == (Decimal(10000) + Decimal(36000), Decimal(0))  # paid once
    assert fx.ex.cash("org-buyer") == (Decimal(900000), Decimal(54000))
    assert sum(isinstance(e, ForwardDelivered) for e in fx.uow.events) == 1


def test_an_unavailable_registry_leaves_the_delivery_pending_for_the_worker(fx: Forwards) -> None:
    forward = fx.accept(fx.offer(100).forward_id)
    fx.registry.down = True
    assert fx.mint(25) == 0
    assert fx.get(forward.forward_id).pending_quantity_t == 25
    fx.registry.down = False
    assert fx.ex.handle(commands.SettleForwardDeliveries()) == 25
    assert fx.get(forward.forward_id).delivered_quantity_t == 25


def test_a_refused_lock_fails_the_delivery_and_leaves_the_tonnes_open_for_the_next_batch(fx: Forwards) -> None:
    forward = fx.accept(fx.offer(100).forward_id)
    batch = MintedBatch(
        "batch-gone", PROJECT, fx.seller_account, "org-seller", date(2026, 1, 1), date(2026, 12, 31), 30, 0
    )
    assert fx.ex.handle(commands.DeliverForwards("ev-gone", batch)) == 0  # never minted in the registry
    refused = fx.get(forward.forward_id)
    assert [d.state for d in refused.deliveries] == [DeliveryState.FAILED]
    assert refused.open_quantity_t == 100
    assert fx.ex.cash("org-buyer") == (Decimal(900000), Decimal(100000))
    assert fx.mint(30) == 30


def test_contracted_credits_are_locked_so_a_concurrent_sell_order_on_the_exchange_is_refused(fx: Forwards) -> None:
    instrument_id = fx.ex.instrument()
    fx.accept(fx.offer(100).forward_id)
    attempts: list[ErrorCode] = []
    registry = fx.registry
    real_settle = registry.settle

    def settle_while_the_seller_sells(**kw: Any) -> SettlementReceipt:
        # Between the forward's lock and its settlement the seller tries to sell the same credits
        # (another trading instance, its own transaction; the registry is the one arbiter of units).
        other = Exchange(registry=registry, clock=fx.ex.clock)
        other_instrument = other.instrument()
        try:
            other.place(SELLER, other_instrument, Side.SELL, "1500", 10, fx.seller_account)
        except DomainError as err:
            attempts.append(err.code)
        return real_settle(**kw)

    registry.settle = settle_while_the_seller_sells  # type: ignore[method-assign]
    assert fx.mint(50) == 50
    registry.settle = real_settle  # type: ignore[method-assign]
    assert attempts == [ErrorCode.INSUFFICIENT_BALANCE]
    with pytest.raises(DomainError) as err:  # and after delivery they are the buyer's
        fx.ex.place(SELLER, instrument_id, Side.SELL, "1500", 10, fx.seller_account)
    assert err.value.code is ErrorCode.INSUFFICIENT_BALANCE
    assert fx.registry.balance(fx.buyer_account) == 50


# --- shortfall and cancellation -----------------------------------------------------------------------


def test_shortfall_at_the_deadline_returns_the_remaining_escrow_to_the_buyer(fx: Forwards) -> None:
    forward = fx.accept(fx.offer(100, "1000", share="0.1", deadline=date(2025, 6, 30)).forward_id)
    assert fx.mint(30) == 30
    fx.ex.clock.set(START.replace(year=2025, month=6, day=30, hour=23))  # the deadline day still counts
    assert fx.ex.handle(commands.ExpireForwards()) == []
    fx.ex.clock.set(START.replace(year=2025, month=7, day=1))
    assert fx.ex.handle(commands.ExpireForwards()) == [forward.forward_id]
    short = fx.get(forward.forward_id)
    assert (short.status, short.delivered_quantity_t, short.escrow_locked) == (ForwardStatus.SHORTFALL, 30, Decimal(0))
    # Paid: 10 000 prepayment + 27 000 for 30 t; the 63 000 still in escrow went back to the buyer.
    assert fx.ex.cash("org-buyer") == (Decimal(1000000) - Decimal(37000), Decimal(0))
    assert fx.ex.cash("org-seller") == (Decimal(37000), Decimal(0))
    event = fx.uow.events[-1]
    assert isinstance(event, ForwardFellShort)
    assert (event.undelivered_quantity_t, event.returned_amount) == (70, Decimal(63000))
    assert fx.ex.message_types()[-1] == "ForwardShortfall"
    assert fx.mint(50) == 0  # a contract in shortfall takes no more deliveries
    assert fx.ex.handle(commands.ExpireForwards()) == []


def test_an_offer_is_withdrawn_by_the_seller_at_once(fx: Forwards) -> None:
    offered = fx.offer(10)
    cancelled: ForwardRecord = fx.ex.handle(commands.CancelForward(SELLER, offered.forward_id))
    assert cancelled.status is ForwardStatus.CANCELLED
    with pytest.raises(DomainError) as err:
        fx.accept(offered.forward_id)
    assert err.value.code is ErrorCode.FAILED_PRECONDITION


def test_an_active_contract_is_cancelled_by_mutual_agreement_and_its_escrow_released(fx: Forwards) -> None:
    forward = fx.accept(fx.offer(100, "1000").forward_id)
    fx.mint(20)
    asked: ForwardRecord = fx.ex.handle(commands.CancelForward(BUYER, forward.forward_id))
    assert (asked.status, asked.cancel_requested_by) == (ForwardStatus.ACTIVE, "org-buyer")
    asked_again: ForwardRecord = fx.ex.handle(commands.CancelForward(BUYER, forward.forward_id))
    assert asked_again.status is ForwardStatus.ACTIVE  # one party alone cannot end it
    agreed: ForwardRecord = fx.ex.handle(commands.CancelForward(SELLER, forward.forward_id))
    assert (agreed.status, agreed.escrow_locked) == (ForwardStatus.CANCELLED, Decimal(0))
    assert fx.ex.cash("org-buyer") == (Decimal(980000), Decimal(0))  # 80 t of escrow back
    assert fx.registry.balance(fx.buyer_account) == 20  # delivered tonnes stay delivered
    assert isinstance(fx.uow.events[-1], ForwardCancelled)
    with pytest.raises(DomainError) as err:
        fx.ex.handle(commands.CancelForward(SELLER, forward.forward_id))
    assert err.value.code is ErrorCode.FAILED_PRECONDITION


def test_a_stranger_cannot_cancel_or_see_the_contract(fx: Forwards) -> None:
    forward = fx.offer(10)
    with pytest.raises(DomainError) as err:
        fx.ex.handle(commands.CancelForward(OTHER_BUYER, forward.forward_id))
    assert err.value.code is ErrorCode.NOT_FOUND


# --- conservation (Hypothesis) --------------------------------------------------------------------------

FUNDS = {"org-buyer": Decimal(5000000), "org-buyer2": Decimal(5000000)}

contract_terms = st.tuples(
    st.integers(1, 200),  # quantity
    st.integers(1, 5000),  # price per tonne
    st.sampled_from(["0", "0.1", "0.25", "0.3333", "1"]),  # prepayment share
    st.booleans(),  # which buyer
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("offer"), contract_terms),
        st.tuples(st.just("mint"), st.tuples(st.integers(1, 150), st.integers(0, 30), st.integers(2025, 2028))),
        st.tuples(st.just("kill"), st.tuples(st.integers(1, 150))),
        st.tuples(st.just("cancel"), st.integers(0, 10)),
        st.tuples(st.just("expire"), st.just(None)),
        st.tuples(st.just("resume"), st.just(None)),
    ),
    min_size=1,
    max_size=14,
)


def check_conservation(fx: Forwards, minted_t: int) -> None:
    forwards = list(fx.uow.store.forwards.values())
    # Cash: nothing is created or lost; what the buyers locked is exactly the contracts' escrow.
    total_cash = sum((c.available + c.locked for c in fx.uow.store.cash.values()), Decimal(0))
    assert total_cash == sum(FUNDS.values())
    for buyer in FUNDS:
        locked = fx.uow.cash.get(buyer, "JPY").locked
        assert locked == sum((f.escrow_locked for f in forwards if f.buyer_organization_id == buyer), Decimal(0))
    paid = fx.uow.cash.get("org-seller", "JPY").available
    settled = [d for f in forwards for d in f.deliveries if d.state is DeliveryState.SETTLED]
    prepaid = sum((f.prepayment_amount for f in forwards if f.accepted_seq is not None), Decimal(0))
    assert paid == prepaid + sum((d.amount for d in settled), Decimal(0))
    for f in forwards:
        if f.status is ForwardStatus.DELIVERED:
            assert f.escrow_locked == 0
            assert (
                prepaid >= 0
                and f.prepayment_amount
                + sum((d.amount for d in f.deliveries if d.state is DeliveryState.SETTLED), Decimal(0))
                == f.total_amount
            )
        assert f.delivered_quantity_t <= f.quantity_t
        assert f.delivered_quantity_t == sum(d.quantity_t for d in f.deliveries if d.state is DeliveryState.SETTLED)
    # Tonnes: every minted tonne is the seller's (held or locked) or a buyer's; the buyers hold what
    # the contracts count as delivered, plus what a killed saga delivered and has yet to record.
    accounts = fx.registry.accounts
    held = sum(a.balance_t + a.locked_t for a in accounts.values())
    assert held == minted_t
    received = fx.registry.balance(fx.buyer_account) + fx.registry.balance(fx.buyer2_account)
    pending_t = sum(d.quantity_t for f in forwards for d in f.deliveries if d.state is DeliveryState.PENDING)
    delivered_t = sum(f.delivered_quantity_t for f in forwards)
    assert delivered_t <= received <= delivered_t + pending_t


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps)
def test_tonnes_and_cash_are_conserved_at_every_step(plan: list[tuple[str, Any]]) -> None:
    fx = Forwards()
    for org, amount in FUNDS.items():
        fx.ex.fund(org, str(amount))
    minted_t = 0
    ids: list[str] = []
    for kind, arg in plan:
        if kind == "offer":
            quantity_t, price, share, second = arg
            buyer, who, account = (
                ("org-buyer2", OTHER_BUYER, fx.buyer2_account) if second else ("org-buyer", BUYER, fx.buyer_account)
            )
            deadline = fx.ex.clock.now().date() + timedelta(days=365)
            offered = fx.offer(quantity_t, str(price), share=share, buyer=buyer, deadline=deadline)
            refusals = []
            try:
                fx.accept(offered.forward_id, who=who, account=account)
            except DomainError as err:
                refusals.append(err.code)
            assert refusals in ([], [ErrorCode.INSUFFICIENT_BALANCE])
            ids.append(offered.forward_id)
        elif kind == "mint":
            issued, buffer_t, vintage = arg
            buffer_t = min(buffer_t, issued)
            fx.mint(issued, buffer_t, vintage)
            minted_t += issued - buffer_t
        elif kind == "kill":
            (issued,) = arg
            fx.batches += 1
            fx.registry.mint(fx.seller_account, issued)
            minted_t += issued
            dying = Exchange(uow=fx.uow, registry=KillAfterSettle(fx.registry), clock=fx.ex.clock)  # type: ignore[arg-type]
            with contextlib.suppress(Killed):
                dying.handle(
                    commands.DeliverForwards(f"ev-kill-{fx.batches}", minted(fx, f"batch-{fx.batches}", issued))
                )
        elif kind == "cancel" and ids:
            forward_id = ids[arg % len(ids)]
            for who in (BUYER, OTHER_BUYER, SELLER):
                with contextlib.suppress(DomainError):  # a stranger, or already cancelled
                    fx.ex.handle(commands.CancelForward(who, forward_id))
        elif kind == "expire":
            fx.ex.clock.set(fx.ex.clock.now() + timedelta(days=800))
            fx.ex.handle(commands.ExpireForwards())
        elif kind == "resume":
            fx.ex.handle(commands.SettleForwardDeliveries())
        check_conservation(fx, minted_t)
    fx.ex.handle(commands.SettleForwardDeliveries())
    check_conservation(fx, minted_t)
    pending = [d for f in fx.uow.store.forwards.values() for d in f.deliveries if d.state is DeliveryState.PENDING]
    assert pending == []
    received = fx.registry.balance(fx.buyer_account) + fx.registry.balance(fx.buyer2_account)
    assert received == sum(f.delivered_quantity_t for f in fx.uow.store.forwards.values())
