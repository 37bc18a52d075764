from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OpenThing:
    name: str


@dataclass(frozen=True)
class CloseThing:
    name: str
