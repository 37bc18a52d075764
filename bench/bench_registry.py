"""Registry service layer: transfers/s and retirements/s through the real handlers, on SQLite and
PostgreSQL, side by side with a raw-SQL double-entry transfer on the same engine (the floor); and
transfer latency with a large ledger stored vs a small one (does it stay flat?).

The handlers run exactly as gRPC runs them: request -> command -> the registry's message bus (the
bus and unit of work services.registry's bootstrap builds, with the outbox) -> response, schema from
the registry's Alembic migrations; only the HTTP/gRPC transport and the Kafka relay are left out.

The large ledger is bulk-loaded (not minted through 10^6 handler calls): many batches of 100
blocks of 10 units each, spread over 1,000 holding accounts of 100 organizations, consistent with
the schema's constraints and the per-batch invariant (blocks partition each batch's serial range).
Both sizes keep 100 blocks per batch and the same accounts, so only the amount stored differs.
`python -m bench --only bench_registry [--quick]`.
"""

from __future__ import annotations

import functools
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from carbon.issuance.v1 import types_pb2 as issuance_types
from carbon.registry.v1 import registry_pb2, types_pb2
from sqlalchemy import BigInteger, Column, Engine, Integer, MetaData, String, Table, insert, text, update

from bench.common import latency_summary, pg_available, pg_database, ratio, timed_loop
from carbon_runtime.ops.bootstrap import build_core
from carbon_runtime.persistence.migrations import upgrade
from carbon_runtime.transport.auth import Principal
from services.registry.adapters import tables as t
from services.registry.adapters.protos import mint_response
from services.registry.bootstrap import sql_bus
from services.registry.domain.models import Batch, CreditBasis, CreditCategory, CreditType
from services.registry.domain.serials import unit_serial
from services.registry.entrypoints import grpc_server as g
from services.registry.entrypoints.caller import actor_of
from services.registry.service.handlers import RegistryBus
from services.registry.settings import RegistrySettings

ADMIN = Principal("bench-admin", None, frozenset({"REGISTRY_ADMIN"}))
ISSUANCE = Principal("service:issuance", None, frozenset({"SERVICE"}))

BLOCKS_PER_BATCH = 100
UNITS_PER_BLOCK = 10
BULK_ORGANIZATIONS = 100
BULK_ACCOUNTS = 1000
SEED = 20240401


def holder(organization_id: str) -> Principal:
    return Principal(f"user-{organization_id}", organization_id, frozenset({"ACCOUNT_HOLDER"}))


# --- the registry as its bootstrap builds it ---------------------------------------------------------


def registry_deps(database_url: str) -> tuple[RegistryBus, Engine]:
    """Migrate to head, then build the Core and the bus exactly as services.registry.bootstrap does
    (no broker)."""
    upgrade("registry", database_url)
    settings = RegistrySettings(database_url=database_url, kafka_bootstrap_servers=None)
    core = build_core(settings, t.outbox, configure_process=False)
    # As bootstrap builds it; the dev-default safeguards move every transfer at once.
    bus = sql_bus(core.engine, safeguards=settings.safeguard_policy(), on_commit=core.uow().on_commit)
    return bus, core.engine


def transfer_credits(bus: RegistryBus, who: Principal, request: registry_pb2.TransferRequest) -> Any:
    return g.run(bus, request, actor_of(who), g.transfer_command, g.transfer_response)


def retire_credits(bus: RegistryBus, who: Principal, request: registry_pb2.RetireRequest) -> Any:
    return g.run(bus, request, actor_of(who), g.retire_command, g.retire_response)


def _organization(deps: RegistryBus, name: str) -> str:
    request = registry_pb2.CreateOrganizationRequest(name=name, country="JP")
    response = g.run(deps, request, actor_of(ADMIN), g.create_organization_command, g.create_organization_response)
    return str(response.organization.organization_id)


