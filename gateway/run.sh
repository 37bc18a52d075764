#!/usr/bin/env bash
# Starts Hive Gateway on the committed supergraph (or SUPERGRAPH=path) with gateway.config.ts.
#   GATEWAY_HOST (127.0.0.1) GATEWAY_PORT (4000) GATEWAY_ENVIRONMENT (dev|production)
#   GATEWAY_<NAME>_URL (runtime subgraph URL override) CARBON_GATEWAY_SECRET
#   GATEWAY_OTLP_ENDPOINT (OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces)
# Installs node_modules from the lock (npm ci) when they are missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
if [[ ! -x node_modules/.bin/hive-gateway ]]; then
  npm ci --no-audit --no-fund >&2
fi
supergraph="${SUPERGRAPH:-$here/supergraph.graphql}"
if [[ ! -f "$supergraph" ]]; then
  echo "run.sh: $supergraph not found; run: node gateway/compose.mjs" >&2
  exit 2
fi
# The CLI reads HOST/PORT from the environment and they would win over gateway.config.ts;
# make GATEWAY_HOST/GATEWAY_PORT the only knobs.
unset HOST PORT
if [[ -n "${GATEWAY_OTLP_ENDPOINT:-}" ]]; then
  export OPENTELEMETRY="$GATEWAY_OTLP_ENDPOINT"
fi
exec node "$here/node_modules/@graphql-hive/gateway/dist/bin.js" supergraph "$supergraph" \
  --config-path "$here/gateway.config.ts"
