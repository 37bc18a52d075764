"""OpenTelemetry tracing and Prometheus metrics.

Trace context crosses every hop: HTTP headers (FastAPI middleware), gRPC metadata (interceptors)
and Kafka record headers (relay and consumer), so one trace follows a request from the gateway to the
read model that its events update.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.trace import SpanKind

_TRACER_NAME = "carbon"


def configure_tracing(
    service_name: str, otlp_endpoint: str | None, extra_exporter: SpanExporter | None = None
) -> TracerProvider:
    """Install a tracer provider for this process; exports over OTLP/gRPC when an endpoint is set."""
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint, insecure=True)))
    if extra_exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(extra_exporter))
    trace.set_tracer_provider(provider)
    return provider


def tracer() -> trace.Tracer:
    return trace.get_tracer(_TRACER_NAME)


def current_trace_context() -> dict[str, str]:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def extract_context(carrier: Mapping[str, str]) -> otel_context.Context:
    return propagate.extract(dict(carrier))


@contextlib.contextmanager
def span_from_carrier(name: str, carrier: Mapping[str, str], kind: SpanKind, **attrs: Any) -> Iterator[trace.Span]:
    ctx = extract_context(carrier)
    with tracer().start_as_current_span(name, context=ctx, kind=kind, attributes=attrs) as span:
        yield span


@contextlib.contextmanager
def kafka_produce_span(topic: str, envelope: Any) -> Iterator[trace.Span]:
    """A PRODUCER span parented on the trace that recorded the event (kept in the envelope)."""
    with span_from_carrier(
        f"{topic} publish",
        dict(envelope.trace_context),
        SpanKind.PRODUCER,
        **{
            "messaging.system": "kafka",
            "messaging.destination.name": topic,
            "messaging.message.id": envelope.event_id,
        },
    ) as span:
        yield span


@contextlib.contextmanager
def kafka_consume_span(topic: str, headers: Mapping[str, str], event_id: str) -> Iterator[trace.Span]:
    with span_from_carrier(
        f"{topic} process",
        headers,
        SpanKind.CONSUMER,
        **{"messaging.system": "kafka", "messaging.source.name": topic, "messaging.message.id": event_id},
    ) as span:
        yield span


_metrics_provider: Any = None


def configure_metrics(service_name: str) -> None:
    """OpenTelemetry metrics exposed in Prometheus format at /metrics (idempotent per process)."""
    global _metrics_provider
    if _metrics_provider is not None:
        return
    from opentelemetry import metrics
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider

    reader = PrometheusMetricReader()
    _metrics_provider = MeterProvider(resource=Resource.create({"service.name": service_name}), metric_readers=[reader])
    metrics.set_meter_provider(_metrics_provider)


def meter() -> Any:
    from opentelemetry import metrics

    return metrics.get_meter(_TRACER_NAME)


def prometheus_text() -> tuple[bytes, str]:
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
