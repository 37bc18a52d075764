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
//   GATEWAY_MAX_COST          demand control: the highest estimated cost of an operation (list
//                             sizes multiplied down the nesting, GATEWAY_ASSUMED_LIST_SIZE per list)
//                                                            default 20000 (list size 20)
//   GATEWAY_RATE_LIMIT_PER_S / GATEWAY_RATE_LIMIT_BURST  per-client request budget (token bucket
//                             keyed by the bearer token, else the client address) default 50 / 100
//   GATEWAY_MAX_SUBSCRIPTIONS_PER_CLIENT  open subscriptions per client   default 10
//   GATEWAY_PERSISTED_DOCUMENTS_FILE  JSON {sha256: document}: only these documents run (clients
//                             send {"documentId": "<sha256>"}); production refuses to start without it
//                             unless GATEWAY_PERSISTED_DOCUMENTS=off
//   OPENTELEMETRY             OTLP/HTTP traces endpoint; read by the CLI itself (run.sh maps
//                             GATEWAY_OTLP_ENDPOINT onto it). When set the OpenTelemetry plugin
//                             creates spans and injects W3C `traceparent` into subgraph requests.
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { defineConfig, type GatewayPlugin } from '@graphql-hive/gateway';
import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  GraphQLError,
  Kind,
  OperationTypeNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

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
  maxCost: positiveInt(env.GATEWAY_MAX_COST, 20_000),
  assumedListSize: positiveInt(env.GATEWAY_ASSUMED_LIST_SIZE, 20),
  ratePerSecond: positiveInt(env.GATEWAY_RATE_LIMIT_PER_S, 50),
  rateBurst: positiveInt(env.GATEWAY_RATE_LIMIT_BURST, 100),
  maxSubscriptionsPerClient: positiveInt(env.GATEWAY_MAX_SUBSCRIPTIONS_PER_CLIENT, 10),
});

/**
 * The address the client connected from (the node server's socket), or the first hop of
 * X-Forwarded-For when the gateway itself sits behind the cluster's ingress.
 */
function clientAddress(request: Request, serverContext: unknown): string {
  const forwarded = env.GATEWAY_TRUST_FORWARDED_FOR === 'true' ? request.headers.get('x-forwarded-for') : null;
  const first = forwarded?.split(',')[0]?.trim();
  if (first) return first;
  const req = (serverContext as { req?: { socket?: { remoteAddress?: string } } } | undefined)?.req;
  return req?.socket?.remoteAddress ?? 'unknown';
}

/** One budget per client: the bearer token (hashed) if any, else the client's address. */
function clientKey(request: Request, serverContext: unknown): string {
  const authorization = request.headers.get('authorization');
  if (authorization) return 't:' + createHash('sha256').update(authorization).digest('hex');
  return 'a:' + clientAddress(request, serverContext);
}

function errorResponse(fetchAPI: { Response: typeof Response }, status: number, code: string, message: string) {
  return new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), {
    status,
    headers: { 'content-type': 'application/json', 'retry-after': '1' },
  });
}

/**
 * Per-client rate limit at the gateway (token bucket): the subgraphs only see the gateway, so a
 * budget there would be shared by every client. Memory is bounded: the stalest half of the buckets
 * is forgotten when there are too many.
 */
function useClientRateLimit(ratePerSecond: number, burst: number, maxClients = 100_000): GatewayPlugin {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    onRequest({ request, serverContext, endResponse, fetchAPI }) {
      const url = new URL(request.url);
      if (url.pathname === '/healthz' || url.pathname === '/readyz') return;
      const key = clientKey(request, serverContext);
      const now = Date.now() / 1000;
      const bucket = buckets.get(key) ?? { tokens: burst, at: now };
      bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.at) * ratePerSecond);
      bucket.at = now;
      if (!buckets.has(key) && buckets.size >= maxClients) {
        const stalest = [...buckets.entries()].sort((a, b) => a[1].at - b[1].at).slice(0, maxClients / 2);
        for (const [k] of stalest) buckets.delete(k);
      }
      buckets.set(key, bucket);
      if (bucket.tokens < 1) {
        endResponse(errorResponse(fetchAPI, 429, 'UNAVAILABLE', 'rate limit exceeded; slow down and retry'));
        return;
      }
      bucket.tokens -= 1;
    },
  };
}

/** At most `max` open subscriptions per client; the next one is refused until one ends. */
function useSubscriptionSlots(max: number): GatewayPlugin {
  const open = new Map<string, number>();
  return {
    onSubscribe({ args, setResultAndStopExecution }) {
      const ctx = args.contextValue as { request?: Request; req?: unknown };
      if (!ctx.request) return;
      const key = clientKey(ctx.request, ctx);
      const count = open.get(key) ?? 0;
      if (count >= max) {
        setResultAndStopExecution({
          errors: [
            new GraphQLError(`at most ${max} open subscriptions per client`, {
              extensions: { code: 'UNAVAILABLE', reason: 'TOO_MANY_SUBSCRIPTIONS' },
            }),
          ],
        });
        return;
      }
      open.set(key, count + 1);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        const left = (open.get(key) ?? 1) - 1;
        if (left <= 0) open.delete(key);
        else open.set(key, left);
      };
      return {
        onSubscribeResult({ result }) {
          // An error instead of a stream ends at once: its slot is free again.
          if (!(result && typeof result === 'object' && Symbol.asyncIterator in result)) {
            release();
            return;
          }
          return { onEnd: release };
        },
        onSubscribeError: release,
      };
    },
  };
}

