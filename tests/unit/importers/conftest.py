"""The importer fixtures (tests/support/exports.py): the shared registry exports and writable copies."""

from tests.support.exports import exports_copy, exports_dir

__all__ = ["exports_copy", "exports_dir"]
