"""Every command of the issuance service and its handler, for bootstrap to build the message bus.

HANDLERS is collected from the modules of this package: each use case is a module with a
`handle(cmd, uow, *, deps)` function annotated with its command type, so a new use case is a new
module and nothing else registers it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from carbon_runtime.messaging.bus import collect_handlers

HANDLERS: dict[type, Callable[..., Any]] = collect_handlers("services.issuance.service")
