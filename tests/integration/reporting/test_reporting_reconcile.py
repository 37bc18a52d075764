"""Reconciliation compares issuance's issued totals and the registry's unit totals (both over gRPC) with
the reporting read model, batch by batch, and records the run as an event."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any, cast

import grpc
import pytest
from carbon.issuance.v1 import issuance_pb2, issuance_pb2_grpc
from carbon.registry.v1 import registry_pb2, registry_pb2_grpc
from carbon.registry.v1 import types_pb2 as rtypes
from sqlalchemy import Engine, select

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.persistence.db import make_engine
from carbon_runtime.settings import AuthSettings
from services.reporting.adapters import tables
from services.reporting.adapters.issuance_client import IssuanceTotalsClient
from services.reporting.adapters.registry_client import RegistryTotalsClient
from services.reporting.bootstrap import build_bus
from services.reporting.domain.actor import Actor
from services.reporting.domain.commands import ReconcileBatches
from services.reporting.domain.reconciliation import Measure, Source
from services.reporting.entrypoints import consumer
from tests.integration.reporting.support import BATCH_JCREDIT, BATCH_VCS, build_scenario


class FakeIssuance(issuance_pb2_grpc.IssuanceServiceServicer):
    """Only the RPC reconciliation uses; the base class answers UNIMPLEMENTED for the rest."""

    async def GetIssuedTotals(
        self, request: issuance_pb2.GetIssuedTotalsRequest, context: Any
    ) -> issuance_pb2.GetIssuedTotalsResponse:
        return issuance_pb2.GetIssuedTotalsResponse(
            totals=[
                issuance_pb2.IssuedTotal(batch_id=BATCH_JCREDIT, issued_quantity_t=1000),
                issuance_pb2.IssuedTotal(batch_id=BATCH_VCS, issued_quantity_t=500),
            ]
        )


def _status(status: rtypes.UnitStatus.ValueType, quantity: int) -> rtypes.StatusQuantity:
    return rtypes.StatusQuantity(status=status, quantity_t=quantity)


class FakeRegistry(registry_pb2_grpc.RegistryServiceServicer):
    """Only the RPC reconciliation uses."""

    async def GetBatchTotals(
        self, request: registry_pb2.GetBatchTotalsRequest, context: Any
    ) -> registry_pb2.GetBatchTotalsResponse:
        return registry_pb2.GetBatchTotalsResponse(
            batches=[
                rtypes.BatchTotals(
                    batch_id=BATCH_JCREDIT,
                    minted_quantity_t=1000,
                    by_status=[
                        _status(rtypes.UNIT_STATUS_HELD, 895),
                        _status(rtypes.UNIT_STATUS_RETIRED, 100),
                        _status(rtypes.UNIT_STATUS_NDC_USED, 5),
                    ],
                ),
                # 2 t too many held: the registry disagrees with issuance about this batch.
                # CANCELLED = 5 t by the holder + 20 t from the buffer pool after the reversal.
                rtypes.BatchTotals(
                    batch_id=BATCH_VCS,
                    minted_quantity_t=500,
                    by_status=[
                        _status(rtypes.UNIT_STATUS_HELD, 462),
                        _status(rtypes.UNIT_STATUS_RETIRED, 15),
                        _status(rtypes.UNIT_STATUS_CANCELLED, 25),
                    ],
                ),
            ]
        )


@pytest.fixture
def peers() -> Iterator[tuple[str, str]]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    servers: list[Any] = []
    targets: list[str] = []

    async def start() -> None:
        for add, servicer in (
            (issuance_pb2_grpc.add_IssuanceServiceServicer_to_server, cast(Any, FakeIssuance)()),
            (registry_pb2_grpc.add_RegistryServiceServicer_to_server, cast(Any, FakeRegistry)()),
        ):
            server = grpc.aio.server()
            cast(Any, add)(servicer, server)
            port = server.add_insecure_port("127.0.0.1:0")
            await server.start()
            servers.append(server)
            targets.append(f"127.0.0.1:{port}")

    async def stop() -> None:
        for server in servers:
            await server.stop(grace=None)

    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    yield targets[0], targets[1]
    asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)


@pytest.fixture
def engine(reporting_database_url: str) -> Iterator[Engine]:
    eng = make_engine(reporting_database_url)
    for item in build_scenario():
        consumer.apply_one(build_bus(eng), item.envelope)
    yield eng
    eng.dispose()


AUDITOR = Actor(user_id="auditor", organization_id=None, roles=frozenset({"AUDITOR"}))


def test_reconciliation_reports_batches_where_registry_units_disagree_with_issuance(
    engine: Engine, peers: tuple[str, str]
) -> None:
    issuance = IssuanceTotalsClient(peers[0], AuthSettings())
    registry = RegistryTotalsClient(peers[1], AuthSettings())
    bus = build_bus(engine, issuance=issuance, registry=registry)
    try:
        result = bus.handle(ReconcileBatches(AUDITOR))
        assert result.batches_checked == 2
        assert [
            (d.batch_id, d.measure, d.left_source, d.right_source, d.left_t, d.right_t) for d in result.discrepancies
        ] == [(BATCH_VCS, Measure.ISSUED, Source.ISSUANCE, Source.REGISTRY, 500, 502)]
        with engine.connect() as conn:
            logged = conn.execute(select(tables.outbox.event_log.c.event_type)).scalars().all()
        assert logged == ["carbon.reporting.v1.ReconciliationCompleted"]

        with pytest.raises(DomainError) as refused:
            bus.handle(ReconcileBatches(Actor(user_id="u", organization_id="org", roles=frozenset({"TRADER"}))))
        assert refused.value.code is ErrorCode.FORBIDDEN
    finally:
        issuance.close()
        registry.close()
