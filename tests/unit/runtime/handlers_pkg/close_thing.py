from __future__ import annotations

from typing import Any

from tests.unit.runtime.handlers_pkg.commands import CloseThing


def handle(cmd: CloseThing, uow: Any) -> str:
    return f"closed {cmd.name}"
