"""Forward contracts on a real database (SQLite and PostgreSQL): the SQL repositories, the consumer's
event-id idempotency, delivery versus payment exactly once across a kill and restart, shortfall on a
controllable clock, and the GraphQL surface of credit-graph-2 (offerForward, acceptForward,
forwardContract, cancelForward, Organization/Project.forwardContracts)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from carbon.events.v1 import envelope_pb2
from carbon.issuance.v1 import events_pb2 as issuance_events
from carbon.issuance.v1 import types_pb2 as issuance_types
from carbon.registry.v1 import events_pb2 as registry_events
from fastapi.testclient import TestClient

from carbon_runtime.settings import AuthSettings
from carbon_runtime.transport.auth import issue_dev_token
from services.trading.bootstrap import bootstrap
from services.trading.domain import commands
from services.trading.domain.forwards import DeliveryState, ForwardRecord, ForwardStatus
from services.trading.domain.session import ManualClock
from services.trading.entrypoints import consumer
from services.trading.service import queries
from services.trading.service.ports import SettlementReceipt
from services.trading.settings import TradingSettings
from tests.integration.trading.support import START, Exchange, actor, fund, make_exchange, principal
from tests.support.fake_registry import FakeRegistry

PROJECT = "proj-mangrove"
SELLER = principal("org-seller", "TRADER")
BUYER = principal("org-buyer", "TRADER")
CASH = '{ cashBalance(organizationId: "org-buyer", currency: "JPY") { available locked } }'


def envelope(event_id: str, **payload: Any) -> envelope_pb2.EventEnvelope:
    ((field, message),) = payload.items()
    env = envelope_pb2.EventEnvelope(event_id=event_id, event_type=message.DESCRIPTOR.full_name)
    getattr(env, field).CopyFrom(message)
    return env


def project_created(event_id: str = "ev-project", proponent: str = "org-seller") -> envelope_pb2.EventEnvelope:
    return envelope(
        event_id,
        project_created=issuance_events.ProjectCreated(project_id=PROJECT, proponent_organization_id=proponent),
    )


def batch_minted(
    event_id: str, batch_id: str, holder_account_id: str, issued_t: int, buffer_t: int = 0, vintage: int = 2026
) -> envelope_pb2.EventEnvelope:
    attributes = issuance_types.CreditAttributes(
        project_id=PROJECT,
        vintage_start=f"{vintage}-01-01",
        vintage_end=f"{vintage}-12-31",
        issuer_organization_id="org-seller",
    )
    minted = registry_events.BatchMinted(
        batch_id=batch_id,
        attributes=attributes,
        issued_quantity_t=issued_t,
        buffer_quantity_t=buffer_t,
        holder_account_id=holder_account_id,
    )
    return envelope(event_id, batch_minted=minted)


def offer_and_accept(exchange: Exchange, seller_account: str, buyer_account: str, **kw: Any) -> ForwardRecord:
    offered: ForwardRecord = exchange.handle(
        commands.OfferForward(
            actor(SELLER),
            project_id=PROJECT,
            seller_account_id=seller_account,
            buyer_organization_id="org-buyer",
            quantity_t=kw.pop("quantity_t", 100),
            price_per_tonne=Decimal(kw.pop("price", "1000")),
            currency="JPY",
            delivery_deadline=kw.pop("deadline", date(2026, 3, 31)),
            **kw,
        )
    )
    accepted: ForwardRecord = exchange.handle(commands.AcceptForward(actor(BUYER), offered.forward_id, buyer_account))
    return accepted


class Killed(BaseException):
    """The trading process dies right after the registry's Settle answered."""


class KillAfterSettle:
    def __init__(self, registry: FakeRegistry) -> None:
        self.registry = registry

    def __getattr__(self, name: str) -> Any:
        return getattr(self.registry, name)

    def settle(self, **kw: Any) -> SettlementReceipt:
        self.registry.settle(**kw)
        raise Killed


