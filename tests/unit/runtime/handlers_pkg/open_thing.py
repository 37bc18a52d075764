from __future__ import annotations

from typing import Any

from tests.unit.runtime.handlers_pkg.commands import OpenThing


def handle(cmd: OpenThing, uow: Any) -> str:
    return f"opened {cmd.name}"
