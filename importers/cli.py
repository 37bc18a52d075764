"""`python -m importers.cli DIR [--issuance-target HOST:PORT --registry-target HOST:PORT]`

Reads every registry export under DIR, applies each record to the platform over gRPC (projects and
batches through issuance, retirements and cancellations through the registry) and prints, per
registry and file, the rows read, imported and rejected, then every rejection with file, line and
reason. Running it again changes nothing. Exit code 0 when the import ran (rejections are data), 2
when a service could not be reached (re-run it: the records already applied are skipped).

The caller is a dev PROGRAM_ADMIN + REGISTRY_ADMIN signed with CARBON_JWT_SECRET (dev stack only).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from carbon.issuance.v1 import issuance_pb2, issuance_pb2_grpc
from carbon.registry.v1 import registry_pb2, registry_pb2_grpc

from carbon_runtime.settings import DEV_JWT_SECRET
from carbon_runtime.transport.auth import issue_dev_token
from carbon_runtime.transport.grpc_runtime import GrpcClient
from importers.apply import ImportReport, ServiceUnavailableError, apply_plan
from importers.plan import build_plan

DEFAULT_ISSUANCE_TARGET = "127.0.0.1:50101"
DEFAULT_REGISTRY_TARGET = "127.0.0.1:50102"


class GrpcImportSink:
    """ImportSink over gRPC with one bearer token for every call."""

    def __init__(self, issuance_target: str, registry_target: str, token: str, deadline_ms: int = 15000) -> None:
        self.token = token
        self.issuance = GrpcClient(issuance_target, retry_services=[], deadline_ms=deadline_ms)
        self.registry = GrpcClient(registry_target, retry_services=[], deadline_ms=deadline_ms)
        self.issuance_stub = issuance_pb2_grpc.IssuanceServiceStub(self.issuance.channel)
        self.registry_stub = registry_pb2_grpc.RegistryServiceStub(self.registry.channel)

    def import_project(self, request: issuance_pb2.ImportProjectRequest) -> issuance_pb2.ImportProjectResponse:
        response: issuance_pb2.ImportProjectResponse = self.issuance.call(
            self.issuance_stub.ImportProject, request, token=self.token
        )
        return response

    def import_batch(self, request: issuance_pb2.ImportBatchRequest) -> issuance_pb2.ImportBatchResponse:
        response: issuance_pb2.ImportBatchResponse = self.issuance.call(
            self.issuance_stub.ImportBatch, request, token=self.token
        )
        return response

    def import_block_event(
        self, request: registry_pb2.ImportBlockEventRequest
    ) -> registry_pb2.ImportBlockEventResponse:
        response: registry_pb2.ImportBlockEventResponse = self.registry.call(
            self.registry_stub.ImportBlockEvent, request, token=self.token
        )
        return response

    def close(self) -> None:
        self.issuance.close()
        self.registry.close()


def dev_admin_token() -> str:
    secret = os.environ.get("CARBON_JWT_SECRET", DEV_JWT_SECRET)
    return issue_dev_token(secret, "registry-importer", None, ["PROGRAM_ADMIN", "REGISTRY_ADMIN"])


def render(report: ImportReport) -> str:
    lines = [report.table()]
    if report.unrecognized_files:
        lines.append("not read (unrecognised): " + ", ".join(report.unrecognized_files))
    if report.rejections:
        lines.append("")
        lines.append("rejections:")
        lines.extend(f"  {r.file}:{r.line}  {r.reason}  {r.message}" for r in report.rejections)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m importers.cli", description=__doc__.split("\n\n")[1])
    parser.add_argument("directory", help="export root: verra/, gold-standard/, american-carbon-registry/, ...")
    parser.add_argument("--issuance-target", default=DEFAULT_ISSUANCE_TARGET)
    parser.add_argument("--registry-target", default=DEFAULT_REGISTRY_TARGET)
    args = parser.parse_args(argv)
    plan = build_plan(args.directory)
    sink = GrpcImportSink(args.issuance_target, args.registry_target, dev_admin_token())
    try:
        report = apply_plan(plan, sink)
    except ServiceUnavailableError as exc:
        print(f"import stopped: a service is unreachable ({exc}); re-run to resume", file=sys.stderr)
        return 2
    finally:
        sink.close()
    print(render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
