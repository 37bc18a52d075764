// Hive Gateway configuration, loaded by `hive-gateway supergraph ...` (see run.sh; the CLI finds
// gateway.config.ts in its working directory, or takes it with `-c`).
//
// Environment (all optional):
//   GATEWAY_HOST              listen address                 default 127.0.0.1 (never 0.0.0.0 by accident)
//   GATEWAY_PORT              listen port                    default 4000
//   GATEWAY_ENVIRONMENT       dev | production               default dev
//   GATEWAY_<NAME>_URL        runtime routing URL of subgraph NAME (ISSUANCE, REGISTRY, TRADING,
//                             REPORTING, ...), overriding the URL composed into supergraph.graphql
//   GATEWAY_MAX_BODY_BYTES    request body limit             default 1048576 (1 MiB)
//   GATEWAY_UPSTREAM_TIMEOUT_MS  per subgraph request        default 30000 (not subscriptions: they
//                             stay open while the client listens)
//   CARBON_GATEWAY_SECRET     when set, sent to every subgraph as `x-gateway-secret`, so a subgraph
//                             can refuse traffic that did not come through the gateway
//   OPENTELEMETRY             OTLP/HTTP traces endpoint; read by the CLI itself (run.sh maps
//                             GATEWAY_OTLP_ENDPOINT onto it). When set the OpenTelemetry plugin
//                             creates spans and injects W3C `traceparent` into subgraph requests.
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { defineConfig, type GatewayPlugin } from '@graphql-hive/gateway';
import { OperationTypeNode } from 'graphql';

const env = process.env;
const isProduction = (env.GATEWAY_ENVIRONMENT ?? 'dev').toLowerCase() === 'production';
// The CLI sets up the OpenTelemetry SDK and plugin when OPENTELEMETRY is set; then the plugin owns
// trace propagation and we must not overwrite its `traceparent` with the client's raw one.
const tracingByPlugin = Boolean(env.OPENTELEMETRY);

/** Limits that refuse abusive documents before any subgraph is called. */
export const LIMITS = Object.freeze({
  maxDepth: 12,
  maxTokens: 2000,
  maxAliases: 30,
  maxBodyBytes: positiveInt(env.GATEWAY_MAX_BODY_BYTES, 1_048_576),
  upstreamTimeoutMs: positiveInt(env.GATEWAY_UPSTREAM_TIMEOUT_MS, 30_000),
});

