# syntax=docker/dockerfile:1.7
# The public explorer (docs/web.md): web/dist served by web/server/serve.mjs, which uses the Node
# standard library only, so the runtime stage holds no node_modules. Build from the repository root:
#   docker build -f deploy/docker/web.Dockerfile -t carbon-web:<version> .
# serve.mjs sets the Content-Security-Policy and the other security headers on every response and
# proxies /graphql to WEB_GATEWAY_URL (the chart points it at the gateway Service).

FROM node:20.20.2-bookworm-slim AS build
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /app/web
# Dev dependencies are the build (TypeScript, Vite); none of them reaches the runtime stage.
COPY web/package.json web/package-lock.json web/.npmrc ./
RUN npm ci && npm cache clean --force
COPY web/ ./
# tsc + vite build, then the first page's 200 KB gzipped budget (fails the build above it). The
# manifest is only for the size script.
RUN npm run build && npm run size && rm -rf dist/.vite

FROM node:20.20.2-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOME=/tmp \
    WEB_HOST=0.0.0.0 \
    WEB_PORT=8080 \
    WEB_DIST=/app/web/dist
RUN groupadd --system --gid 10001 carbon \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin carbon
# Owned by root: the web user reads the app, never rewrites it. Nothing is written at run time, so
# the root filesystem can be read-only.
COPY --from=build /app/web/dist /app/web/dist
COPY web/server/serve.mjs /app/web/server/serve.mjs
WORKDIR /app/web
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "/app/web/server/serve.mjs"]
