"""One trace follows a request across every hop: gateway -> issuance (HTTP) -> registry (gRPC) ->
Kafka -> reporting, received by an OTLP collector stand-in written here (gRPC for the services,
OTLP/HTTP for the gateway)."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from tests.e2e.platform.support import World
from tests.support.gql import Gql
from tooling.devstack import SERVICES, DevStack, StackConfig, free_port

pytestmark = pytest.mark.e2e


class SpanStore:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        # trace id -> {(service name, span name)}
        self.traces: dict[str, set[tuple[str, str]]] = defaultdict(set)

    def add(self, request: trace_service_pb2.ExportTraceServiceRequest) -> None:
        with self.lock:
            for rs in request.resource_spans:
                service = next((a.value.string_value for a in rs.resource.attributes if a.key == "service.name"), "?")
                for ss in rs.scope_spans:
                    for span in ss.spans:
                        self.traces[span.trace_id.hex()].add((service, span.name))

    def add_json(self, doc: dict[str, Any]) -> None:
        """OTLP/JSON (what the gateway's otlp-http exporter sends): trace ids are hex strings."""
        with self.lock:
            for rs in doc.get("resourceSpans", []):
                attrs = rs.get("resource", {}).get("attributes", [])
                service = next(
                    (a["value"].get("stringValue", "?") for a in attrs if a.get("key") == "service.name"), "?"
                )
                for ss in rs.get("scopeSpans", []):
                    for span in ss.get("spans", []):
                        self.traces[str(span["traceId"]).lower()].add((service, str(span.get("name", ""))))

    def services_by_trace(self) -> dict[str, set[str]]:
        with self.lock:
            return {tid: {svc for svc, _ in spans} for tid, spans in self.traces.items()}


class _GrpcCollector(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, store: SpanStore) -> None:
        self.store = store

    def Export(self, request: Any, context: Any) -> Any:
        self.store.add(request)
        return trace_service_pb2.ExportTraceServiceResponse()


@pytest.fixture
def collector() -> Iterator[tuple[SpanStore, int, int]]:
    store = SpanStore()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    add_servicer: Any = trace_service_pb2_grpc.add_TraceServiceServicer_to_server
    add_servicer(_GrpcCollector(store), server)
    grpc_port = server.add_insecure_port("127.0.0.1:0")
    server.start()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self._body()
            if self.headers.get("content-type", "").startswith("application/x-protobuf"):
                store.add(trace_service_pb2.ExportTraceServiceRequest.FromString(body))
            else:
                store.add_json(json.loads(body))
            self.send_response(200)
            self.send_header("content-type", "application/x-protobuf")
            self.end_headers()
            self.wfile.write(trace_service_pb2.ExportTraceServiceResponse().SerializeToString())

        def _body(self) -> bytes:
            if self.headers.get("transfer-encoding", "").lower() != "chunked":
                return self.rfile.read(int(self.headers.get("content-length", "0")))
            chunks = []
            while (size := int(self.rfile.readline().strip().split(b";")[0], 16)) > 0:
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)

        def log_message(self, *args: Any) -> None:
            return None

    http = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield store, grpc_port, http.server_address[1]
    http.shutdown()
    server.stop(0)


def test_one_trace_spans_gateway_issuance_registry_kafka_and_reporting(
    collector: tuple[SpanStore, int, int], tmp_path: Path
) -> None:
    store, grpc_port, http_port = collector
    config = StackConfig.ephemeral(tmp_path)
    config.extra_env = {f"{s.upper()}_OTLP_ENDPOINT": f"127.0.0.1:{grpc_port}" for s in SERVICES} | {
        "GATEWAY_OTLP_ENDPOINT": f"http://127.0.0.1:{http_port}/v1/traces",
        "OTEL_SERVICE_NAME": "gateway",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
    }
    with DevStack(config) as stack:
        gql = Gql(stack.config.gateway_url)
        World(gql)  # the MRV lifecycle; issueCredits crosses gateway -> issuance -> registry -> Kafka
        wanted = {"gateway", "issuance", "registry", "reporting"}

        def issuance_traces() -> list[set[str]]:
            """Traces that hold spans of all four services and the registry's MintBatch server span."""
            with store.lock:
                traces = [set(spans) for spans in store.traces.values()]
            return [
                {name for _, name in spans}
                for spans in traces
                if wanted <= {svc for svc, _ in spans} and any("MintBatch" in name for _, name in spans)
            ]

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = issuance_traces()
            if found and any(n.endswith(" process") for n in found[0]):
                break
            time.sleep(0.5)
        gql.close()
    seen = sorted({svc for spans in store.traces.values() for svc, _ in spans})
    found = issuance_traces()
    assert found, f"issueCredits: no trace spans gateway, issuance, registry (MintBatch) and reporting; seen {seen}"
    assert any(n.endswith(" process") for n in found[0]), "the reporting consumer's Kafka span joins the trace"