def test_minted_batch_delivers_and_pays_exactly_once_across_a_kill_and_restart(trading_database_url: str) -> None:
    registry = FakeRegistry()
    clock = ManualClock(START)
    exchange = make_exchange(trading_database_url, registry, clock)
    consumer.apply_one(exchange.app.bus, project_created())
    seller_account, buyer_account = registry.open("org-seller"), registry.open("org-buyer")
    fund(exchange, "org-buyer", "1000000")
    forward = offer_and_accept(exchange, seller_account, buyer_account, prepayment_share=Decimal("0.25"))
    assert exchange.cash_balance(BUYER, "org-buyer", "JPY").locked == Decimal(75000)
    exchange.db.dispose()

    dying = make_exchange(trading_database_url, KillAfterSettle(registry), clock)  # type: ignore[arg-type]
    registry.mint(seller_account, 60)  # 70 issued, 10 into the buffer
    minted = batch_minted("ev-mint-1", "batch-1", seller_account, 70, buffer_t=10)
    with pytest.raises(Killed):
        consumer.apply_one(dying.app.bus, minted)
    dying.db.dispose()
    assert registry.balance(buyer_account) == 60  # the registry delivered; the cash has not moved

    restarted = make_exchange(trading_database_url, registry, clock)
    pending = restarted.app.read_model.get_forward(forward.forward_id)
    assert pending is not None and [d.state for d in pending.deliveries] == [DeliveryState.PENDING]
    assert consumer.apply_one(restarted.app.bus, minted) == 0  # redelivered record: claimed, nothing more
    assert restarted.handle(commands.SettleForwardDeliveries()) == 60
    assert restarted.handle(commands.SettleForwardDeliveries()) == 0
    done = restarted.app.read_model.get_forward(forward.forward_id)
    assert done is not None
    assert (done.delivered_quantity_t, done.status) == (60, ForwardStatus.ACTIVE)
    assert [(d.batch_id, d.quantity_t, d.amount, d.state) for d in done.deliveries] == [
        ("batch-1", 60, Decimal(45000), DeliveryState.SETTLED)
    ]
    assert registry.deliveries == {buyer_account: 60}
    seller_cash = restarted.cash_balance(SELLER, "org-seller", "JPY")
    assert (seller_cash.available, seller_cash.locked) == (Decimal(25000) + Decimal(45000), Decimal(0))
    buyer_cash = restarted.cash_balance(BUYER, "org-buyer", "JPY")
    assert (buyer_cash.available, buyer_cash.locked) == (Decimal(900000), Decimal(30000))
    # The last 40 t complete the contract and release exactly the escrow left.
    registry.mint(seller_account, 50)
    assert consumer.apply_one(restarted.app.bus, batch_minted("ev-mint-2", "batch-2", seller_account, 50)) == 40
    complete = restarted.app.read_model.get_forward(forward.forward_id)
    assert complete is not None
    assert (complete.status, complete.escrow_locked) == (ForwardStatus.DELIVERED, Decimal(0))
    assert restarted.cash_balance(BUYER, "org-buyer", "JPY").locked == Decimal(0)
    assert restarted.cash_balance(SELLER, "org-seller", "JPY").available == Decimal(100000)
    restarted.db.dispose()


def test_events_the_exchange_does_not_react_to_are_skipped_without_a_write(trading_database_url: str) -> None:
    registry = FakeRegistry()
    exchange = make_exchange(trading_database_url, registry, ManualClock(START))
    other = envelope("ev-other", credits_retired=registry_events.CreditsRetired(retirement_id="r-1"))
    assert consumer.apply_one(exchange.app.bus, other) is None
    malformed = envelope("ev-bad", project_created=issuance_events.ProjectCreated(project_id=PROJECT))
    assert consumer.apply_one(exchange.app.bus, malformed) is None  # no proponent: logged and skipped
    assert consumer.apply_one(exchange.app.bus, project_created("ev-ok")) is True
    assert consumer.apply_one(exchange.app.bus, project_created("ev-ok")) is False
    exchange.db.dispose()


