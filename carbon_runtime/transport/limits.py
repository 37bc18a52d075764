"""API abuse limits that every subgraph enforces itself: a per-client token bucket and the
persisted-documents allowlist (in production, only documents the operator approved can run)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path

from graphql import ASTValidationRule, DocumentNode, GraphQLError


class TokenBucketLimiter:
    """Allows `rate_per_s` requests per second per client with bursts up to `burst`."""

    def __init__(self, rate_per_s: float, burst: int, max_clients: int = 100_000) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str, now: float | None = None) -> bool:
        if self.rate_per_s <= 0:
            return True
        t = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self.burst), t))
            tokens = min(float(self.burst), tokens + (t - last) * self.rate_per_s)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            if len(self._buckets) >= self.max_clients and client not in self._buckets:
                # Bounded memory under a flood of distinct clients: forget the stalest half.
                for key, _ in sorted(self._buckets.items(), key=lambda kv: kv[1][1])[: self.max_clients // 2]:
                    del self._buckets[key]
            self._buckets[client] = (tokens, t)
            return allowed


def document_hash(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def load_persisted_documents(path: str) -> dict[str, str]:
    raw = json.loads(Path(path).read_text())
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise ValueError(f"{path} must map sha256 hashes to GraphQL documents")
    for digest, doc in raw.items():
        if document_hash(doc) != digest:
            raise ValueError(f"{path}: hash {digest} does not match its document")
    return dict(raw)


def persisted_documents_rule(allowed: dict[str, str]) -> type[ASTValidationRule]:
    """A validation rule that refuses any document whose text is not in the allowlist."""
    allowed_hashes = frozenset(allowed)

    class PersistedDocumentsOnly(ASTValidationRule):
        def enter_document(self, node: DocumentNode, *_args: object) -> None:
            body = node.loc.source.body if node.loc is not None else ""
            if document_hash(body) not in allowed_hashes:
                self.report_error(
                    GraphQLError(
                        "this endpoint runs only persisted documents; register the document with the operator",
                        extensions={"code": "FORBIDDEN", "reason": "DOCUMENT_NOT_PERSISTED"},
                    )
                )

    return PersistedDocumentsOnly
