# syntax=docker/dockerfile:1.7
# Image of the issuance service. Build from the repository root:
#   docker build -f deploy/docker/issuance.Dockerfile -t carbon-issuance:<version> .
# The four service Dockerfiles differ only in the service name and ports (tests/unit/helm checks it).

FROM python:3.11.7-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# Compilers exist only in this stage, for any dependency that ships no wheel.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY requirements.lock ./
RUN pip install -r requirements.lock
COPY carbon_runtime/ carbon_runtime/
COPY services/ services/
COPY protos/ protos/
COPY scripts/ scripts/
# Stubs go to gen/ (imported as carbon.<svc>.v1); bytecode is compiled now because the runtime
# root filesystem is read-only.
RUN python scripts/gen_protos.py \
 && python -m compileall -q carbon_runtime services gen /opt/venv

FROM python:3.11.7-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app:/app/gen \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN groupadd --system --gid 10001 carbon \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin carbon
COPY --from=build /opt/venv /opt/venv
# Code stays owned by root: the service user can read it, never rewrite it.
COPY --from=build /app/carbon_runtime /app/carbon_runtime
COPY --from=build /app/services /app/services
COPY --from=build /app/gen /app/gen
WORKDIR /app
USER 10001:10001
EXPOSE 8101 50101
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, grpc; from grpc_health.v1 import health_pb2, health_pb2_grpc; ch = grpc.insecure_channel('127.0.0.1:50101'); r = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=2); sys.exit(0 if r.status == health_pb2.HealthCheckResponse.SERVING else 1)"]
# Migrations: docker run <image> python -m services.issuance migrate
CMD ["python", "-m", "services.issuance", "serve"]
