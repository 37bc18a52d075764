"""The message bus: one way to run a command, in every service.

`bus.handle(cmd)` opens a unit of work, checks the command's idempotency key, calls the one handler
registered for the command's type as `handler(cmd, uow)`, stores the key with the result, turns the
events the handler's aggregates raised into outbox messages (through the service's own
`service/messages.py`), and commits: state, key and events in one transaction, or none of them.

So a handler never writes idempotency code, never builds a proto and never commits; a replay of the
same key with the same arguments returns the first result from the store and changes nothing, and
the same key with other arguments is CONFLICT (shared/contract/README.md, "Idempotency").

Free of SQLAlchemy, gRPC and Strawberry: the service layer imports the ports from here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar

from opentelemetry import trace

from carbon_runtime.errors import conflict, invalid
from carbon_runtime.messaging import codec
from carbon_runtime.messaging.message import NewEvent

MAX_IDEMPOTENCY_KEY_CHARS = 200

#: Command fields never part of the request fingerprint: the key itself, and who sent it (a
#: colleague retrying the same request with the same key gets the first answer, not CONFLICT).
FINGERPRINT_EXCLUDED = frozenset({"idempotency_key", "idempotency_scope", "actor", "principal", "token"})


class UnitOfWork(Protocol):
    """What the bus needs of every service's unit of work (SQL in production, in memory in unit tests).

    A handler that must commit part-way (a saga step before a call to another service) calls its
    unit of work's `commit()`, which runs `before_commit` first: the bus sets it to flush the events
    raised so far into that transaction's outbox."""

    before_commit: Callable[[], None] | None

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def collect_new_events(self) -> Sequence[object]:
        """The domain events raised since the last call (by tracked aggregates or `emit`)."""
        ...

    def record_messages(self, messages: Sequence[NewEvent]) -> None:
        """Add messages to the outbox of the current transaction."""
        ...

    def idempotent_lookup(self, scope: str, key: str) -> tuple[str, str, bytes] | None:
        """(operation, request hash, stored result) for a key already used in `scope`, else None."""
        ...

    def idempotent_store(self, scope: str, key: str, operation: str, request_hash: str, result: bytes) -> None: ...


class IdempotencyRaceError(Exception):
    """Raised by `idempotent_store` when a concurrent request stored the same key first. The bus
    rolls back and runs the command once more, which then replays the winner's result."""


U = TypeVar("U", bound=UnitOfWork)
Handler = Callable[[Any, U], Any]
MessageMapper = Callable[[object], Iterable[NewEvent]]


def fingerprint(operation: str, cmd: object) -> str:
    """The request hash stored with an idempotency key: the command's arguments, without the key
    and without the caller's identity."""
    if dataclasses.is_dataclass(cmd) and not isinstance(cmd, type):
        args = {
            f.name: codec.to_jsonable(getattr(cmd, f.name))
            for f in dataclasses.fields(cmd)
            if f.name not in FINGERPRINT_EXCLUDED
        }
    else:
        args = codec.to_jsonable(cmd)
    canonical = json.dumps({"op": operation, "args": args}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def operation_of(cmd: object) -> str:
    """A command names its operation by its class (RetireCredits), unless it sets `operation`."""
    return str(getattr(cmd, "operation", type(cmd).__name__))


def idempotency_of(cmd: object) -> tuple[str, str] | None:
    """(scope, key) when the command carries an idempotency key, else None."""
    key = getattr(cmd, "idempotency_key", None)
    if not key:
        return None
    if len(key) > MAX_IDEMPOTENCY_KEY_CHARS:
        raise invalid(
            "IDEMPOTENCY_KEY_TOO_LONG",
            f"idempotency keys are at most {MAX_IDEMPOTENCY_KEY_CHARS} characters",
            field="idempotencyKey",
        )
    scope = getattr(cmd, "idempotency_scope", None)
    if not scope:
        raise TypeError(f"{type(cmd).__name__} carries an idempotency key but no idempotency_scope")
    return str(scope), str(key)


def inject(handler: Callable[..., Any], dependencies: Mapping[str, Any]) -> Callable[[Any, Any], Any]:
    """Bind a handler's keyword dependencies (`registry`, `clock`, `new_id` …) by parameter name, so
    every handler is called the same way: `handler(cmd, uow)`."""
    params = list(inspect.signature(handler).parameters.values())[2:]
    bound = {p.name: dependencies[p.name] for p in params if p.name in dependencies}
    missing = [p.name for p in params if p.name not in bound and p.default is inspect.Parameter.empty]
    if missing:
        raise TypeError(f"{handler.__qualname__} needs {missing}, which bootstrap does not provide")
    if not bound:
        return handler

    def bound_handler(cmd: Any, uow: Any) -> Any:
        return handler(cmd, uow, **bound)

    bound_handler.__wrapped__ = handler  # type: ignore[attr-defined]
    return bound_handler


def collect_handlers(package: str) -> dict[type, Callable[..., Any]]:
    """Every `handle(cmd, uow, ...)` function of the modules of `package` (a service's `service`
    package), keyed by the type its first parameter is annotated with. A new use case is a new module
    with a `handle` function: nothing else registers it. Two handlers for one command type are refused."""
    import importlib
    import pkgutil

    found: dict[type, Callable[..., Any]] = {}
    pkg = importlib.import_module(package)
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package}.{info.name}")
        handler = getattr(module, "handle", None)
        if handler is None or not callable(handler) or getattr(handler, "__module__", None) != module.__name__:
            continue
        first = next(iter(inspect.signature(handler).parameters))
        command_type = typing.get_type_hints(handler).get(first)
        if not isinstance(command_type, type):
            raise TypeError(f"{module.__name__}.handle: annotate its first parameter with the command type")
        if command_type in found:
            raise TypeError(f"two handlers for {command_type.__name__}: {module.__name__} and {found[command_type]}")
        found[command_type] = handler
    return found


