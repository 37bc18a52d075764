"""Transfer safeguards (EU Union Registry style): trusted account list with a delay, held transfers to
untrusted accounts, four-eyes approval above a threshold, cancellation, and suspension after repeated
wrong-organization attempts. Off by default, so existing behaviour is unchanged."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.persistence.db import make_engine
from carbon_runtime.settings import AuthSettings
from carbon_runtime.transport.auth import Principal, issue_dev_token
from services.registry.bootstrap import bootstrap
from services.registry.domain.safeguards import SafeguardPolicy, TransferStatus
from services.registry.service.results import TransferResult
from services.registry.settings import RegistrySettings
from tests.integration.registry.support import (
    ADMIN,
    Registry,
    add_trusted_account,
    approve_transfer,
    cancel_transfer,
    complete_due_transfers,
    make_deps,
    reinstate_account,
    remove_trusted_account,
    trusted_accounts,
)
from tests.support.databases import MigratedDatabaseUrl

HOUR = 3600


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def guarded(registry: Registry, clock: Clock, **policy: Any) -> Registry:
    return Registry(dataclasses.replace(registry.deps, safeguards=SafeguardPolicy(**policy), clock=clock))


def state(registry: Registry, transfer_id: str) -> TransferResult:
    found = registry.deps.reads.transfer(transfer_id)
    assert found is not None
    return found


def second_holder(organization_id: str) -> Principal:
    return Principal(f"second-{organization_id}", organization_id, frozenset({"ACCOUNT_HOLDER"}))


def refused(code: ErrorCode, action: Any, *args: Any) -> DomainError:
    with pytest.raises(DomainError) as error:
        action(*args)
    assert error.value.code is code, error.value
    return error.value


def test_dev_defaults_complete_a_transfer_in_the_call(registry: Registry, world: dict[str, str]) -> None:
    who = Registry.holder(world["proponent"])
    response = registry.transfer(who, world["proponent_account"], world["buyer_account"], world["batch"], 300)
    assert state(registry, response.transfer_id).status is TransferStatus.COMPLETED
    assert registry.balance(world["buyer_account"]) == 300


def test_transfer_to_an_untrusted_account_is_held_with_its_units_locked(
    registry: Registry, world: dict[str, str], clock: Clock
) -> None:
    reg = guarded(registry, clock, untrusted_transfer_delay_s=26 * HOUR)
    who = Registry.holder(world["proponent"])
    response = reg.transfer(who, world["proponent_account"], world["buyer_account"], world["batch"], 300)
    held = state(reg, response.transfer_id)
    assert held.status is TransferStatus.HELD
    assert held.completes_at == clock.now + timedelta(hours=26)
    assert reg.balance(world["proponent_account"]) == 700 and reg.locked(world["proponent_account"]) == 300
    assert reg.balance(world["buyer_account"]) == 0
    refused(ErrorCode.INSUFFICIENT_BALANCE, reg.retire, who, world["proponent_account"], world["batch"], 701)
    refused(ErrorCode.NOT_FOUND, reg.unlock, f"transfer:{response.transfer_id}")
    clock.advance(26 * HOUR - 1)
    assert complete_due_transfers(reg.deps) == 0
    clock.advance(1)
    assert complete_due_transfers(reg.deps) == 1
    assert state(reg, response.transfer_id).status is TransferStatus.COMPLETED
    assert reg.balance(world["buyer_account"]) == 300 and reg.locked(world["proponent_account"]) == 0
    reg.assert_invariants()


def test_held_transfer_completes_when_the_worker_runs_after_its_hold_and_never_on_read(
    registry: Registry, world: dict[str, str], clock: Clock
) -> None:
    reg = guarded(registry, clock, untrusted_transfer_delay_s=HOUR)
    response = reg.transfer(
        Registry.holder(world["proponent"]), world["proponent_account"], world["buyer_account"], world["batch"], 10
    )
    clock.advance(HOUR)
    # Queries never write: reading the transfer after its hold leaves it HELD ...
    assert state(reg, response.transfer_id).status is TransferStatus.HELD
    assert reg.balance(world["buyer_account"]) == 0
    # ... until the background worker's round completes it.
    assert complete_due_transfers(reg.deps) == 1
    assert state(reg, response.transfer_id).status is TransferStatus.COMPLETED
    assert reg.balance(world["buyer_account"]) == 10


def test_trusted_account_takes_effect_only_after_the_trusted_account_delay(
    registry: Registry, world: dict[str, str], clock: Clock
) -> None:
    reg = guarded(registry, clock, trusted_account_delay_s=24 * HOUR, untrusted_transfer_delay_s=26 * HOUR)
    who = Registry.holder(world["proponent"])
    entry = add_trusted_account(reg.deps, who, world["proponent_account"], world["buyer_account"])
    assert entry.effective_at == clock.now + timedelta(hours=24)
    early = reg.transfer(who, world["proponent_account"], world["buyer_account"], world["batch"], 5)
    assert state(reg, early.transfer_id).status is TransferStatus.HELD
    clock.advance(24 * HOUR)
    late = reg.transfer(who, world["proponent_account"], world["buyer_account"], world["batch"], 7)
    assert state(reg, late.transfer_id).status is TransferStatus.COMPLETED
    assert reg.balance(world["buyer_account"]) == 7


def test_removing_a_trusted_account_holds_transfers_there_again(
    registry: Registry, world: dict[str, str], clock: Clock
) -> None:
    reg = guarded(registry, clock, untrusted_transfer_delay_s=HOUR)
    who = Registry.holder(world["proponent"])
    add_trusted_account(reg.deps, who, world["proponent_account"], world["buyer_account"])
    assert remove_trusted_account(reg.deps, who, world["proponent_account"], world["buyer_account"])
    response = reg.transfer(who, world["proponent_account"], world["buyer_account"], world["batch"], 5)
    assert state(reg, response.transfer_id).status is TransferStatus.HELD
    refused(
        ErrorCode.NOT_FOUND,
        remove_trusted_account,
        reg.deps,
        who,
        world["proponent_account"],
        world["buyer_account"],
    )


def test_accounts_of_the_same_organization_are_trusted(registry: Registry, world: dict[str, str], clock: Clock) -> None:
    reg = guarded(registry, clock, untrusted_transfer_delay_s=HOUR)
    second = reg.account(world["proponent"])
    response = reg.transfer(Registry.holder(world["proponent"]), world["proponent_account"], second, world["batch"], 50)
    assert state(reg, response.transfer_id).status is TransferStatus.COMPLETED


def test_only_account_holders_of_the_owning_organization_edit_the_trusted_list(
    registry: Registry, world: dict[str, str], clock: Clock
) -> None:
    reg = guarded(registry, clock)
    args = (world["proponent_account"], world["buyer_account"])
    refused(ErrorCode.FORBIDDEN, add_trusted_account, reg.deps, Registry.holder(world["buyer"]), *args)
    trader = Registry.holder(world["proponent"], "TRADER")
    refused(ErrorCode.FORBIDDEN, add_trusted_account, reg.deps, trader, *args)
    who = Registry.holder(world["proponent"])
    refused(
        ErrorCode.INVALID_ARGUMENT,
        add_trusted_account,
        reg.deps,
        who,
        world["proponent_account"],
        world["proponent_account"],
    )
    assert trusted_accounts(reg.deps, who, world["proponent_account"]) == []
    refused(
        ErrorCode.FORBIDDEN,
        trusted_accounts,
        reg.deps,
        Registry.holder(world["buyer"]),
        world["proponent_account"],
    )


def test_transfer_above_the_threshold_waits_for_a_second_account_holder(
    registry: Registry, world: dict[str, str], clock: Clock
) -> None:
    reg = guarded(registry, clock, four_eyes_threshold_t=100)
    initiator = Registry.holder(world["proponent"])
    small = reg.transfer(initiator, world["proponent_account"], world["buyer_account"], world["batch"], 100)
    assert state(reg, small.transfer_id).status is TransferStatus.COMPLETED
    big = reg.transfer(initiator, world["proponent_account"], world["buyer_account"], world["batch"], 300)
    assert state(reg, big.transfer_id).status is TransferStatus.PENDING_APPROVAL
    clock.advance(48 * HOUR)
    assert complete_due_transfers(reg.deps) == 0, "time alone never completes a pending transfer"
    error = refused(ErrorCode.FORBIDDEN, approve_transfer, reg.deps, initiator, big.transfer_id)
    assert error.reason == "APPROVER_IS_INITIATOR"
    outsider = second_holder(world["buyer"])
    refused(ErrorCode.FORBIDDEN, approve_transfer, reg.deps, outsider, big.transfer_id)
    approve_transfer(reg.deps, second_holder(world["proponent"]), big.transfer_id)
    assert state(reg, big.transfer_id).status is TransferStatus.COMPLETED
    assert reg.balance(world["buyer_account"]) == 400
    refused(
        ErrorCode.FAILED_PRECONDITION,
        approve_transfer,
        reg.deps,
        second_holder(world["proponent"]),
        big.transfer_id,
    )
    reg.assert_invariants()


def test_approved_transfer_to_an_untrusted_account_still_waits_for_its_hold(
    registry: Registry, world: dict[str, str], clock: Clock
) -> None:
    reg = guarded(registry, clock, four_eyes_threshold_t=10, untrusted_transfer_delay_s=HOUR)
    response = reg.transfer(
        Registry.holder(world["proponent"]), world["proponent_account"], world["buyer_account"], world["batch"], 20
    )
    approve_transfer(reg.deps, second_holder(world["proponent"]), response.transfer_id)
    assert state(reg, response.transfer_id).status is TransferStatus.HELD
    clock.advance(HOUR)
    assert complete_due_transfers(reg.deps) == 1
    assert reg.balance(world["buyer_account"]) == 20


def test_cancelling_a_held_transfer_releases_its_units_and_is_final(
    registry: Registry, world: dict[str, str], clock: Clock
) -> None:
    reg = guarded(registry, clock, untrusted_transfer_delay_s=HOUR)
    who = Registry.holder(world["proponent"])
    response = reg.transfer(who, world["proponent_account"], world["buyer_account"], world["batch"], 300)
    refused(
        ErrorCode.FORBIDDEN,
        cancel_transfer,
        reg.deps,
        Registry.holder(world["buyer"]),
        response.transfer_id,
    )
    cancel_transfer(reg.deps, who, response.transfer_id)
    assert state(reg, response.transfer_id).status is TransferStatus.CANCELLED
    assert reg.balance(world["proponent_account"]) == 1000 and reg.locked(world["proponent_account"]) == 0
    clock.advance(2 * HOUR)
    assert complete_due_transfers(reg.deps) == 0
    assert reg.balance(world["buyer_account"]) == 0
    refused(ErrorCode.FAILED_PRECONDITION, cancel_transfer, reg.deps, who, response.transfer_id)
    reg.assert_invariants()


def test_completed_transfer_cannot_be_cancelled(registry: Registry, world: dict[str, str], clock: Clock) -> None:
    reg = guarded(registry, clock, untrusted_transfer_delay_s=HOUR)
    who = Registry.holder(world["proponent"])
    response = reg.transfer(who, world["proponent_account"], world["buyer_account"], world["batch"], 3)
    clock.advance(HOUR)
    complete_due_transfers(reg.deps)
    refused(ErrorCode.FAILED_PRECONDITION, cancel_transfer, reg.deps, who, response.transfer_id)
    refused(ErrorCode.NOT_FOUND, cancel_transfer, reg.deps, who, "NO-SUCH-TRANSFER")


def test_replaying_a_held_transfer_returns_the_same_transfer(
    registry: Registry, world: dict[str, str], clock: Clock
) -> None:
    reg = guarded(registry, clock, untrusted_transfer_delay_s=HOUR)
    who = Registry.holder(world["proponent"])
    first = reg.transfer(who, world["proponent_account"], world["buyer_account"], world["batch"], 30, key="h-1")
    again = reg.transfer(who, world["proponent_account"], world["buyer_account"], world["batch"], 30, key="h-1")
    assert again.transfer_id == first.transfer_id
    assert reg.locked(world["proponent_account"]) == 30


def test_repeated_wrong_organization_attempts_suspend_the_account_until_reinstated(
    registry: Registry, world: dict[str, str], clock: Clock
) -> None:
    reg = guarded(registry, clock, max_failed_authorizations=3, failed_authorization_window_s=HOUR)
    # A member of the owning organization without the right (a stolen TRADER login): only members'
    # refusals count toward suspension (strangers' never do: tests/unit/security).
    intruder = Principal("mallory", world["proponent"], frozenset({"TRADER"}))
    owner = Registry.holder(world["proponent"])
    for _ in range(3):
        refused(ErrorCode.FORBIDDEN, reg.retire, intruder, world["proponent_account"], world["batch"], 1)
    error = refused(
        ErrorCode.FAILED_PRECONDITION,
        reg.transfer,
        owner,
        world["proponent_account"],
        world["buyer_account"],
        world["batch"],
        1,
    )
    assert error.reason == "ACCOUNT_NOT_OPEN"
    refused(ErrorCode.FAILED_PRECONDITION, reg.retire, owner, world["proponent_account"], world["batch"], 1)
    refused(ErrorCode.FAILED_PRECONDITION, reg.lock, owner, world["proponent_account"], 1, "order-1")
    refused(ErrorCode.FORBIDDEN, reinstate_account, reg.deps, owner, world["proponent_account"])
    reinstate_account(reg.deps, ADMIN, world["proponent_account"])
    reg.transfer(owner, world["proponent_account"], world["buyer_account"], world["batch"], 1)
    assert reg.balance(world["buyer_account"]) == 1
    refused(ErrorCode.FAILED_PRECONDITION, reinstate_account, reg.deps, ADMIN, world["proponent_account"])


def test_failed_authorizations_outside_the_window_do_not_suspend(
    registry: Registry, world: dict[str, str], clock: Clock
) -> None:
    reg = guarded(registry, clock, max_failed_authorizations=2, failed_authorization_window_s=HOUR)
    intruder = Principal("mallory", world["proponent"], frozenset({"TRADER"}))
    refused(ErrorCode.FORBIDDEN, reg.retire, intruder, world["proponent_account"], world["batch"], 1)
    clock.advance(HOUR + 1)
    refused(ErrorCode.FORBIDDEN, reg.retire, intruder, world["proponent_account"], world["batch"], 1)
    reg.transfer(
        Registry.holder(world["proponent"]), world["proponent_account"], world["buyer_account"], world["batch"], 1
    )


def test_stranger_refusals_do_not_count_towards_suspension(
    registry: Registry, world: dict[str, str], clock: Clock
) -> None:
    reg = guarded(registry, clock, max_failed_authorizations=1)
    stranger = Principal("mallory", world["buyer"], frozenset({"ACCOUNT_HOLDER"}))
    refused(ErrorCode.FORBIDDEN, reg.retire, stranger, world["proponent_account"], world["batch"], 1)
    reg.transfer(
        Registry.holder(world["proponent"]), world["proponent_account"], world["buyer_account"], world["batch"], 1
    )


def test_settings_turn_safeguards_on_in_production_and_off_in_dev() -> None:
    dev = RegistrySettings().safeguard_policy()
    assert dev == SafeguardPolicy()
    production = RegistrySettings(
        environment="production",
        auth=AuthSettings(
            jwt_secret="x" * 40, jwks_url="https://idp/jwks", oidc_issuer="https://idp", service_secret="y" * 40
        ),
    ).safeguard_policy()
    assert production.trusted_account_delay_s == 24 * HOUR
    assert production.untrusted_transfer_delay_s == 26 * HOUR
    assert production.max_failed_authorizations == 5
    configured = RegistrySettings(trusted_account_delay_s=0, four_eyes_threshold_t=500).safeguard_policy()
    assert configured.trusted_account_delay_s == 0 and configured.needs_approval(501)


def test_negative_safeguard_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        SafeguardPolicy(untrusted_transfer_delay_s=-1)


# -- GraphQL ---------------------------------------------------------------------------------------


@pytest.fixture
def held_api(migrated_database_url: MigratedDatabaseUrl) -> Iterator[tuple[TestClient, Registry]]:
    database_url = migrated_database_url("registry")
    engine = make_engine(database_url)
    settings = RegistrySettings(
        database_url=database_url,
        kafka_bootstrap_servers=None,
        untrusted_transfer_delay_s=HOUR,
        four_eyes_threshold_t=500,
    )
    process = bootstrap(settings)
    try:
        with TestClient(process.http_app) as client:
            yield client, Registry(make_deps(engine))
    finally:
        engine.dispose()
        for stop in process.on_stop:
            stop()


def _gql(client: TestClient, query: str, variables: dict[str, Any], bearer: str) -> dict[str, Any]:
    response = client.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"authorization": f"Bearer {bearer}"}
    )
    body: dict[str, Any] = response.json()
    return body


def test_graphql_transfer_reports_held_status_and_can_be_cancelled(held_api: tuple[TestClient, Registry]) -> None:
    client, registry = held_api
    proponent, buyer = registry.org("P"), registry.org("B")
    source, target = registry.account(proponent), registry.account(buyer)
    batch = registry.mint(proponent, source, 1000)
    holder = issue_dev_token(AuthSettings().jwt_secret, "alice", proponent, ["ACCOUNT_HOLDER"])
    move = """mutation($i: TransferCreditsInput!) { transferCredits(input: $i) {
                id quantity status completesAt blocks { status } } }"""
    body = _gql(
        client, move, {"i": {"fromAccountId": source, "toAccountId": target, "batchId": batch, "quantity": 600}}, holder
    )
    transfer = body["data"]["transferCredits"]
    assert transfer["status"] == "PENDING_APPROVAL" and transfer["completesAt"]
    assert {block["status"] for block in transfer["blocks"]} == {"LOCKED"}
    self_approval = _gql(client, "mutation($t: ID!) { approveTransfer(transferId: $t) { status } }",
                         {"t": transfer["id"]}, holder)  # fmt: skip
    assert self_approval["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    cancelled = _gql(client, "mutation($t: ID!) { cancelTransfer(transferId: $t) { status } }",
                     {"t": transfer["id"]}, holder)  # fmt: skip
    assert cancelled["data"]["cancelTransfer"]["status"] == "CANCELLED"
    account = _gql(client, "query($a: ID!) { account(id: $a) { balance status } }", {"a": source}, holder)
    assert account["data"]["account"] == {"balance": 1000, "status": "OPEN"}
    trusted = _gql(
        client,
        "mutation($a: ID!, $t: ID!) { addTrustedAccount(accountId: $a, trustedAccountId: $t) { trustedAccountId } }",
        {"a": source, "t": target},
        holder,
    )
    assert trusted["data"]["addTrustedAccount"]["trustedAccountId"] == target
