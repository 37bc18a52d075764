"""Every mutation of the composed schema goes through the Hive Gateway with every optional input field
set, and the gateway never chokes on it (issue 22).

A subgraph-only test cannot find this class of bug: `SessionStepInput.then` made the gateway treat
the variables as a promise ("value.then is not a function", INTERNAL_SERVER_ERROR "Unexpected
error.") while the trading subgraph accepted the same input. The variables are built generically
from the composed schema's input types, so a mutation or input field added later is covered without
touching this file. Domain refusals (NOT_FOUND, FORBIDDEN, INVALID_ARGUMENT, ...) are fine: the point
is that the request reaches a subgraph and comes back with a contract error code.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    build_schema,
    get_named_type,
    is_leaf_type,
)

from tests.support.gql import Gql, token
from tooling.devstack import DevStack

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[3]
SCHEMA: GraphQLSchema = build_schema(
    (ROOT / "gateway" / "supergraph.graphql").read_text(encoding="utf-8"), assume_valid_sdl=True
)
assert SCHEMA.mutation_type is not None
MUTATIONS: dict[str, GraphQLField] = dict(SCHEMA.mutation_type.fields)

# The contract's error codes: a refusal with one of them means the request went through.
CONTRACT_CODES = frozenset(
    {
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "NOT_FOUND",
        "INVALID_ARGUMENT",
        "FAILED_PRECONDITION",
        "INSUFFICIENT_BALANCE",
        "CONFLICT",
        "UNAVAILABLE",
    }
)
ALL_ROLES = (
    "REGISTRY_ADMIN",
    "PROGRAM_ADMIN",
    "EXCHANGE_ADMIN",
    "VERIFIER",
    "PROPONENT",
    "ACCOUNT_HOLDER",
    "TRADER",
    "AUDITOR",
)

# Plausible values for fields whose type alone says too little (a String that is a country, a time).
STRINGS_BY_NAME: dict[str, str] = {
    "country": "JP",
    "currency": "JPY",
    "at": "09:00",
    "phase": "AUCTION",
    "then": "CONTINUOUS",
    "nextPhase": "CONTINUOUS",
    "timeInForce": "GTC",
    "sha256": "a" * 64,
    "uri": "https://example.org/project-design.pdf",
    "content": "project_id,name\n1,Forest\n",
    "status": "CLOSED",
    "letterId": "LoA-2025-001",
    "reversalRisk": "LOW",
    "additionalityTest": "INVESTMENT",
    "region": "Hokkaido",
    "code": "VM0047",
    "sector": "FORESTRY_AND_LAND_USE",
    "family": "AFFORESTATION_REFORESTATION",
    "exchangeCategory": "FORESTRY",
    "scope": "GLOBAL",
    "allowedHostCountries": "JP",
    "purposes": "NDC",
}
INTS_BY_NAME: dict[str, int] = {
    "utcOffsetMinutes": 540,
    "retirementYear": 2025,
    "fiscalYear": 2025,
    "permanenceYears": 100,
    "coBenefits": 13,
}
DECIMALS_BY_NAME: dict[str, str] = {
    "japaneseInvestmentShare": "0.5",
    "priceLimitPercent": "10",
    "tickSize": "1",
    "correctionFactor": "1",
}
SCALARS: dict[str, Any] = {
    "Date": "2025-01-01",
    "DateTime": "2030-01-01T00:00:00Z",  # in the future: a tender must close later than now
    "Decimal": "1500",
    "Tonnes": 1,
    "Int": 1,
    "Float": 1.5,
    "Boolean": True,
}


class Values:
    """Builds a value for every argument and input field, optional ones included."""

    def __init__(self, ids: dict[str, str]) -> None:
        self.ids = ids

    def value(self, name: str, type_: GraphQLInputType, depth: int = 0) -> Any:
        if isinstance(type_, GraphQLNonNull):
            return self.value(name, type_.of_type, depth)
        if isinstance(type_, GraphQLList):
            return [self.value(name, type_.of_type, depth)]
        if isinstance(type_, GraphQLEnumType):
            return next(iter(type_.values))
        if isinstance(type_, GraphQLInputObjectType):
            assert depth < 6, f"input types nest too deep at {type_.name}"
            return {field: self.value(field, f.type, depth + 1) for field, f in type_.fields.items()}
        assert isinstance(type_, GraphQLScalarType), type_
        return self.scalar(name, type_.name)

    def scalar(self, name: str, scalar: str) -> Any:
        if scalar == "ID":
            return self.ids.get(name, str(uuid.uuid4()))
        if scalar == "String":
            if name == "idempotencyKey":
                return f"every-mutation-{uuid.uuid4()}"
            return STRINGS_BY_NAME.get(name, f"every mutation {name}")
        if scalar == "Int":
            return INTS_BY_NAME.get(name, 1)
        if scalar == "Decimal":
            return DECIMALS_BY_NAME.get(name, SCALARS["Decimal"])
        return SCALARS.get(scalar, f"every mutation {name}")


def document(name: str, field: GraphQLField) -> str:
    """`mutation Every_x($a: T!, ...) { x(a: $a, ...) { __typename } }`: every argument as a variable."""
    params = ", ".join(f"${arg}: {a.type}" for arg, a in field.args.items())
    args = ", ".join(f"{arg}: ${arg}" for arg in field.args)
    selection = "" if is_leaf_type(get_named_type(field.type)) else " { __typename }"
    call = f"{name}({args})" if args else name
    head = f"mutation Every_{name}({params})" if params else f"mutation Every_{name}"
    return f"{head} {{ {call}{selection} }}"


@pytest.fixture(scope="module")
def gql(platform_stack: DevStack) -> Iterator[Gql]:
    client = Gql(platform_stack.config.gateway_url)
    yield client
    client.close()


@pytest.fixture(scope="module")
def values(gql: Gql) -> Values:
    """Real ids where the platform has them (an organization, two accounts, a program), so the
    mutations get past NOT_FOUND into their own checks."""
    admin = token("every-mutation-admin", None, "REGISTRY_ADMIN", "PROGRAM_ADMIN", "EXCHANGE_ADMIN")
    org = gql(
        "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id } }",
        {"i": {"name": f"Every Mutation {uuid.uuid4().hex[:6]}", "country": "JP", "accreditedVerifier": True}},
        admin,
    )["createOrganization"]["id"]
    open_account = "mutation($o: ID!) { openAccount(input: {organizationId: $o}) { id } }"
    first = gql(open_account, {"o": org}, admin)["openAccount"]["id"]
    second = gql(open_account, {"o": org}, admin)["openAccount"]["id"]
    programs = gql("{ programs { id } }", None, admin)["programs"]
    ids = (
        {name: org for name in ("organizationId", "proponentId", "verifierId")}
        | {name: first for name in ("accountId", "sellerAccountId", "fromAccountId")}
        | {name: second for name in ("toAccountId", "buyerAccountId", "trustedAccountId")}
    )
    if programs:
        ids["programId"] = str(programs[0]["id"])
    values = Values(ids)
    values.ids["__org__"] = org
    return values


def test_every_mutation_is_covered_by_this_test() -> None:
    assert len(MUTATIONS) >= 30  # the composed schema, not an empty parse


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_the_gateway_passes_every_mutation_with_every_optional_input_set(name: str, gql: Gql, values: Values) -> None:
    field = MUTATIONS[name]
    variables = {arg: values.value(arg, a.type) for arg, a in field.args.items()}
    caller = token("every-mutation-user", values.ids["__org__"], *ALL_ROLES)

    body = gql.raw(document(name, field), variables, caller)

    assert "data" in body or "errors" in body, f"{name}: not a GraphQL response: {body}"
    choked = [
        e
        for e in body.get("errors") or []
        if (e.get("extensions") or {}).get("code") not in CONTRACT_CODES or "Unexpected error" in e.get("message", "")
    ]
    assert not choked, (
        f"{name}: the gateway did not get the request through to a contract answer "
        f"(INTERNAL_SERVER_ERROR / 'Unexpected error' / no contract code): {choked}\nvariables: {variables}"
    )
