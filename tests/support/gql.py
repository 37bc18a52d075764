"""A small GraphQL-over-HTTP client for end-to-end tests."""

from __future__ import annotations

from typing import Any

import httpx

from carbon_runtime.settings import DEV_JWT_SECRET
from carbon_runtime.transport.auth import issue_dev_token


def token(sub: str, org: str | None, *roles: str) -> str:
    return issue_dev_token(DEV_JWT_SECRET, sub, org, roles)


class GraphQLError(AssertionError):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(str(errors))
        self.errors = errors

    @property
    def code(self) -> str:
        return str(self.errors[0].get("extensions", {}).get("code"))


class Gql:
    def __init__(self, url: str, timeout_s: float = 30.0) -> None:
        self.url = url
        self.client = httpx.Client(timeout=timeout_s)

    def raw(self, query: str, variables: dict[str, Any] | None = None, bearer: str | None = None) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {bearer}"} if bearer else {}
        resp = self.client.post(self.url, json={"query": query, "variables": variables or {}}, headers=headers)
        body: dict[str, Any] = resp.json()
        return body

    def __call__(self, query: str, variables: dict[str, Any] | None = None, bearer: str | None = None) -> Any:
        body = self.raw(query, variables, bearer)
        if body.get("errors"):
            raise GraphQLError(body["errors"])
        return body["data"]

    def close(self) -> None:
        self.client.close()
