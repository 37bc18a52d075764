import { useCallback, useEffect, useRef, useState } from 'react';

/** Same origin: serve.mjs, the Vite dev server or the Ingress route /graphql to the gateway. */
export const GRAPHQL_URL: string = import.meta.env.VITE_GRAPHQL_URL ?? '/graphql';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** One GraphQL operation over HTTP POST (anonymous: the explorer reads only public data). */
export async function gql<T>(query: string, variables?: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
  const res = await fetch(GRAPHQL_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
    body: JSON.stringify({ query, variables }),
    signal,
  });
  let body: GraphQLResponse<T> | null = null;
  try {
    body = (await res.json()) as GraphQLResponse<T>;
  } catch {
    body = null;
  }
  if (!body) throw new ApiError(`HTTP ${res.status}`);
  if (body.errors?.length && !body.data) {
    const first = body.errors[0];
    throw new ApiError(first.message, first.extensions?.code);
  }
  if (body.errors?.length) {
    // Partial data: show what arrived; the missing fields are null.
    console.warn('GraphQL partial errors', body.errors);
  }
  return body.data as T;
}

// Results stay cached for the session (a minute), so going back to a page shows it at once.
const CACHE_TTL_MS = 60_000;
const cache = new Map<string, { at: number; value: unknown }>();
const inflight = new Map<string, Promise<unknown>>();

export function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < CACHE_TTL_MS) return Promise.resolve(hit.value as T);
  const running = inflight.get(key);
  if (running) return running as Promise<T>;
  const p = load().then(
    (value) => {
      cache.set(key, { at: Date.now(), value });
      inflight.delete(key);
      return value;
    },
    (err: unknown) => {
      inflight.delete(key);
      throw err;
    },
  );
  inflight.set(key, p);
  return p;
}

export interface AsyncState<T> {
  data?: T;
  error?: Error;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` for `key` (null = skip) and re-runs when the key changes. */
export function useAsync<T>(key: string | null, load: () => Promise<T>): AsyncState<T> {
  const [state, setState] = useState<{ key: string | null; data?: T; error?: Error }>({ key: null });
  const [nonce, setNonce] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    if (key === null) return;
    let live = true;
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < CACHE_TTL_MS) {
      setState({ key, data: hit.value as T });
      return;
    }
    setState((s) => (s.key === key ? s : { key }));
    cached(key, () => loadRef.current()).then(
      (data) => live && setState({ key, data }),
      (error: unknown) => live && setState({ key, error: error instanceof Error ? error : new Error(String(error)) }),
    );
    return () => {
      live = false;
    };
  }, [key, nonce]);
  const reload = useCallback(() => {
    if (key) cache.delete(key);
    setNonce((n) => n + 1);
  }, [key]);
  const current = state.key === key;
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : undefined,
    loading: key !== null && (!current || (state.data === undefined && state.error === undefined)),
    reload,
  };
}

export function useQuery<T>(query: string, variables?: Record<string, unknown>, skip = false): AsyncState<T> {
  const key = skip ? null : `${query}\u0000${JSON.stringify(variables ?? {})}`;
  return useAsync<T>(key, () => gql<T>(query, variables));
}

/** Fetches every page of a cursor connection (first/after), `pageSize` at a time. */
export async function fetchAllPages<N>(
  fetchPage: (after: string | null) => Promise<{ nodes: N[]; endCursor?: string | null; hasNextPage: boolean }>,
  maxPages = 50,
): Promise<N[]> {
  const all: N[] = [];
  let after: string | null = null;
  for (let i = 0; i < maxPages; i++) {
    const page = await fetchPage(after);
    all.push(...page.nodes);
    if (!page.hasNextPage || !page.endCursor) break;
    after = page.endCursor;
  }
  return all;
}

/** Runs `fn` over `items` with at most `limit` requests in flight. */
export async function mapLimit<I, O>(items: I[], limit: number, fn: (item: I) => Promise<O>): Promise<O[]> {
  const out: O[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return out;
}