def _account(deps: RegistryBus, organization_id: str) -> str:
    request = registry_pb2.OpenAccountRequest(organization_id=organization_id, kind=types_pb2.ACCOUNT_KIND_HOLDING)
    response = g.run(deps, request, actor_of(ADMIN), g.open_account_command, g.open_account_response)
    return str(response.account.account_id)


def _mint(deps: RegistryBus, proponent: str, account_id: str, quantity: int, batch_id: str) -> str:
    request = registry_pb2.MintBatchRequest(
        idempotency_key=f"mint-{batch_id}",
        issuance_id=f"ISS-{batch_id}",
        batch_id=batch_id,
        attributes=issuance_types.CreditAttributes(
            project_id="P0000123",
            program_id="JCREDIT",
            methodology_id="EN-S-001",
            country="JP",
            vintage_start="2023-04-01",
            vintage_end="2023-12-31",
            credit_type=issuance_types.CREDIT_TYPE_REDUCTION,
            basis=issuance_types.CREDIT_BASIS_TECHNOLOGY,
            category=issuance_types.CREDIT_CATEGORY_NDC_CONTRIBUTING,
            authorization=issuance_types.AUTHORIZATION_NONE,
            co_benefits=[7, 13],
            issuer_organization_id=proponent,
        ),
        issued_quantity_t=quantity,
        buffer_quantity_t=0,
        holder_account_id=account_id,
    )
    return str(g.run(deps, request, actor_of(ISSUANCE), g.mint_batch_command, mint_response).batch_id)


def _transfer_request(source: str, target: str, batch_id: str, key: str) -> registry_pb2.TransferRequest:
    return registry_pb2.TransferRequest(
        idempotency_key=key, from_account_id=source, to_account_id=target, batch_id=batch_id, quantity_t=1
    )


def _retire_request(account_id: str, batch_id: str, key: str) -> registry_pb2.RetireRequest:
    return registry_pb2.RetireRequest(
        idempotency_key=key,
        account_id=account_id,
        batch_id=batch_id,
        quantity_t=1,
        purpose=types_pb2.RETIREMENT_PURPOSE_SHK_ADJUSTMENT,
        beneficiary="Bench K.K.",
        retirement_year=2024,
        offset_emissions_decimal="1",
    )


# --- the floor: a minimal double-entry ledger ---------------------------------------------------------

