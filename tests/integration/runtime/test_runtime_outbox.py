"""Event log and transactional outbox, on PostgreSQL and on SQLite."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from carbon.events.v1 import envelope_pb2
from carbon.registry.v1 import events_pb2
from sqlalchemy import Column, Engine, MetaData, String, Table, func, insert, select

from carbon_runtime.messaging.outbox import OutboxRelay, add_outbox_tables, claim_event, head_position, read_log
from carbon_runtime.persistence.db import make_engine
from carbon_runtime.persistence.uow import UnitOfWork

metadata = MetaData()
outbox = add_outbox_tables(metadata)
things = Table("things", metadata, Column("id", String(50), primary_key=True))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    metadata.create_all(eng)
    yield eng
    eng.dispose()


class RecordingPublisher:
    def __init__(self, fail_after: int | None = None) -> None:
        self.sent: list[tuple[str, str, bytes, dict[str, bytes]]] = []
        self.fail_after = fail_after
        self.lock = threading.Lock()

    def publish(self, topic: str, key: str, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        with self.lock:
            if self.fail_after is not None and len(self.sent) >= self.fail_after:
                raise ConnectionError("broker went away")
            self.sent.append((topic, key, value, dict(headers)))

    def flush(self) -> None:
        return None


def _org_created(org_id: str) -> events_pb2.OrganizationCreated:
    return events_pb2.OrganizationCreated(organization_id=org_id, name=f"Org {org_id}", country="JP")


def _commit(engine: Engine, thing_id: str, aggregate_id: str, n_events: int = 1) -> None:
    with UnitOfWork(engine, outbox, "test") as uow:
        uow.conn.execute(insert(things).values(id=thing_id))
        for _ in range(n_events):
            uow.add_event("Organization", aggregate_id, _org_created(aggregate_id))


def test_state_change_and_its_events_commit_together(engine: Engine) -> None:
    _commit(engine, "t1", "org-1", n_events=2)
    rows = read_log(engine, outbox, 0, 10)
    assert [r.aggregate_id for r in rows] == ["org-1", "org-1"]
    envs = [envelope_pb2.EventEnvelope.FromString(r.envelope) for r in rows]
    assert [e.sequence for e in envs] == [1, 2]
    assert envs[0].event_type == "carbon.registry.v1.OrganizationCreated"
    assert envs[0].organization_created.organization_id == "org-1"
    assert envs[0].producer == "test"


def test_rolled_back_change_records_no_event(engine: Engine) -> None:
    with pytest.raises(RuntimeError), UnitOfWork(engine, outbox, "test") as uow:
        uow.conn.execute(insert(things).values(id="t1"))
        uow.add_event("Organization", "org-1", _org_created("org-1"))
        raise RuntimeError("handler refused the request")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(things)).scalar() == 0
    assert head_position(engine, outbox) == 0


def test_relay_publishes_in_log_order_keyed_by_aggregate_and_marks_sent(engine: Engine) -> None:
    for i, agg in enumerate(["a", "b", "a", "c", "a"]):
        _commit(engine, f"t{i}", agg)
    pub = RecordingPublisher()
    relay = OutboxRelay(engine, outbox, pub, "carbon.test.events.v1")
    assert relay.drain() == 5
    assert [k for _, k, _, _ in pub.sent] == ["a", "b", "a", "c", "a"]
    seqs_a = [envelope_pb2.EventEnvelope.FromString(v).sequence for _, k, v, _ in pub.sent if k == "a"]
    assert seqs_a == [1, 2, 3]
    assert all(h["event_type"] == b"carbon.registry.v1.OrganizationCreated" for *_, h in pub.sent)
    assert relay.drain() == 0, "published events must not be sent again"


def test_relay_keeps_unacknowledged_events_for_the_next_attempt_in_order(engine: Engine) -> None:
    for i in range(4):
        _commit(engine, f"t{i}", "agg")
    failing = RecordingPublisher(fail_after=2)
    relay = OutboxRelay(engine, outbox, failing, "topic")
    with pytest.raises(ConnectionError):
        relay.publish_pending()
    assert len(failing.sent) == 2
    healthy = RecordingPublisher()
    relay.publisher = healthy
    assert relay.drain() == 2
    seqs = [envelope_pb2.EventEnvelope.FromString(v).sequence for _, _, v, _ in healthy.sent]
    assert seqs == [3, 4]


def test_consumer_claim_is_exactly_once_per_event_id(engine: Engine) -> None:
    with engine.begin() as conn:
        assert claim_event(conn, outbox, "reporting", "e-1") is True
    with engine.begin() as conn:
        assert claim_event(conn, outbox, "reporting", "e-1") is False
        assert claim_event(conn, outbox, "other-consumer", "e-1") is True


def test_consumer_claim_rolls_back_with_its_effects(engine: Engine) -> None:
    with pytest.raises(RuntimeError), engine.begin() as conn:
        assert claim_event(conn, outbox, "reporting", "e-2")
        conn.execute(insert(things).values(id="effect"))
        raise RuntimeError("effect failed")
    with engine.begin() as conn:
        assert claim_event(conn, outbox, "reporting", "e-2") is True, "a failed effect must be retried"


def test_read_log_pages_from_a_position_and_filters_types(engine: Engine) -> None:
    for i in range(5):
        _commit(engine, f"t{i}", f"org-{i}")
    first = read_log(engine, outbox, 0, 2)
    rest = read_log(engine, outbox, first[-1].position, 10)
    assert len(first) == 2 and len(rest) == 3
    assert read_log(engine, outbox, 0, 10, ["carbon.trading.v1.TradeExecuted"]) == []
    assert head_position(engine, outbox) == rest[-1].position
