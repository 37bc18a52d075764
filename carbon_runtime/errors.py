"""Errors that cross layers, with the public contract's error codes.

Pure standard library on purpose: domain code raises these, and entrypoints translate them into
GraphQL `extensions.code` and gRPC status codes without the domain knowing about either.
"""

from __future__ import annotations

import enum
from typing import Any


class ErrorCode(enum.StrEnum):
    """The contract's error codes (shared/contract/README.md, "Errors")."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"
    CONFLICT = "CONFLICT"
    UNAVAILABLE = "UNAVAILABLE"


class DomainError(Exception):
    """A refused request. `reason` is a stable machine-readable code (e.g. `UNITS_NOT_HELD`);
    `message` is for a partner's developer. A refused request must change nothing, so raise
    before writing or inside the transaction that is rolled back."""

    def __init__(
        self,
        code: ErrorCode,
        reason: str,
        message: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def __repr__(self) -> str:
        return f"DomainError({self.code.value}, {self.reason!r}, {self.message!r})"


def invalid(reason: str, message: str, **details: Any) -> DomainError:
    return DomainError(ErrorCode.INVALID_ARGUMENT, reason, message, details)


def not_found(reason: str, message: str, **details: Any) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, reason, message, details)


def forbidden(reason: str, message: str, **details: Any) -> DomainError:
    return DomainError(ErrorCode.FORBIDDEN, reason, message, details)


def precondition(reason: str, message: str, **details: Any) -> DomainError:
    return DomainError(ErrorCode.FAILED_PRECONDITION, reason, message, details)


def conflict(reason: str, message: str, **details: Any) -> DomainError:
    return DomainError(ErrorCode.CONFLICT, reason, message, details)


def insufficient(reason: str, message: str, **details: Any) -> DomainError:
    return DomainError(ErrorCode.INSUFFICIENT_BALANCE, reason, message, details)