/**
 * The estimated cost of an operation on the composed schema: every field costs 1, and a field that
 * returns a list multiplies the cost of its selection by `listSize` (lists nest multiplicatively:
 * CreditBatch.project.batches.project... is listSize^depth). Fragments are expanded; unknown fields
 * cost 1 (validation refuses them anyway).
 */
export function estimateCost(schema: GraphQLSchema, document: DocumentNode, listSize: number): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const selectionCost = (parent: GraphQLCompositeType, set: SelectionSetNode, seen: Set<string>): number => {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const fields = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields() : {};
        const field = fields[selection.name.value];
        if (!field || !selection.selectionSet) {
          cost += 1;
          continue;
        }
        const named = getNamedType(field.type);
        const inner = isCompositeType(named) ? selectionCost(named, selection.selectionSet, seen) : 0;
        const multiplier = isListType(getNullableType(field.type)) ? listSize : 1;
        cost += 1 + multiplier * inner;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typeName = selection.typeCondition?.name.value;
        const type = typeName ? schema.getType(typeName) : parent;
        cost += selectionCost(isCompositeType(type) ? type : parent, selection.selectionSet, seen);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || seen.has(name)) continue; // cycles are a validation error
        const type = schema.getType(fragment.typeCondition.name.value);
        cost += selectionCost(isCompositeType(type) ? type : parent, fragment.selectionSet, new Set([...seen, name]));
      }
    }
    return cost;
  };
  let total = 0;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const root = schema.getRootType(definition.operation);
    if (root) total += selectionCost(root, definition.selectionSet, new Set());
  }
  return total;
}

function costError(cost: number, maxCost: number): GraphQLError {
  return new GraphQLError(`operation estimated cost ${cost} exceeds the limit of ${maxCost}`, {
    extensions: { code: 'INVALID_ARGUMENT', reason: 'COST_LIMIT_EXCEEDED' },
  });
}

/** Refuses operations whose estimated cost (estimateCost) is above `maxCost`, before execution. */
function useCostLimit(maxCost: number, listSize: number): GatewayPlugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const cost = estimateCost(args.schema, args.document, listSize);
      if (cost > maxCost) {
        setResultAndStopExecution({
          errors: [costError(cost, maxCost)],
        });
      }
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const cost = estimateCost(args.schema, args.document, listSize);
      if (cost > maxCost) {
        setResultAndStopExecution({
          errors: [costError(cost, maxCost)],
        });
      }
    },
  };
}

/** {sha256: document} from GATEWAY_PERSISTED_DOCUMENTS_FILE; every hash must match its document. */
function loadPersistedDocuments(path: string): Record<string, string> {
  const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (typeof raw !== 'object' || raw === null) throw new Error(`${path}: expected {sha256: document}`);
  const documents: Record<string, string> = {};
  for (const [hash, document] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof document !== 'string' || createHash('sha256').update(document).digest('hex') !== hash) {
      throw new Error(`${path}: hash ${hash} does not match its document`);
    }
    documents[hash] = document;
  }
  return documents;
}

const persistedDocumentsFile = env.GATEWAY_PERSISTED_DOCUMENTS_FILE;
if (isProduction && !persistedDocumentsFile && env.GATEWAY_PERSISTED_DOCUMENTS !== 'off') {
  // Production runs only documents the operator approved (the chart mounts the allowlist); turning
  // that off takes an explicit GATEWAY_PERSISTED_DOCUMENTS=off.
  throw new Error('gateway: GATEWAY_PERSISTED_DOCUMENTS_FILE is required in production');
}
const persistedDocuments = persistedDocumentsFile ? loadPersistedDocuments(persistedDocumentsFile) : undefined;

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
    fromClientToSubgraphs({ request, context }) {
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
        // The address the gateway saw, so subgraphs key anonymous callers by client, not by the
        // gateway; they trust it only on requests that carry the gateway secret.
        headers['x-forwarded-for'] = clientAddress(request, context);
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
  ...(persistedDocuments
    ? {
        persistedDocuments: {
          getPersistedOperation: (key: string) => persistedDocuments[key] ?? null,
          allowArbitraryDocuments: false,
        },
      }
    : {}),
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
    useClientRateLimit(LIMITS.ratePerSecond, LIMITS.rateBurst),
    // Cost limit: every list is assumed to hold `assumedListSize` items and costs multiply down the
    // nesting, so cyclic paths (CreditBatch.project.batches.project...) are refused before any
    // subgraph is called, however few tokens the document has.
    useCostLimit(LIMITS.maxCost, LIMITS.assumedListSize),
    useSubscriptionSlots(LIMITS.maxSubscriptionsPerClient),
    maxAliasesPlugin({ n: LIMITS.maxAliases }),
    useSubgraphEventStreamLineFeeds(),
  ],
});

if (isProduction && !env.CARBON_GATEWAY_SECRET) {
  // Not fatal: subgraphs that require the secret refuse the traffic and say so.
  console.warn('gateway: CARBON_GATEWAY_SECRET is not set in production');
}
