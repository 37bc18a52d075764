"""What ImportProject and ImportBatch share: ids derived from the origin records, and the
organization imported credits belong to."""

from __future__ import annotations

import hashlib
import re

_MAX_CODE = 60


def import_organization_id(origin_registry: str) -> str:
    """The registry's platform organization for an origin registry; imported credits belong to it."""
    return f"IMPORT-{origin_registry}"


def digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length].upper()


def normalized(code: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", code.upper())


def methodology_code(text: str) -> str:
    """The code a methodology is stored under: the exported text with whitespace collapsed and
    trailing punctuation dropped, shortened with a digest suffix when longer than the column."""
    cleaned = re.sub(r"\s+", " ", text).strip().rstrip(".;,")
    if len(cleaned) <= _MAX_CODE:
        return cleaned
    return f"{cleaned[: _MAX_CODE - 9]}~{digest(cleaned, 8)}"
