"""`@blocking` resolvers run in a worker thread and keep their GraphQL signature."""

from __future__ import annotations

import threading

import strawberry

from carbon_runtime.transport.blocking import blocking


@strawberry.type
class Query:
    @strawberry.field
    @blocking
    def where(self, name: str) -> str:
        return f"{name}:{threading.current_thread() is threading.main_thread()}"


async def test_blocking_resolver_runs_off_the_event_loop_thread_and_keeps_its_arguments() -> None:
    schema = strawberry.Schema(query=Query)
    assert "where(name: String!): String!" in schema.as_str()
    result = await schema.execute('{ where(name: "x") }')
    assert result.errors is None
    assert result.data == {"where": "x:False"}
