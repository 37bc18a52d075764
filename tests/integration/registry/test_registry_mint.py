"""Organizations, accounts and minting."""

from __future__ import annotations

import pytest
from carbon.registry.v1 import registry_pb2, types_pb2

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.persistence.migrations import upgrade
from tests.integration.registry.support import ADMIN, ISSUANCE, Registry, call, make_deps


def test_create_organization_needs_registry_admin(registry: Registry) -> None:
    with pytest.raises(DomainError) as error:
        call(registry.deps, Registry.holder("X"), registry_pb2.CreateOrganizationRequest(name="A", country="JP"))
    assert error.value.code is ErrorCode.FORBIDDEN


def test_create_organization_rejects_a_country_that_is_not_iso_3166(registry: Registry) -> None:
    with pytest.raises(DomainError) as error:
        call(registry.deps, ADMIN, registry_pb2.CreateOrganizationRequest(name="A", country="XX"))
    assert error.value.code is ErrorCode.INVALID_ARGUMENT


def test_open_account_for_unknown_organization_is_not_found(registry: Registry) -> None:
    with pytest.raises(DomainError) as error:
        registry.account("NOPE")
    assert error.value.code is ErrorCode.NOT_FOUND


def test_open_account_is_idempotent_per_key(registry: Registry) -> None:
    org = registry.org()
    request = registry_pb2.OpenAccountRequest(
        idempotency_key="a-1", organization_id=org, kind=types_pb2.ACCOUNT_KIND_HOLDING
    )
    first = call(registry.deps, ADMIN, request)
    assert call(registry.deps, ADMIN, request) == first
    view = registry.deps.reads.organization_view(org)
    assert view is not None and view.account_ids == [first.account.account_id]


def test_buffer_accounts_are_not_opened_by_hand(registry: Registry) -> None:
    with pytest.raises(DomainError) as error:
        registry.account(registry.org(), types_pb2.ACCOUNT_KIND_BUFFER)
    assert error.value.code is ErrorCode.INVALID_ARGUMENT


def test_mint_puts_the_buffer_share_in_the_programs_buffer_account_created_on_demand(registry: Registry) -> None:
    org = registry.org()
    account = registry.account(org)
    request = registry.mint_request(org, account, 100, buffer=20, program="JBLUE")
    response = call(registry.deps, ISSUANCE, request)
    assert [(b.start_unit, b.end_unit) for b in response.buffer_blocks] == [(1, 20)]
    assert [(b.start_unit, b.end_unit) for b in response.holder_blocks] == [(21, 100)]
    assert response.buffer_blocks[0].account_id == "BUFFER-JBLUE"
    assert registry.balance(account) == 80
    assert registry.balance("BUFFER-JBLUE") == 20
    second = call(registry.deps, ISSUANCE, registry.mint_request(org, account, 50, buffer=5, program="JBLUE"))
    assert second.buffer_blocks[0].account_id == "BUFFER-JBLUE"
    assert registry.balance("BUFFER-JBLUE") == 25
    registry.assert_invariants()


def test_mint_is_idempotent_per_issuance_id(registry: Registry) -> None:
    org = registry.org()
    account = registry.account(org)
    request = registry.mint_request(org, account, 100)
    first = call(registry.deps, ISSUANCE, request)
    snapshot = registry.snapshot()
    request.idempotency_key = "another-key"
    assert call(registry.deps, ISSUANCE, request) == first
    assert registry.balance(account) == 100
    changed = registry.snapshot()
    changed.pop("idempotency_keys")
    snapshot.pop("idempotency_keys")
    assert changed == snapshot


def test_mint_of_the_same_issuance_with_other_arguments_is_conflict(registry: Registry) -> None:
    org = registry.org()
    account = registry.account(org)
    request = registry.mint_request(org, account, 100)
    call(registry.deps, ISSUANCE, request)
    request.issued_quantity_t = 101
    request.idempotency_key = ""
    with pytest.raises(DomainError) as error:
        call(registry.deps, ISSUANCE, request)
    assert error.value.code is ErrorCode.CONFLICT


def test_mint_needs_program_admin_or_service(registry: Registry) -> None:
    org = registry.org()
    account = registry.account(org)
    with pytest.raises(DomainError) as error:
        call(registry.deps, Registry.holder(org), registry.mint_request(org, account))
    assert error.value.code is ErrorCode.FORBIDDEN


def test_mint_refuses_a_holder_account_of_another_organization(registry: Registry) -> None:
    org, other = registry.org(), registry.org()
    before = registry.snapshot()
    with pytest.raises(DomainError) as error:
        call(registry.deps, ISSUANCE, registry.mint_request(org, registry.account(other)))
    assert error.value.code is ErrorCode.INVALID_ARGUMENT
    after = registry.snapshot()
    assert after["batches"] == before["batches"] and after["unit_blocks"] == before["unit_blocks"]


def test_migrations_build_a_working_schema(database_url: str) -> None:
    from carbon_runtime.persistence.db import make_engine

    upgrade("registry", database_url)
    engine = make_engine(database_url)
    try:
        registry = Registry(make_deps(engine))
        org = registry.org()
        account = registry.account(org)
        batch = registry.mint(org, account, 10)
        registry.retire(Registry.holder(org), account, batch, 3)
        registry.assert_invariants()
    finally:
        engine.dispose()


def test_mint_stores_the_hash_of_the_contract_request_so_rows_stored_earlier_match_their_retries(
    registry: Registry,
) -> None:
    from google.protobuf import json_format
    from sqlalchemy import select

    from carbon_runtime.persistence import idempotency
    from services.registry.adapters import tables as t

    org = registry.org()
    request = registry.mint_request(org, registry.account(org), 40, buffer=4, authorized=True)
    call(registry.deps, ISSUANCE, request)
    arguments = json_format.MessageToDict(request, preserving_proto_field_name=True)
    arguments.pop("idempotency_key")
    with registry.deps.engine.connect() as conn:
        stored = conn.execute(select(t.batches.c.request_hash).where(t.batches.c.id == request.batch_id)).scalar_one()
    assert stored == idempotency.request_hash("MintBatch", arguments)
