"""Every command of the trading service and its handler, for bootstrap's message bus: each module of
this package with a `handle(cmd, uow, *, deps)` function is one use case, keyed by its command type.
A new use case is a new module; nothing else registers it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from carbon_runtime.messaging.bus import collect_handlers

HANDLERS: dict[type, Callable[..., Any]] = collect_handlers("services.trading.service")
