"""The persisted-documents allowlist every subgraph enforces itself (in production, only documents the
operator approved can run). The per-client rate limit is the token bucket in carbon_runtime/token_bucket.py."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from graphql import ASTValidationRule, DocumentNode, GraphQLError


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
