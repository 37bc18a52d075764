"""The forward contract rules on their own (services/trading/domain/forwards.py): which contracts a
minted batch fills, the vintage window, and the escrow released pro rata adding up exactly."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from services.trading.domain import forwards as fw
from services.trading.domain.forwards import (
    DeliveryState,
    ForwardDeliveryRecord,
    ForwardRecord,
    ForwardStatus,
    MintedBatch,
)

AT = datetime(2025, 4, 1, tzinfo=UTC)


def contract(forward_id: str, quantity_t: int = 100, seq: int = 1, **kw: object) -> ForwardRecord:
    base = ForwardRecord(
        forward_id=forward_id,
        project_id="p",
        seller_organization_id="org-s",
        seller_account_id="acct-s",
        buyer_organization_id="org-b",
        quantity_t=quantity_t,
        price_per_tonne=Decimal("1234.5678"),
        currency="JPY",
        vintage_from=None,
        vintage_to=None,
        delivery_deadline=date(2027, 1, 1),
        prepayment_share=Decimal("0.15"),
        status=ForwardStatus.OFFERED,
        offered_at=AT,
        offered_by="u",
    )
    accepted = fw.accept(base, delivery_account_id="acct-b", seq=seq, at=AT)
    return replace(accepted, **kw)  # type: ignore[arg-type]


def batch(quantity_t: int, *, project_id: str = "p", account: str = "acct-s", vintage: int = 2026) -> MintedBatch:
    return MintedBatch("b", project_id, account, "org-s", date(vintage, 1, 1), date(vintage, 12, 31), quantity_t + 5, 5)


def test_a_batch_fills_only_active_contracts_of_its_project_and_receiving_account() -> None:
    contracts = [
        contract("other-project", seq=1, project_id="q"),
        contract("other-account", seq=2, seller_account_id="acct-x"),
        contract("offered", seq=3, status=ForwardStatus.OFFERED),
        contract("mine", seq=4),
    ]
    assert [(f.forward_id, q) for f, q in fw.allocate(batch(500), contracts)] == [("mine", 100)]


def test_the_vintage_window_holds_the_whole_monitoring_period() -> None:
    windowed = contract("w", vintage_from=2026, vintage_to=2026)
    assert windowed.vintage_in_window(date(2026, 1, 1), date(2026, 12, 31))
    assert not windowed.vintage_in_window(date(2025, 7, 1), date(2026, 6, 30))
    assert not windowed.vintage_in_window(date(2026, 7, 1), date(2027, 6, 30))
    assert fw.allocate(batch(50, vintage=2027), [windowed]) == []


def test_the_buffer_share_never_reaches_a_contract() -> None:
    minted = MintedBatch("b", "p", "acct-s", "org-s", date(2026, 1, 1), date(2026, 12, 31), 100, 100)
    assert minted.holder_quantity_t == 0
    assert fw.allocate(minted, [contract("c")]) == []


def test_an_active_contract_needs_both_parties_to_cancel() -> None:
    active = contract("c")
    asked = fw.cancel(active, "org-b", AT)
    assert asked.status is ForwardStatus.ACTIVE
    assert fw.cancel(asked, "org-b", AT).status is ForwardStatus.ACTIVE
    assert fw.cancel(asked, "org-s", AT).status is ForwardStatus.CANCELLED


@given(st.lists(st.integers(1, 60), min_size=1, max_size=12), st.sampled_from(["0", "0.15", "0.3333", "1"]))
def test_releases_over_all_deliveries_add_up_exactly_to_the_escrow(parts: list[int], share: str) -> None:
    forward = contract("c", quantity_t=sum(parts), prepayment_share=Decimal(share))
    forward = replace(forward, escrow_locked=forward.escrow_amount)
    for i, quantity_t in enumerate(parts):
        delivery = ForwardDeliveryRecord(
            f"d{i}", "c", f"b{i}", quantity_t, forward.release_for(quantity_t), DeliveryState.PENDING, AT
        )
        forward = replace(forward, deliveries=(*forward.deliveries, delivery))
        forward, _ = fw.settle_delivery(forward, f"d{i}", f"s{i}", AT)
        assert forward.escrow_locked >= 0
    assert forward.status is ForwardStatus.DELIVERED
    assert forward.escrow_locked == 0
    paid = forward.prepayment_amount + sum((d.amount for d in forward.deliveries), Decimal(0))
    assert paid == forward.total_amount
