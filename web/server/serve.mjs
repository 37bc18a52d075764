#!/usr/bin/env node
// The explorer's tiny production server (Node standard library only, no npm install needed):
// serves web/dist with a strict Content-Security-Policy, answers every app route with index.html,
// and proxies /graphql to the gateway so the browser talks to one origin.
//
//   WEB_HOST          listen address                  default 127.0.0.1
//   WEB_PORT          listen port                     default 4173
//   WEB_GATEWAY_URL   the gateway's GraphQL endpoint  default http://127.0.0.1:4000/graphql
//   WEB_DIST          the built app                   default <this dir>/../dist
//
// `node web/server/serve.mjs` prints "web http://HOST:PORT/" once listening. GET /healthz -> 200.
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The policy every response carries. No inline script or style, nothing from other origins. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

const MAX_BODY_BYTES = 1_048_576;

function send(res, status, body, headers = {}) {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(Object.assign(new Error('body too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Forwards one GraphQL request to the gateway (no cookies; the explorer is anonymous). */
function proxyGraphql(gatewayUrl) {
  const target = new URL(gatewayUrl);
  const client = target.protocol === 'https:' ? https : http;
  return async (req, res) => {
    let body;
    try {
      body = req.method === 'GET' || req.method === 'HEAD' ? Buffer.alloc(0) : await readBody(req);
    } catch (err) {
      send(res, err.status ?? 400, 'bad request');
      return;
    }
    const incoming = new URL(req.url, 'http://x');
    const headers = { 'content-length': String(body.length) };
    for (const h of ['content-type', 'accept', 'traceparent', 'tracestate']) {
      if (req.headers[h]) headers[h] = req.headers[h];
    }
    const upstream = client.request(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: target.pathname + incoming.search,
        headers,
        timeout: 30_000,
      },
      (up) => {
        const out = { ...SECURITY_HEADERS, 'cache-control': 'no-store' };
        for (const h of ['content-type', 'content-length']) if (up.headers[h]) out[h] = up.headers[h];
        res.writeHead(up.statusCode ?? 502, out);
        up.pipe(res);
      },
    );
    upstream.on('timeout', () => upstream.destroy(new Error('gateway timeout')));
    upstream.on('error', () => {
      if (!res.headersSent) {
        send(
          res,
          502,
          JSON.stringify({ errors: [{ message: 'The gateway is not reachable.', extensions: { code: 'UNAVAILABLE' } }] }),
          { 'content-type': 'application/json' },
        );
      } else res.destroy();
    });
    upstream.end(body);
  };
}

/**
 * The request handler. `graphql` answers /graphql: a function (req, res) (the tests' mock) or the
 * gateway URL to proxy to.
 */
export function createHandler({ dist = path.resolve(here, '../dist'), graphql }) {
  const root = path.resolve(dist);
  const index = path.join(root, 'index.html');
  const graphqlHandler = typeof graphql === 'function' ? graphql : proxyGraphql(graphql);
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/graphql') return graphqlHandler(req, res);
    if (url.pathname === '/healthz') return send(res, 200, 'ok');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
    let pathname;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      return send(res, 400, 'bad request');
    }
    const file = path.resolve(root, `.${pathname}`);
    if (file !== root && !file.startsWith(root + path.sep)) return send(res, 404, 'not found');
    let target = file;
    let isAsset = pathname.startsWith('/assets/');
    if (!existsSync(target) || !statSync(target).isFile()) {
      // Unknown files (with an extension) are 404; app routes get the app.
      if (path.extname(pathname) || isAsset) return send(res, 404, 'not found');
      target = index;
      isAsset = false;
    }
    const type = TYPES[path.extname(target)] ?? 'application/octet-stream';
    const headers = {
      ...SECURITY_HEADERS,
      'content-type': type,
      'content-length': String(statSync(target).size),
      // Hashed file names never change; the HTML must always be revalidated.
      'cache-control': isAsset ? 'public, max-age=31536000, immutable' : 'no-cache',
    };
    res.writeHead(200, headers);
    if (req.method === 'HEAD') return res.end();
    createReadStream(target).pipe(res);
  };
}

export function startServer({ host = '127.0.0.1', port = 4173, dist, graphql }) {
  const server = http.createServer(createHandler({ dist, graphql }));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const env = process.env;
  const host = env.WEB_HOST || '127.0.0.1';
  const port = Number(env.WEB_PORT || 4173);
  const dist = path.resolve(env.WEB_DIST || path.resolve(here, '../dist'));
  if (!existsSync(path.join(dist, 'index.html'))) {
    console.error(`serve.mjs: ${dist}/index.html not found; run: cd web && npm ci && npm run build`);
    process.exit(2);
  }
  const server = await startServer({ host, port, dist, graphql: env.WEB_GATEWAY_URL || 'http://127.0.0.1:4000/graphql' });
  const addr = server.address();
  console.log(`web http://${addr.address}:${addr.port}/`);
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
