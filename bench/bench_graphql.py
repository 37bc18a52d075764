"""GraphQL serving cost: a Strawberry subgraph vs a plain FastAPI JSON endpoint (floor), and
Strawberry with vs without its parser and validation caches. In process (ASGI), same run."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx
import strawberry
from fastapi import FastAPI
from strawberry.extensions import ParserCache, ValidationCache

from carbon_runtime.settings import ServiceSettings
from carbon_runtime.transport.auth import TokenVerifier
from carbon_runtime.transport.graphql_runtime import build_schema, create_http_app, schema_extensions


@strawberry.type
class Batch:
    id: str
    issued_quantity: int
    vintage_year: int


@strawberry.type
class Query:
    @strawberry.field
    def batch(self, id: str) -> Batch:
        return Batch(id=id, issued_quantity=1000, vintage_year=2023)


QUERY = '{ batch(id: "B1") { id issuedQuantity vintageYear } }'


def _plain_app() -> FastAPI:
    app = FastAPI()

    @app.post("/json")
    async def batch(body: dict[str, Any]) -> dict[str, Any]:
        return {"data": {"batch": {"id": body.get("id", "B1"), "issuedQuantity": 1000, "vintageYear": 2023}}}

    return app


def _graphql_app(caches: bool) -> FastAPI:
    settings = ServiceSettings(service_name="bench", rate_limit_per_s=0)
    ext = schema_extensions(settings)
    if not caches:
        ext = [e for e in ext if not isinstance(e, ParserCache | ValidationCache)]
    schema = build_schema(settings, Query, extensions=ext)
    return create_http_app(settings, schema, TokenVerifier(settings.auth, production=False), ready_check=lambda: True)


async def _measure(app: FastAPI, path: str, payload: dict[str, Any], n: int) -> dict[str, float]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for _ in range(50):  # warm up
            await client.post(path, json=payload)
        lat: list[float] = []
        started = time.perf_counter()
        for _ in range(n):
            t0 = time.perf_counter()
            resp = await client.post(path, json=payload)
            lat.append(time.perf_counter() - t0)
            if resp.status_code != 200:
                raise RuntimeError(f"{path} answered {resp.status_code}")
        elapsed = time.perf_counter() - started
    lat.sort()
    return {
        "requests_per_s": round(n / elapsed, 1),
        "p50_ms": round(statistics.median(lat) * 1000, 3),
        "p99_ms": round(lat[int(len(lat) * 0.99) - 1] * 1000, 3),
    }


def run(quick: bool) -> dict[str, Any]:
    n = 500 if quick else 3000
    plain = asyncio.run(_measure(_plain_app(), "/json", {"id": "B1"}, n))
    cached = asyncio.run(_measure(_graphql_app(True), "/graphql", {"query": QUERY}, n))
    uncached = asyncio.run(_measure(_graphql_app(False), "/graphql", {"query": QUERY}, n))
    return {
        "name": "GraphQL subgraph vs plain FastAPI; Strawberry caches on vs off",
        "description": f"{n} sequential POSTs each, in process through ASGI (no network).",
        "rows": [
            {"case": "plain FastAPI JSON endpoint (floor)", **plain},
            {"case": "Strawberry subgraph, caches on", **cached},
            {"case": "Strawberry subgraph, caches off", **uncached},
        ],
        "ratios": {
            "subgraph_vs_plain_fastapi": round(cached["requests_per_s"] / plain["requests_per_s"], 3),
            "caches_on_vs_off": round(cached["requests_per_s"] / uncached["requests_per_s"], 3),
        },
        "goals": {"subgraph_vs_plain_fastapi": ">= 0.25"},
    }