def _result_type(handler: Callable[..., Any]) -> Any:
    target = getattr(handler, "__wrapped__", handler)
    try:
        return typing.get_type_hints(target).get("return", Any)
    except Exception:
        return Any


class MessageBus(Generic[U]):
    def __init__(
        self,
        uow: Callable[[], U],
        handlers: Mapping[type, Callable[..., Any]],
        to_messages: MessageMapper,
        *,
        dependencies: Mapping[str, Any] | None = None,
    ) -> None:
        self._uow = uow
        self._to_messages = to_messages
        deps = dict(dependencies or {})
        self._handlers: dict[type, Callable[[Any, U], Any]] = {}
        self._result_types: dict[type, Any] = {}
        for command_type, handler in handlers.items():
            self._handlers[command_type] = inject(handler, deps)
            self._result_types[command_type] = _result_type(handler)

    @property
    def command_types(self) -> frozenset[type]:
        return frozenset(self._handlers)

    def handle(self, cmd: object) -> Any:
        try:
            return self._handle_once(cmd)
        except IdempotencyRaceError:
            return self._handle_once(cmd)

    def _handle_once(self, cmd: object) -> Any:
        command_type = type(cmd)
        handler = self._handlers.get(command_type)
        if handler is None:
            raise TypeError(f"no handler for {command_type.__name__}")
        operation = operation_of(cmd)
        idem = idempotency_of(cmd)
        with (
            trace.get_tracer("carbon.bus").start_as_current_span(f"command {command_type.__name__}"),
            self._uow() as uow,
        ):
            uow.before_commit = lambda: self.flush_events(uow)
            request_hash = ""
            if idem is not None:
                request_hash = fingerprint(operation, cmd)
                stored = uow.idempotent_lookup(*idem)
                if stored is not None:
                    stored_operation, stored_hash, raw = stored
                    if stored_operation != operation or stored_hash != request_hash:
                        raise conflict(
                            "TRANSACTION_ID_REUSED",
                            f"idempotency key {idem[1]!r} was already used for a different request",
                            key=idem[1],
                        )
                    return codec.loads(self._result_types[command_type], raw)
            result = handler(cmd, uow)
            self.flush_events(uow)
            if idem is not None:
                uow.idempotent_store(idem[0], idem[1], operation, request_hash, codec.dumps(result))
        return result

    def flush_events(self, uow: U) -> None:
        """Map the events raised so far to outbox messages of the current transaction. The bus calls
        it before commit; a handler that commits part-way (a saga step) calls it through its unit of
        work's `commit`."""
        messages = [m for event in uow.collect_new_events() for m in self._to_messages(event)]
        if messages:
            uow.record_messages(messages)
