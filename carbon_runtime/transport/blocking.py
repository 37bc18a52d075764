"""One way, in every service, to run a blocking resolver off the event loop.

Handlers and read models talk to the database synchronously. A resolver that called them on the
event loop would stall every other request of the process (subscriptions, health probes) for the
length of a query, so every such resolver is decorated with `@blocking`: it runs in a worker thread
and the loop stays free. The decorated function keeps its signature, so Strawberry still sees its
arguments, `info` and return type."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def blocking(fn: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    @functools.wraps(fn)
    async def run_in_thread(*args: P.args, **kwargs: P.kwargs) -> R:
        # to_thread copies the context, so the trace span and request context follow the call.
        return await asyncio.to_thread(fn, *args, **kwargs)

    return run_in_thread


def in_thread(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> Awaitable[R]:
    """The same for one call inside an async function (gRPC servicers, HTTP routes)."""
    return asyncio.to_thread(fn, *args, **kwargs)


__all__ = ["blocking", "in_thread"]
