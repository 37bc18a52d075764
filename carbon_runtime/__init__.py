"""Shared runtime for the carbon platform's services: settings, logs, database, outbox, Kafka,
gRPC, GraphQL, auth and telemetry. Each piece builds nothing at import time."""