def test_contracts_fill_in_acceptance_order_and_the_late_one_falls_short_at_the_deadline(
    trading_database_url: str,
) -> None:
    registry = FakeRegistry()
    clock = ManualClock(START)
    exchange = make_exchange(trading_database_url, registry, clock)
    consumer.apply_one(exchange.app.bus, project_created())
    seller_account, buyer_account = registry.open("org-seller"), registry.open("org-buyer")
    fund(exchange, "org-buyer", "1000000")
    first = offer_and_accept(exchange, seller_account, buyer_account, quantity_t=30, deadline=date(2025, 5, 31))
    second = offer_and_accept(exchange, seller_account, buyer_account, quantity_t=50, deadline=date(2025, 5, 31))
    registry.mint(seller_account, 40)
    assert consumer.apply_one(exchange.app.bus, batch_minted("ev-1", "batch-1", seller_account, 40)) == 40
    read = exchange.app.read_model
    one, two = read.get_forward(first.forward_id), read.get_forward(second.forward_id)
    assert one is not None and two is not None
    assert (one.status, one.delivered_quantity_t, two.delivered_quantity_t) == (ForwardStatus.DELIVERED, 30, 10)
    assert [f.forward_id for f in read.forwards_of_project(PROJECT)] == [first.forward_id, second.forward_id]
    clock.set(START + timedelta(days=60))  # 2025-05-31: the deadline day still counts
    assert exchange.handle(commands.ExpireForwards()) == []
    clock.set(START + timedelta(days=61))
    assert exchange.handle(commands.ExpireForwards()) == [second.forward_id]
    short = read.get_forward(second.forward_id)
    assert short is not None and short.status is ForwardStatus.SHORTFALL
    cash = exchange.cash_balance(BUYER, "org-buyer", "JPY")
    assert (cash.available, cash.locked) == (Decimal(1000000) - Decimal(40000), Decimal(0))
    assert {f.forward_id for f in read.forwards_of_organization("org-buyer")} == {first.forward_id, second.forward_id}
    assert read.forwards_of_organization("org-x") == []
    stats = queries.forward_statistics(read, "JPY", PROJECT)
    assert (stats.contract_count, stats.contracted_volume_t, stats.delivered_volume_t) == (2, 80, 40)
    assert stats.vwap == Decimal("1000.00")
    assert queries.forward_statistics(read, "USD").vwap is None
    exchange.db.dispose()


# --- GraphQL ------------------------------------------------------------------------------------------

FORWARD_FIELDS = """id status quantity deliveredQuantity pricePerTonne currency vintageFrom vintageTo
  deliveryDeadline prepaymentShare seller { id } buyer { id } project { id } deliveryAccount { id }
  deliveries { id quantity amount batch { id } }"""


@pytest.fixture
def served(trading_database_url: str) -> Iterator[tuple[TestClient, FakeRegistry]]:
    registry = FakeRegistry()
    setup = make_exchange(trading_database_url, registry, ManualClock(START))
    consumer.apply_one(setup.app.bus, project_created())  # issuance's ProjectCreated, consumed earlier
    fund(setup, "org-buyer", "500000")
    setup.db.dispose()
    proc = bootstrap(
        TradingSettings(database_url=trading_database_url, kafka_bootstrap_servers=None, http_port=0, grpc_port=0),
        registry=registry,
        clock=ManualClock(START),
    )
    with TestClient(proc.http_app) as client:
        yield client, registry
    for stop in proc.on_stop:
        stop()


def gql(client: TestClient, query: str, variables: dict[str, Any] | None = None, bearer: str | None = None) -> Any:
    headers = {"authorization": f"Bearer {bearer}"} if bearer else {}
    response = client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def token(org: str, *roles: str) -> str:
    return issue_dev_token(AuthSettings().jwt_secret, f"user-{org}", org, roles)


