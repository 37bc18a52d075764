"""Two tiny Strawberry federation 2 subgraphs for the gateway tests (not the real services).

`registry` owns the `Account` and `Organization` entities; `trading` returns `Order`s that refer
to an `Account` by key only, so `order { account { balance } }` needs the gateway to call both.
`Organization.accounts` / `Account.owner` recurse, which makes arbitrarily deep queries possible.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import strawberry
from fastapi import FastAPI
from strawberry.fastapi import GraphQLRouter
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.types import Info

BALANCES = {"a1": 120, "a2": 7}
OWNERS = {"a1": "o1", "a2": "o1"}
FORWARDED_HEADERS = ("authorization", "traceparent", "x-gateway-secret")

# Resolver calls per subgraph, read by the tests to prove refused queries never reach a subgraph.
_calls_lock = threading.Lock()
CALLS: Counter[str] = Counter()


def _count(subgraph: str) -> None:
    with _calls_lock:
        CALLS[subgraph] += 1


@strawberry.federation.type(keys=["id"])
class Organization:
    id: strawberry.ID

    @strawberry.field
    def name(self) -> str:
        return f"Org {self.id}"

    @strawberry.field
    def accounts(self) -> list[Account]:
        return [Account(id=strawberry.ID(acc)) for acc, org in OWNERS.items() if org == self.id]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Organization:
        return cls(id=id)


@strawberry.federation.type(keys=["id"])
class Account:
    id: strawberry.ID

    @strawberry.field
    def balance(self) -> int:
        _count("registry")
        return BALANCES[str(self.id)]

    @strawberry.field
    def owner(self) -> Organization:
        return Organization(id=strawberry.ID(OWNERS[str(self.id)]))

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Account:
        return cls(id=id)


@strawberry.type
class RegistryQuery:
    @strawberry.field
    def organization(self, id: strawberry.ID) -> Organization | None:
        _count("registry")
        return Organization(id=id)

    @strawberry.field
    def seen_headers(self, info: Info[dict[str, Any], None]) -> list[str]:
        """`name=value` of the headers the gateway forwarded (value `None` when absent)."""
        headers = info.context["request"].headers
        return [f"{name}={headers.get(name)}" for name in FORWARDED_HEADERS]


@strawberry.federation.type(name="Account", keys=[Key(fields=FieldSet("id"), resolvable=False)])
class AccountRef:
    id: strawberry.ID


@strawberry.type
class Order:
    id: strawberry.ID
    quantity: int
    account: AccountRef


@strawberry.type
class TradingQuery:
    @strawberry.field
    def order(self, id: strawberry.ID) -> Order | None:
        _count("trading")
        return Order(id=id, quantity=5, account=AccountRef(id=strawberry.ID("a1")))


def registry_schema() -> strawberry.federation.Schema:
    return strawberry.federation.Schema(query=RegistryQuery, types=[Account, Organization], federation_version="2.7")


def trading_schema() -> strawberry.federation.Schema:
    return strawberry.federation.Schema(query=TradingQuery, federation_version="2.7")


SCHEMAS = {"registry": registry_schema, "trading": trading_schema}


def create_app(name: str) -> FastAPI:
    app = FastAPI()
    app.include_router(GraphQLRouter(SCHEMAS[name]()), prefix="/graphql")
    return app
