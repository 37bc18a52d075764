"""The message bus runs every command the same way: one unit of work, idempotency once, events to the outbox."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from carbon.registry.v1 import events_pb2

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.messaging.bus import MessageBus
from carbon_runtime.messaging.message import NewEvent
from tests.support.fake_uow import FakeUnitOfWork


@dataclass
class Counter:
    counter_id: str
    value: int = 0
    events: list[object] = field(default_factory=list)


@dataclass(frozen=True)
class AddToCounter:
    counter_id: str
    amount: int
    price_jpy: Decimal
    on: date
    idempotency_key: str | None = None
    idempotency_scope: str = "org:A"
    actor: str = "alice"


@dataclass(frozen=True)
class CounterAdded:
    counter_id: str
    amount: int


@dataclass(frozen=True)
class Added:
    counter_id: str
    value: int
    price_jpy: Decimal
    on: date


class CounterUow(FakeUnitOfWork):
    state_attributes = ("counters",)

    def __init__(self) -> None:
        super().__init__()
        self.counters: dict[str, Counter] = {}

    def get(self, counter_id: str) -> Counter:
        counter = self.counters.setdefault(counter_id, Counter(counter_id))
        self.track(counter)
        return counter


def add(cmd: AddToCounter, uow: CounterUow, *, limit: int) -> Added:
    counter = uow.get(cmd.counter_id)
    if counter.value + cmd.amount > limit:
        raise DomainError(ErrorCode.INVALID_ARGUMENT, "OVER_LIMIT", "too much")
    counter.value += cmd.amount
    counter.events.append(CounterAdded(cmd.counter_id, cmd.amount))
    return Added(counter.counter_id, counter.value, cmd.price_jpy, cmd.on)


def to_messages(event: object) -> Iterable[NewEvent]:
    assert isinstance(event, CounterAdded)
    yield NewEvent("counter", event.counter_id, events_pb2.CreditsRetired(retirement_id=event.counter_id))


def build(uow: CounterUow) -> MessageBus[Any]:
    return MessageBus(lambda: uow, {AddToCounter: add}, to_messages, dependencies={"limit": 100})


def cmd(amount: int = 5, key: str | None = "k1", **kw: Any) -> AddToCounter:
    return AddToCounter("c1", amount, Decimal("1200.50"), date(2026, 12, 4), idempotency_key=key, **kw)


def test_bus_runs_handler_and_maps_raised_events_to_outbox_messages() -> None:
    uow = CounterUow()
    result = build(uow).handle(cmd())
    assert result == Added("c1", 5, Decimal("1200.50"), date(2026, 12, 4))
    assert uow.events == [CounterAdded("c1", 5)]
    assert [m.aggregate_id for m in uow.messages] == ["c1"]


def test_replay_with_same_key_returns_first_result_and_changes_nothing() -> None:
    uow = CounterUow()
    bus = build(uow)
    first = bus.handle(cmd())
    again = bus.handle(cmd(actor="bob"))  # a colleague of the same organization retries
    assert again == first
    assert isinstance(again.price_jpy, Decimal)
    assert uow.counters["c1"].value == 5
    assert len(uow.messages) == 1


def test_same_key_with_other_arguments_is_conflict_and_changes_nothing() -> None:
    uow = CounterUow()
    bus = build(uow)
    bus.handle(cmd())
    with pytest.raises(DomainError) as err:
        bus.handle(cmd(amount=6))
    assert err.value.code == ErrorCode.CONFLICT
    assert uow.counters["c1"].value == 5


def test_keys_are_scoped_to_the_organization() -> None:
    uow = CounterUow()
    bus = build(uow)
    bus.handle(cmd())
    bus.handle(cmd(idempotency_scope="org:B"))
    assert uow.counters["c1"].value == 10


def test_refused_command_stores_no_key_and_records_no_event() -> None:
    uow = CounterUow()
    bus = build(uow)
    with pytest.raises(DomainError):
        bus.handle(cmd(amount=101))
    assert uow.idempotency == {}
    assert uow.messages == []
    assert uow.counters == {}


def test_overlong_key_is_invalid() -> None:
    with pytest.raises(DomainError) as err:
        build(CounterUow()).handle(cmd(key="k" * 201))
    assert err.value.code == ErrorCode.INVALID_ARGUMENT


def test_handler_without_its_dependency_is_refused_at_build_time() -> None:
    with pytest.raises(TypeError, match="limit"):
        MessageBus(lambda: CounterUow(), {AddToCounter: add}, to_messages)


def test_collect_handlers_finds_one_handle_per_use_case_module_by_its_command_type() -> None:
    from carbon_runtime.messaging.bus import collect_handlers
    from tests.unit.runtime.handlers_pkg.commands import CloseThing, OpenThing

    handlers = collect_handlers("tests.unit.runtime.handlers_pkg")
    assert set(handlers) == {OpenThing, CloseThing}
    bus: MessageBus[Any] = MessageBus(lambda: CounterUow(), handlers, to_messages)
    assert bus.handle(OpenThing("door")) == "opened door"


def test_fingerprint_of_a_set_does_not_depend_on_the_hash_seed() -> None:
    import subprocess
    import sys

    code = (
        "from dataclasses import dataclass\n"
        "from carbon_runtime.messaging.bus import fingerprint\n"
        "@dataclass(frozen=True)\n"
        "class C:\n"
        "    tags: frozenset[str]\n"
        "print(fingerprint('C', C(frozenset({'a', 'b', 'c', 'd', 'e', 'f'}))))\n"
    )
    seen = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": str(seed), "PYTHONPATH": ".:gen"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(4)
    }
    assert len(seen) == 1