floor_metadata = MetaData()
floor_balances = Table(
    "bench_floor_balances",
    floor_metadata,
    Column("account_id", String(64), primary_key=True),
    Column("balance", BigInteger, nullable=False),
)
floor_ledger = Table(
    "bench_floor_ledger",
    floor_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("from_account_id", String(64), nullable=False),
    Column("to_account_id", String(64), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("occurred_at", String(40), nullable=False),
)


def floor_transfer(engine: Engine, source: str, target: str, quantity: int) -> None:
    """Debit (refused below zero), credit and a ledger row, in one transaction."""
    with engine.begin() as conn:
        debited = conn.execute(
            update(floor_balances)
            .where(floor_balances.c.account_id == source, floor_balances.c.balance >= quantity)
            .values(balance=floor_balances.c.balance - quantity)
        )
        if debited.rowcount != 1:
            raise RuntimeError("floor ledger: insufficient balance")
        conn.execute(
            update(floor_balances)
            .where(floor_balances.c.account_id == target)
            .values(balance=floor_balances.c.balance + quantity)
        )
        conn.execute(
            insert(floor_ledger).values(
                from_account_id=source,
                to_account_id=target,
                quantity=quantity,
                occurred_at=datetime.now(UTC).isoformat(),
            )
        )


# --- (1) throughput: handlers vs the floor -------------------------------------------------------------


def throughput(database_url: str, count: int, max_seconds: float) -> dict[str, dict[str, Any]]:
    deps, engine = registry_deps(database_url)
    try:
        seller = _organization(deps, "Bench Seller K.K.")
        buyer = _organization(deps, "Bench Buyer K.K.")
        seller_account = _account(deps, seller)
        buyer_account = _account(deps, buyer)
        batch_id = _mint(deps, seller, seller_account, 1_000_000, "BENCHTHROUGHPUT")
        seller_principal, buyer_principal = holder(seller), holder(buyer)
        for i in range(10):  # warm-up: connections, statement caches, the first journal entries
            warm = _transfer_request(seller_account, buyer_account, batch_id, f"w{i}")
            transfer_credits(deps, seller_principal, warm)

        def transfer(i: int) -> None:
            request = _transfer_request(seller_account, buyer_account, batch_id, f"t{i}")
            transfer_credits(deps, seller_principal, request)

        def retire(i: int) -> None:
            retire_credits(deps, buyer_principal, _retire_request(buyer_account, batch_id, f"r{i}"))

        transfers, transfers_s = timed_loop(transfer, count, max_seconds)
        # Retire no more than was transferred (1 t each), so the buyer never runs out.
        retirements, retirements_s = timed_loop(retire, len(transfers) + 10, max_seconds)

        floor_metadata.create_all(engine)
        with engine.begin() as conn:
            start_balances = [{"account_id": "A", "balance": 10**9}, {"account_id": "B", "balance": 0}]
            conn.execute(insert(floor_balances), start_balances)
        for _ in range(10):
            floor_transfer(engine, "A", "B", 1)
        floor, floor_s = timed_loop(lambda i: floor_transfer(engine, "A", "B", 1), count, max_seconds)
    finally:
        engine.dispose()
    return {
        "transfer": latency_summary(transfers, transfers_s),
        "retire": latency_summary(retirements, retirements_s),
        "floor": latency_summary(floor, floor_s),
    }


# --- (2) latency with a large ledger stored ---------------------------------------------------------------


def _bulk_batch(index: int, proponent: str) -> Batch:
    issued = BLOCKS_PER_BATCH * UNITS_PER_BLOCK
    return Batch(
        id=f"BULK{index:07d}",
        issuance_id=f"ISS-BULK{index:07d}",
        program_id="JCREDIT",
        program_code="JCREDIT",
        host_country="JP",
        project_id="P0000123",
        vintage_start=date(2023, 4, 1),
        vintage_end=date(2023, 12, 31),
        issued_quantity=issued,
        buffer_quantity=0,
        serial_start_unit=1,
        serial_end_unit=issued,
        credit_type=CreditType.REDUCTION,
        basis=CreditBasis.TECHNOLOGY,
        category=CreditCategory.NDC_CONTRIBUTING,
        proponent_organization_id=proponent,
    )


def _account_id(index: int) -> str:
    return f"BULKACC{index:06d}"


def _organization_id(index: int) -> str:
    return f"BULKORG{index:05d}"


def _block_account(batch_index: int, block_index: int) -> int:
    """Neighbouring blocks always belong to different accounts, so the stored blocks are normalized."""
    return (batch_index * 7 + block_index) % BULK_ACCOUNTS


def _block_rows(n_batches: int) -> Iterator[tuple[str, int, int, str, str]]:
    for b in range(n_batches):
        batch_id = f"BULK{b:07d}"
        for j in range(BLOCKS_PER_BATCH):
            start = j * UNITS_PER_BLOCK + 1
            yield batch_id, start, start + UNITS_PER_BLOCK - 1, _account_id(_block_account(b, j)), "HELD"


def bulk_load(engine: Engine, n_blocks: int) -> int:
    """Organizations, accounts, batches and n_blocks HELD unit blocks, straight into the tables."""
    n_batches = max(1, n_blocks // BLOCKS_PER_BATCH)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(t.organizations),
            [
                {
                    "id": _organization_id(i),
                    "name": f"Bulk holder {i}",
                    "country": "JP",
                    "accredited_verifier": False,
                    "kyc_status": "VERIFIED",
                    "created_at": now,
                }
                for i in range(BULK_ORGANIZATIONS)
            ],
        )
        conn.execute(
            insert(t.accounts),
            [
                {
                    "id": _account_id(i),
                    "organization_id": _organization_id(i % BULK_ORGANIZATIONS),
                    "kind": "HOLDING",
                    "status": "OPEN",
                    "program_id": None,
                    "opened_at": now,
                }
                for i in range(BULK_ACCOUNTS)
            ],
        )
        rows = []
        for b in range(n_batches):
            first_holder = _block_account(b, 0)
            batch = _bulk_batch(b, _organization_id(first_holder % BULK_ORGANIZATIONS))
            rows.append(
                {
                    "id": batch.id,
                    "issuance_id": batch.issuance_id,
                    "project_id": "P0000123",
                    "serial_project": batch.project_id,
                    "program_id": batch.program_id,
                    "program_code": batch.program_code,
                    "methodology_id": "EN-S-001",
                    "host_country": batch.host_country,
                    "vintage_start": batch.vintage_start,
                    "vintage_end": batch.vintage_end,
                    "credit_type": batch.credit_type.value,
                    "basis": batch.basis.value,
                    "category": batch.category.value,
                    "corresponding_adjustment": False,
                    "authorization": "AUTHORIZATION_NONE",
                    "authorization_purpose": None,
                    "authorization_id": None,
                    "co_benefits": "[7, 13]",
                    "proponent_organization_id": batch.proponent_organization_id,
                    "issued_quantity": batch.issued_quantity,
                    "buffer_quantity": 0,
                    "serial_start_unit": batch.serial_start_unit,
                    "serial_end_unit": batch.serial_end_unit,
                    "serial_start": unit_serial(batch, batch.serial_start_unit),
                    "serial_end": unit_serial(batch, batch.serial_end_unit),
                    "holder_account_id": _account_id(first_holder),
                    "buffer_account_id": None,
                    "mint_response": b"",
                    "request_hash": "0" * 64,
                    "minted_at": now,
                }
            )
            if len(rows) >= 2000:
                conn.execute(insert(t.batches), rows)
                rows = []
        if rows:
            conn.execute(insert(t.batches), rows)
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        if engine.dialect.name == "sqlite":
            driver.execute("BEGIN")
            driver.executemany(
                "INSERT INTO unit_blocks (batch_id, start_unit, end_unit, account_id, status, lock_id) "
                "VALUES (?, ?, ?, ?, ?, NULL)",
                _block_rows(n_batches),
            )
            driver.execute("COMMIT")
            driver.execute("ANALYZE")
        else:
            with driver.cursor() as cursor:
                copy_sql = "COPY unit_blocks (batch_id, start_unit, end_unit, account_id, status) FROM STDIN"
                with cursor.copy(copy_sql) as copy:
                    for row in _block_rows(n_batches):
                        copy.write_row(row)
            driver.commit()
            driver.autocommit = True
            driver.execute("VACUUM ANALYZE")
            driver.autocommit = False
    finally:
        raw.close()
    with engine.connect() as conn:
        stored = int(conn.execute(text("SELECT count(*) FROM unit_blocks")).scalar_one())
    return stored


def ledger_latency(database_url: str, n_blocks: int, samples: int, max_seconds: float) -> dict[str, Any]:
    deps, engine = registry_deps(database_url)
    try:
        started = time.perf_counter()
        stored = bulk_load(engine, n_blocks)
        load_s = time.perf_counter() - started
        n_batches = stored // BLOCKS_PER_BATCH
        order = list(range(n_batches))
        random.Random(SEED).shuffle(order)

        def step(k: int) -> None:
            # Distinct (batch, block) per step: the source always still holds units of that batch.
            b = order[k % n_batches]
            j = (k // n_batches) % BLOCKS_PER_BATCH
            source, target = _block_account(b, j), _block_account(b, j + 1)
            request = _transfer_request(_account_id(source), _account_id(target), f"BULK{b:07d}", f"bulk-{k}")
            transfer_credits(deps, holder(_organization_id(source % BULK_ORGANIZATIONS)), request)

        warm = 10
        for k in range(warm):
            step(k)
        durations, elapsed = timed_loop(lambda i: step(warm + i), samples, max_seconds)
    finally:
        engine.dispose()
    return {"unit_blocks_stored": stored, "load_s": round(load_s, 1), **latency_summary(durations, elapsed)}


# --- run ----------------------------------------------------------------------------------------------------


def _sqlite_url(tmp: Path, n: int) -> str:
    return f"sqlite:///{tmp / f'registry-{n}.db'}"


def _with_database(backend: str, tmp: Path, n: int, work: Callable[[str], Any]) -> Any:
    if backend == "sqlite":
        return work(_sqlite_url(tmp, n))
    with pg_database() as url:
        return work(url)


def run(quick: bool) -> dict[str, Any]:
    count = 300 if quick else 2000
    phase_s = 20.0 if quick else 60.0
    small, large = (10**3, 10**5) if quick else (10**4, 10**6)
    samples = 150 if quick else 500
    backends = ["sqlite"] + (["postgresql"] if pg_available() else [])
    rows: list[dict[str, Any]] = []
    ratios: dict[str, Any] = {}
    goals: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as tmp_name:
        tmp = Path(tmp_name)
        for n, backend in enumerate(backends):
            result = _with_database(backend, tmp, n, lambda url: throughput(url, count, phase_s))
            floor = result["floor"]["ops_per_s"]
            for case, key in (("transfer (handler)", "transfer"), ("retire (handler)", "retire")):
                rows.append({"backend": backend, "case": case, **result[key]})
            rows.append({"backend": backend, "case": "raw-SQL double-entry transfer (floor)", **result["floor"]})
            ratios[f"{backend}_transfer_vs_raw"] = ratio(result["transfer"]["ops_per_s"], floor)
            ratios[f"{backend}_retire_vs_raw"] = ratio(result["retire"]["ops_per_s"], floor)
            goals[f"{backend}_transfer_vs_raw"] = ">= 0.5"
            goals[f"{backend}_retire_vs_raw"] = ">= 0.5"
        for n, backend in enumerate(backends):
            by_size: dict[int, dict[str, Any]] = {}
            for size in (small, large):
                measure = functools.partial(ledger_latency, n_blocks=size, samples=samples, max_seconds=phase_s)
                by_size[size] = _with_database(backend, tmp, 100 + n * 10 + len(by_size), measure)
                rows.append({"backend": backend, "case": f"transfer, {size:,} unit blocks stored", **by_size[size]})
            key = f"{backend}_p50_{large:.0e}_vs_{small:.0e}".replace("+0", "")
            ratios[key] = ratio(by_size[large]["p50_ms"], by_size[small]["p50_ms"])
            goals[key] = "<= 1.5"
            key99 = f"{backend}_p99_{large:.0e}_vs_{small:.0e}".replace("+0", "")
            ratios[key99] = ratio(by_size[large]["p99_ms"], by_size[small]["p99_ms"])
    return {
        "name": "registry service layer: transfers and retirements vs raw SQL; latency vs ledger size",
        "description": (
            f"Sequential handler calls (1 t each, idempotency keys) on SQLite and PostgreSQL, up to {count} per "
            f"case or {phase_s:.0f} s; floor = UPDATE/UPDATE/INSERT double entry in one transaction on the same "
            f"engine. Latency: {samples} transfers on bulk-loaded ledgers of {small:,} vs {large:,} unit blocks "
            f"({BLOCKS_PER_BATCH} blocks per batch, {BULK_ACCOUNTS} accounts)."
        ),
        "rows": rows,
        "ratios": ratios,
        "goals": goals,
    }
