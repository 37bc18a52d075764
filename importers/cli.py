"""`python -m importers.cli DIR [--token TOKEN] [--json] [--dry-run] [--issuance-target HOST:PORT ...]`

Reads every registry export under DIR, applies each record to the platform over gRPC (projects and
batches through issuance, retirements and cancellations through the registry) and prints, per
registry and file, the rows read, imported and rejected, then every rejection with file, line and
reason. Running it again changes nothing. Exit code 0 when the import ran (rejections are data), 2
when a service could not be reached (re-run it: the records already applied are skipped) or the
command line is wrong.

The caller: `--token` (or CARBON_IMPORT_TOKEN), a bearer token of a PROGRAM_ADMIN + REGISTRY_ADMIN from
the OIDC issuer for a real cluster; without one, a dev token signed with CARBON_JWT_SECRET (accepted by
the dev stack only). `--tls-ca-file` (and a client certificate for mutual TLS) for a cluster whose gRPC
speaks TLS. `--dry-run` reads and checks the exports and reports what would be imported without
contacting any service; `--json` prints the report as one JSON document instead of the table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from carbon.issuance.v1 import issuance_pb2, issuance_pb2_grpc
from carbon.registry.v1 import registry_pb2, registry_pb2_grpc

from carbon_runtime.settings import DEV_JWT_SECRET
from carbon_runtime.transport.auth import issue_dev_token
from carbon_runtime.transport.grpc_runtime import ClientTls, GrpcClient
from importers.apply import ImportReport, ServiceUnavailableError, apply_plan, plan_report
from importers.plan import build_plan

DEFAULT_ISSUANCE_TARGET = "127.0.0.1:50101"
DEFAULT_REGISTRY_TARGET = "127.0.0.1:50102"
TOKEN_ENV = "CARBON_IMPORT_TOKEN"


class GrpcImportSink:
    """ImportSink over gRPC with one bearer token for every call."""

    def __init__(
        self,
        issuance_target: str,
        registry_target: str,
        token: str,
        deadline_ms: int = 15000,
        tls: ClientTls | None = None,
    ) -> None:
        self.token = token
        self.issuance = GrpcClient(issuance_target, retry_services=[], deadline_ms=deadline_ms, tls=tls)
        self.registry = GrpcClient(registry_target, retry_services=[], deadline_ms=deadline_ms, tls=tls)
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


def report_json(report: ImportReport, *, dry_run: bool) -> dict[str, Any]:
    """The report as JSON (`--json`): per file, totals, every rejection and the unread files."""
    return {
        "dryRun": dry_run,
        "files": [
            {
                "registry": f.registry,
                "file": f.file,
                "rowsRead": f.rows_read,
                "imported": f.imported,
                "rejected": f.rejected,
                "reasons": dict(f.reasons),
            }
            for f in report.files
        ],
        "totals": {
            "rowsRead": sum(f.rows_read for f in report.files),
            "imported": sum(f.imported for f in report.files),
            "rejected": sum(f.rejected for f in report.files),
        },
        "rejections": [
            {"file": r.file, "line": r.line, "reason": r.reason, "message": r.message} for r in report.rejections
        ],
        "unrecognizedFiles": list(report.unrecognized_files),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m importers.cli", description=__doc__.split("\n\n")[1])
    parser.add_argument("directory", help="export root: verra/, gold-standard/, american-carbon-registry/, ...")
    parser.add_argument("--issuance-target", default=DEFAULT_ISSUANCE_TARGET, metavar="HOST:PORT")
    parser.add_argument("--registry-target", default=DEFAULT_REGISTRY_TARGET, metavar="HOST:PORT")
    parser.add_argument(
        "--token",
        default=os.environ.get(TOKEN_ENV),
        help=f"bearer token of a PROGRAM_ADMIN + REGISTRY_ADMIN (default: ${TOKEN_ENV}; without either, a "
        "dev token signed with CARBON_JWT_SECRET, which only the dev stack accepts). Prefer the environment "
        "variable on shared hosts: the command line is visible to other users",
    )
    parser.add_argument("--json", action="store_true", help="print the report as one JSON document")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="read and check the exports and report what would be imported; contact no service",
    )
    parser.add_argument("--tls-ca-file", help="CA of the services' gRPC certificates (TLS); default: plaintext")
    parser.add_argument("--tls-cert-file", help="client certificate for mutual TLS")
    parser.add_argument("--tls-key-file", help="client key for mutual TLS")
    parser.add_argument("--tls-server-name", help="name to check the services' certificates against")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.tls_cert_file is None) != (args.tls_key_file is None):
        parser.error("--tls-cert-file and --tls-key-file go together")
    if args.tls_cert_file and not args.tls_ca_file:
        parser.error("mutual TLS (--tls-cert-file) needs --tls-ca-file")
    plan = build_plan(args.directory)
    if args.dry_run:
        report = plan_report(plan)
    else:
        tls = (
            ClientTls(args.tls_ca_file, args.tls_cert_file, args.tls_key_file, args.tls_server_name)
            if args.tls_ca_file
            else None
        )
        sink = GrpcImportSink(args.issuance_target, args.registry_target, args.token or dev_admin_token(), tls=tls)
        try:
            report = apply_plan(plan, sink)
        except ServiceUnavailableError as exc:
            message = f"import stopped: a service is unreachable ({exc}); re-run to resume"
            if args.json:
                print(json.dumps({"error": {"code": "UNAVAILABLE", "message": message}}))
            print(message, file=sys.stderr)
            return 2
        finally:
            sink.close()
    if args.json:
        print(json.dumps(report_json(report, dry_run=args.dry_run), ensure_ascii=False))
    else:
        if args.dry_run:
            print("dry run: nothing was sent; the services may still refuse rows the readers accepted")
        print(render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
