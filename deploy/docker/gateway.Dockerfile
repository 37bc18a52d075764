# syntax=docker/dockerfile:1.7
# Hive Gateway serving gateway/supergraph.graphql (config gateway/gateway.config.ts). Build from
# the repository root:
#   docker build -f deploy/docker/gateway.Dockerfile -t carbon-gateway:<version> .
# @graphql-hive/gateway must be a runtime dependency (not a devDependency) of gateway/package.json.

FROM node:20.20.2-bookworm-slim AS build
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /app/gateway
COPY gateway/package.json gateway/package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY gateway/supergraph.graphql gateway/run.sh ./
COPY gateway/gateway.config.* ./

FROM node:20.20.2-bookworm-slim AS runtime
# gateway.config.ts listens on 127.0.0.1 unless told otherwise; in a pod it must be all interfaces.
ENV NODE_ENV=production \
    HOME=/tmp \
    GATEWAY_HOST=0.0.0.0 \
    GATEWAY_PORT=4000
RUN groupadd --system --gid 10001 carbon \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin carbon
# Owned by root: the gateway user reads its code and supergraph, never rewrites them.
COPY --from=build /app/gateway /app/gateway
WORKDIR /app/gateway
USER 10001:10001
EXPOSE 4000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:4000/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# run.sh is the gateway's own launcher: config path, GATEWAY_OTLP_ENDPOINT -> OPENTELEMETRY.
CMD ["bash", "/app/gateway/run.sh"]