def test_graphql_offer_accept_read_and_cancel_a_forward(served: tuple[TestClient, FakeRegistry]) -> None:
    client, registry = served
    seller, buyer = token("org-seller", "TRADER"), token("org-buyer", "TRADER")
    seller_account, buyer_account = registry.open("org-seller"), registry.open("org-buyer")
    offered = gql(
        client,
        f"mutation($input: OfferForwardInput!) {{ offerForward(input: $input) {{ {FORWARD_FIELDS} }} }}",
        {
            "input": {
                "projectId": PROJECT,
                "sellerAccountId": seller_account,
                "buyerOrganizationId": "org-buyer",
                "quantity": 100,
                "pricePerTonne": "1500",
                "currency": "JPY",
                "vintageFrom": 2025,
                "deliveryDeadline": "2027-12-31",
                "prepaymentShare": "0.1",
                "idempotencyKey": "offer-1",
            }
        },
        seller,
    )
    forward = offered["data"]["offerForward"]
    assert forward["status"] == "OFFERED"
    assert forward["deliveryAccount"] is None
    assert (forward["seller"], forward["project"]) == ({"id": "org-seller"}, {"id": PROJECT})
    accepted = gql(
        client,
        "mutation($input: AcceptForwardInput!) { acceptForward(input: $input) { status deliveryAccount { id } } }",
        {"input": {"forwardId": forward["id"], "deliveryAccountId": buyer_account}},
        buyer,
    )
    assert accepted["data"]["acceptForward"] == {"status": "ACTIVE", "deliveryAccount": {"id": buyer_account}}
    cash = gql(
        client, '{ cashBalance(organizationId: "org-buyer", currency: "JPY") { available locked } }', None, buyer
    )
    assert cash["data"]["cashBalance"] == {"available": "350000", "locked": "135000.0"}
    read = gql(client, "query($id: ID!) { forwardContract(id: $id) { id status } }", {"id": forward["id"]}, seller)
    assert read["data"]["forwardContract"] == {"id": forward["id"], "status": "ACTIVE"}
    stranger = gql(
        client, "query($id: ID!) { forwardContract(id: $id) { id } }", {"id": forward["id"]}, token("org-x", "TRADER")
    )
    assert stranger["data"]["forwardContract"] is None
    entities = gql(
        client,
        """query($reps: [_Any!]!) { _entities(representations: $reps) {
             ... on Organization { forwardContracts { id } } ... on Project { forwardContracts { id } } } }""",
        {"reps": [{"__typename": "Organization", "id": "org-buyer"}, {"__typename": "Project", "id": PROJECT}]},
        buyer,
    )
    assert entities["data"]["_entities"] == [{"forwardContracts": [{"id": forward["id"]}]}] * 2
    stats = gql(client, '{ forwardStatistics(currency: "JPY") { forward contractCount contractedVolume vwap } }')
    assert stats["data"]["forwardStatistics"] == {
        "forward": True, "contractCount": 1, "contractedVolume": 100, "vwap": "1500.00",
    }  # fmt: skip
    cancel = "mutation($id: ID!) { cancelForward(forwardId: $id) { status } }"
    assert gql(client, cancel, {"id": forward["id"]}, buyer)["data"]["cancelForward"] == {"status": "ACTIVE"}
    assert gql(client, cancel, {"id": forward["id"]}, seller)["data"]["cancelForward"] == {"status": "CANCELLED"}
    cash = gql(
        client, '{ cashBalance(organizationId: "org-buyer", currency: "JPY") { available locked } }', None, buyer
    )
    assert cash["data"]["cashBalance"]["available"] == "485000.0"  # the escrow back; the prepayment stays paid


def test_graphql_offer_refusal_is_invalid_argument_with_its_reason(served: tuple[TestClient, FakeRegistry]) -> None:
    client, registry = served
    refused = gql(
        client,
        "mutation($input: OfferForwardInput!) { offerForward(input: $input) { id } }",
        {
            "input": {
                "projectId": PROJECT,
                "sellerAccountId": registry.open("org-seller"),
                "buyerOrganizationId": "org-buyer",
                "quantity": 10,
                "pricePerTonne": "100",
                "currency": "JPY",
                "deliveryDeadline": "2027-12-31",
                "prepaymentShare": "2",
            }
        },
        token("org-seller", "TRADER"),
    )
    error = refused["errors"][0]["extensions"]
    # The domain error names `input.prepaymentShare` in its details; the runtime's GraphQL error
    # mapping does not yet copy it to extensions.field (contract v2), see the report of issue 20.
    assert (error["code"], error["reason"]) == ("INVALID_ARGUMENT", "PREPAYMENT_SHARE_OUT_OF_RANGE")
