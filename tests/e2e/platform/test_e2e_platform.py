"""The whole platform through the gateway: MRV lifecycle to issuance, registry moves, an exchange
trade settled against the registry, and the reporting read models built from the events.

One dev stack (broker, four services, Hive Gateway) is started for the module, on free ports, with
SQLite files in a temporary directory, exactly as `make dev` runs it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.platform.support import ADMIN, World, eventually
from tests.support.gql import Gql, GraphQLError
from tooling.devstack import DevStack, StackConfig

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    config = StackConfig.ephemeral(Path(tmp_path_factory.mktemp("stack")))
    with DevStack(config) as s:
        yield s


@pytest.fixture(scope="module")
def gql(stack: DevStack) -> Iterator[Gql]:
    client = Gql(stack.config.gateway_url)
    yield client
    client.close()


@pytest.fixture(scope="module")
def world(gql: Gql) -> World:
    return World(gql)


def test_issuance_puts_credits_in_the_proponents_account_and_the_buffer_share_in_the_buffer(
    gql: Gql, world: World
) -> None:
    b = world.issued
    assert b["issuedQuantity"] == 1000 and b["creditType"] == "REMOVAL" and b["category"] == "NDC_CONTRIBUTING"
    assert b["bufferQuantity"] == 100, "LOW reversal risk withholds 10% for the buffer pool"
    account = gql("query($a: ID!) { account(id: $a) { balance holdings { quantity status serialStart } } }",
                  {"a": world.proponent_account}, world.proponent_token)["account"]  # fmt: skip
    assert account["balance"] == 900
    buffer = gql('{ account(id: "BUFFER-JCREDIT") { kind balance } }', None, ADMIN)["account"]
    assert buffer["kind"] == "BUFFER" and buffer["balance"] >= 100


def test_credit_batch_resolves_fields_from_all_four_subgraphs(gql: Gql, world: World) -> None:
    def resolved() -> dict[str, Any]:
        data = gql(
            """query($b: ID!) { creditBatch(id: $b) {
                 id issuedQuantity project { name }
                 retiredQuantity
                 tradedQuantity
                 eligibility { use eligible reason } } }""",
            {"b": world.batch},
        )["creditBatch"]
        assert data["eligibility"], "reporting has not seen the batch yet"
        return dict(data)

    batch = eventually(resolved)
    assert batch["issuedQuantity"] == 1000  # issuance
    assert batch["retiredQuantity"] >= 0  # registry
    assert batch["tradedQuantity"] >= 0  # trading
    uses = {e["use"]: e for e in batch["eligibility"]}  # reporting
    assert uses["SHK_MANDATORY"]["eligible"] is True, uses["SHK_MANDATORY"]["reason"]
    assert uses["SBTI_NEUTRALIZATION"]["eligible"] is True, "a removal neutralizes residual emissions"


def test_transfer_and_retirement_reach_the_disclosure_report(gql: Gql, world: World) -> None:
    transfer = gql(
        """mutation($i: TransferCreditsInput!) { transferCredits(input: $i) { quantity blocks { serialStart } } }""",
        {"i": {"fromAccountId": world.proponent_account, "toAccountId": world.buyer_account,
               "batchId": world.batch, "quantity": 300, "idempotencyKey": "t-1"}},
        world.proponent_token,
    )["transferCredits"]  # fmt: skip
    assert transfer["quantity"] == 300
    retire_input = {"accountId": world.buyer_account, "batchId": world.batch, "quantity": 120,
                    "purpose": "SHK_ADJUSTMENT", "beneficiary": "Buyer KK FY2024", "retirementYear": 2024,
                    "offsetEmissions": "120", "idempotencyKey": "r-1"}  # fmt: skip
    q = "mutation($i: RetireCreditsInput!) { retireCredits(input: $i) { id quantity serialRanges } }"
    retirement = gql(q, {"i": retire_input}, world.buyer_token)["retireCredits"]
    assert retirement["quantity"] == 120 and retirement["serialRanges"]
    again = gql(q, {"i": retire_input}, world.buyer_token)["retireCredits"]
    assert again["id"] == retirement["id"], "a replay with the same key retires nothing more"
    with pytest.raises(GraphQLError) as err:
        gql(q, {"i": {**retire_input, "quantity": 999, "idempotencyKey": "r-2"}}, world.buyer_token)
    assert err.value.code == "INSUFFICIENT_BALANCE"
    with pytest.raises(GraphQLError) as err:
        gql(q, {"i": {**retire_input, "idempotencyKey": "r-3"}}, world.proponent_token)
    assert err.value.code == "FORBIDDEN"

    balance = gql("query($a: ID!) { account(id: $a) { balance } }", {"a": world.buyer_account}, world.buyer_token)
    assert balance["account"]["balance"] == 180

    def disclosed() -> dict[str, Any]:
        report = gql(
            """query($o: ID!) { disclosureReport(organizationId: $o, year: 2024) {
                 totalQuantity lines { quantity projectName methodology purpose program creditType } } }""",
            {"o": world.buyer},
            world.buyer_token,
        )["disclosureReport"]
        assert report["totalQuantity"] == 120
        return dict(report)

    report = eventually(disclosed)
    assert report["lines"][0]["purpose"] == "SHK_ADJUSTMENT"
    assert report["lines"][0]["creditType"] == "REMOVAL"


def test_exchange_trade_settles_against_the_registry(gql: Gql, world: World) -> None:
    instrument = gql(
        """mutation($i: CreateInstrumentInput!) { createInstrument(input: $i) { id tickSize } }""",
        {"i": {"name": f"J-Credit forest {uuid.uuid4().hex[:4]}", "currency": "JPY", "tickSize": "1",
               "criteria": {"programIds": ["JCREDIT"], "batchId": world.batch}}},
        ADMIN,
    )["createInstrument"]["id"]  # fmt: skip
    gql("""mutation($o: ID!) { depositFunds(input: {organizationId: $o, currency: "JPY", amount: "500000"}) {
           available } }""", {"o": world.buyer}, ADMIN)  # fmt: skip
    place = """mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id status filledQuantity } }"""
    gql(place, {"i": {"instrumentId": instrument, "side": "SELL", "price": "3000", "quantity": 50,
                      "accountId": world.proponent_account}}, world.proponent_token)  # fmt: skip
    buy = gql(place, {"i": {"instrumentId": instrument, "side": "BUY", "price": "3100", "quantity": 50,
                            "accountId": world.buyer_account}}, world.buyer_token)["placeOrder"]  # fmt: skip
    assert buy["status"] == "FILLED" and buy["filledQuantity"] == 50

    def settled() -> dict[str, Any]:
        trades = gql("query($i: ID!) { trades(instrumentId: $i) { price quantity settled batch { id } } }",
                     {"i": instrument})["trades"]  # fmt: skip
        assert trades and trades[0]["settled"]
        return dict(trades[0])

    trade = eventually(settled)
    assert trade["price"] in ("3000", "3000.00", "3000.0000") and trade["batch"]["id"] == world.batch
    cash = gql('query($o: ID!) { cashBalance(organizationId: $o, currency: "JPY") { available locked } }',
               {"o": world.buyer}, world.buyer_token)["cashBalance"]  # fmt: skip
    assert float(cash["available"]) + float(cash["locked"]) == 500000 - 150000
    buyer = gql("query($a: ID!) { account(id: $a) { balance } }", {"a": world.buyer_account}, world.buyer_token)
    assert buyer["account"]["balance"] >= 50
