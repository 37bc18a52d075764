"""The one list of services (services.toml at the repository root), read on call.

Pure Python (stdlib tomllib), nothing at import time: `load()` reads and checks the file each time it
is called, so tools and tests see edits without reloading modules. The dev-stack launcher, the SDL dump
and the agreement tests (tests/unit/platform/test_service_catalog.py) all start from here.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOG_PATH = Path(__file__).resolve().parent.parent / "services.toml"

_NAME = re.compile(r"^[a-z][a-z0-9]*$")
_KEYS = frozenset(
    {
        "module",
        "http_port",
        "grpc_port",
        "subgraph",
        "produces",
        "consumes",
        "proto_package",
        "grpc_peers",
        "envelope_fields",
    }
)


class CatalogError(ValueError):
    """services.toml is malformed or inconsistent; the message names the service and the key."""


@dataclass(frozen=True)
class ServiceSpec:
    """One service as the platform's tooling sees it."""

    name: str
    module: str
    http_port: int
    grpc_port: int
    subgraph: bool
    produces: str | None
    consumes: tuple[str, ...]
    proto_package: str
    grpc_peers: tuple[str, ...]
    envelope_fields: tuple[int, int] | None

    @property
    def env_prefix(self) -> str:
        """Prefix of the service's environment variables, e.g. REGISTRY_."""
        return f"{self.name.upper()}_"


def _want(name: str, key: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise CatalogError(f"services.{name}.{key}: expected {getattr(kind, '__name__', kind)}, got {value!r}")
    return value


def _strings(name: str, key: str, value: Any) -> tuple[str, ...]:
    _want(name, key, value, list)
    for item in value:
        _want(name, key, item, str)
    return tuple(value)


def _spec(name: str, table: Any) -> ServiceSpec:
    if not _NAME.match(name):
        raise CatalogError(f"services.{name}: a service name is lower-case letters and digits")
    _want(name, "", table, dict)
    unknown = set(table) - _KEYS
    if unknown:
        raise CatalogError(f"services.{name}: unknown keys {sorted(unknown)}")
    missing = {"module", "http_port", "grpc_port", "proto_package"} - set(table)
    if missing:
        raise CatalogError(f"services.{name}: missing keys {sorted(missing)}")
    produces = table.get("produces")
    if produces is not None:
        _want(name, "produces", produces, str)
        if produces != f"carbon.{name}.events.v1":
            raise CatalogError(f"services.{name}.produces: a service publishes on carbon.{name}.events.v1")
    fields = table.get("envelope_fields")
    envelope: tuple[int, int] | None = None
    if fields is not None:
        _want(name, "envelope_fields", fields, list)
        if len(fields) != 2 or not all(isinstance(f, int) for f in fields) or fields[0] > fields[1]:
            raise CatalogError(f"services.{name}.envelope_fields: expected [first, last], got {fields!r}")
        envelope = (int(fields[0]), int(fields[1]))
    spec = ServiceSpec(
        name=name,
        module=_want(name, "module", table["module"], str),
        http_port=_want(name, "http_port", table["http_port"], int),
        grpc_port=_want(name, "grpc_port", table["grpc_port"], int),
        subgraph=_want(name, "subgraph", table.get("subgraph", False), bool),
        produces=produces,
        consumes=_strings(name, "consumes", table.get("consumes", [])),
        proto_package=_want(name, "proto_package", table["proto_package"], str),
        grpc_peers=_strings(name, "grpc_peers", table.get("grpc_peers", [])),
        envelope_fields=envelope,
    )
    if spec.module != f"services.{name}":
        raise CatalogError(f"services.{name}.module: expected services.{name}, got {spec.module}")
    if spec.proto_package != f"carbon.{name}.v1":
        raise CatalogError(f"services.{name}.proto_package: expected carbon.{name}.v1, got {spec.proto_package}")
    return spec


def _check_together(specs: tuple[ServiceSpec, ...]) -> None:
    names = {s.name for s in specs}
    topics = {s.produces for s in specs if s.produces}
    ports: dict[int, str] = {}
    for s in specs:
        for kind, port in (("http_port", s.http_port), ("grpc_port", s.grpc_port)):
            if port in ports:
                raise CatalogError(f"services.{s.name}.{kind}: {port} is already {ports[port]}")
            ports[port] = f"services.{s.name}.{kind}"
        for peer in s.grpc_peers:
            if peer not in names or peer == s.name:
                raise CatalogError(f"services.{s.name}.grpc_peers: {peer!r} is not another service")
        for topic in s.consumes:
            if topic not in topics:
                raise CatalogError(f"services.{s.name}.consumes: no service produces {topic!r}")
    ranges = sorted((s.envelope_fields, s.name) for s in specs if s.envelope_fields)
    for (a, a_name), (b, b_name) in itertools.pairwise(ranges):
        if b[0] <= a[1]:
            raise CatalogError(f"services.{a_name} and services.{b_name}: envelope_fields overlap")


def load(path: Path | str | None = None) -> tuple[ServiceSpec, ...]:
    """Every service, in the file's order (the dev stack migrates and starts them in this order)."""
    source = Path(path) if path is not None else CATALOG_PATH
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{source}: {exc}") from exc
    tables = data.get("services")
    if not isinstance(tables, dict) or not tables:
        raise CatalogError(f"{source}: no [services.<name>] tables")
    specs = tuple(_spec(name, table) for name, table in tables.items())
    _check_together(specs)
    return specs


def names(path: Path | str | None = None) -> tuple[str, ...]:
    return tuple(s.name for s in load(path))


def by_name(path: Path | str | None = None) -> dict[str, ServiceSpec]:
    return {s.name: s for s in load(path)}
