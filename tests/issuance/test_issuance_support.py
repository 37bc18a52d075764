"""Moved to tests/integration/issuance/support.py. Kept only because tests/importers/test_importers_apply.py
(outside the issuance folders) still imports GrpcServerThread from here; delete once it imports from
tests.integration.issuance.support."""

from tests.integration.issuance.support import GrpcServerThread

__all__ = ["GrpcServerThread"]