function positiveInt(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`expected a positive integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * Runtime routing overrides: GATEWAY_<NAME>_URL replaces the URL of subgraph <name> (its name in
 * the supergraph's join__Graph, i.e. its SDL file name) without recomposing.
 */
function subgraphLocationOverrides(): Record<string, { location: string }> {
  const entries: Record<string, { location: string }> = {};
  for (const [key, value] of Object.entries(env)) {
    const match = /^GATEWAY_([A-Z0-9_]+)_URL$/.exec(key);
    if (match && value) {
      entries[match[1].toLowerCase()] = { location: value };
    }
  }
  return entries;
}

/**
 * Refuses request bodies over LIMITS.maxBodyBytes with 413 before they are read. Bodies without a
 * Content-Length (chunked uploads) are refused with 411, since their size cannot be checked up front.
 */
function useRequestBodyLimit(maxBytes: number): GatewayPlugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return;
      const length = request.headers.get('content-length');
      const refuse = (status: number, code: string, message: string) =>
        endResponse(
          new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), {
            status,
            headers: { 'content-type': 'application/json' },
          }),
        );
      if (length === null) {
        if (request.headers.get('transfer-encoding')) {
          refuse(411, 'LENGTH_REQUIRED', 'Request body must have a Content-Length.');
        }
        return;
      }
      if (!/^\d+$/.test(length) || Number(length) > maxBytes) {
        refuse(413, 'REQUEST_ENTITY_TOO_LARGE', `Request body larger than ${maxBytes} bytes.`);
      }
    },
  };
}

/**
 * Subscriptions reach subgraphs as GraphQL over SSE. The gateway's SSE reader splits events on
 * "\n\n" only, but SSE lets a server end lines with "\r\n" (Strawberry does), and such a stream
 * would never yield an event. This rewrites the line endings of every subgraph event stream to "\n"
 * as it flows through, chunk by chunk (a "\r" at the end of a chunk waits for the next one).
 */
function useSubgraphEventStreamLineFeeds(): GatewayPlugin {
  return {
    onFetch() {
      return ({ response, setResponse }) => {
        const source = response.body;
        if (!source || !response.headers.get('content-type')?.includes('text/event-stream')) return;
        const reader = source.getReader();
        const decoder = new TextDecoder();
        const encoder = new TextEncoder();
        let carriageReturnPending = false;
        const normalise = (text: string, last: boolean): Uint8Array => {
          let pending = (carriageReturnPending ? '\r' : '') + text;
          carriageReturnPending = !last && pending.endsWith('\r');
          if (carriageReturnPending) pending = pending.slice(0, -1);
          return encoder.encode(pending.replace(/\r\n?/g, '\n'));
        };
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            const { done, value } = await reader.read();
            if (done) {
              const rest = normalise(decoder.decode(), true);
              if (rest.length > 0) controller.enqueue(rest);
              controller.close();
              return;
            }
            controller.enqueue(normalise(decoder.decode(value, { stream: true }), false));
          },
          cancel(reason) {
            return reader.cancel(reason);
          },
        });
        setResponse(
          new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers }),
        );
      };
    },
  };
}

export const gatewayConfig = defineConfig({
  host: env.GATEWAY_HOST || '127.0.0.1',
  port: positiveInt(env.GATEWAY_PORT, 4000),
  // Single process: the state is in the subgraphs; scale by running more gateways.
  fork: 1,
  // The supergraph is a committed file; no need to poll it.
  pollingInterval: 0,

  transportEntries: subgraphLocationOverrides(),

  propagateHeaders: {
    fromClientToSubgraphs({ request }) {
      const headers: Record<string, string | null | undefined> = {
        authorization: request.headers.get('authorization'),
      };
      if (!tracingByPlugin) {
        headers.traceparent = request.headers.get('traceparent');
        headers.tracestate = request.headers.get('tracestate');
      }
      // Set from the environment only: a client-sent x-gateway-secret is never forwarded.
      if (env.CARBON_GATEWAY_SECRET) {
        headers['x-gateway-secret'] = env.CARBON_GATEWAY_SECRET;
      }
      return headers;
    },
  },

  // Security limits (graphql-armor rules run during validation, before execution).
  maxDepth: LIMITS.maxDepth,
  maxTokens: LIMITS.maxTokens,
  blockFieldSuggestions: isProduction,
  // One operation per HTTP request: a JSON array body is refused.
  batching: false,
  disableIntrospection: isProduction ? { disableIf: () => true } : undefined,
  graphiql: !isProduction,
  landingPage: !isProduction,
  maskedErrors: true,
  // Subscriptions reach subgraphs as GraphQL over SSE (the HTTP transport's default: GET with
  // `Accept: text/event-stream`) and are meant to stay open, so the per-request timeout would cut
  // every live market-data stream; queries and mutations keep it.
  upstreamTimeout: ({ executionRequest }) =>
    executionRequest?.operationType === OperationTypeNode.SUBSCRIPTION ? undefined : LIMITS.upstreamTimeoutMs,
  requestTimeout: 60_000,
  healthCheckEndpoint: '/healthz',
  readinessCheckEndpoint: '/readyz',

  plugins: () => [
    useRequestBodyLimit(LIMITS.maxBodyBytes),
    maxAliasesPlugin({ n: LIMITS.maxAliases }),
    useSubgraphEventStreamLineFeeds(),
  ],
});

if (isProduction && !env.CARBON_GATEWAY_SECRET) {
  // Not fatal: subgraphs that require the secret refuse the traffic and say so.
  console.warn('gateway: CARBON_GATEWAY_SECRET is not set in production');
}
