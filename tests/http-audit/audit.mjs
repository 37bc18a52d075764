// Runs graphql-http's GraphQL-over-HTTP audit suite against one server and prints one JSON line:
// {"url": ..., "results": [{"id", "name", "status", "reason"?}]}.
// Usage: node audit.mjs URL [AUTHORIZATION_HEADER_VALUE]
import { auditServer } from 'graphql-http';

const [url, authorization] = process.argv.slice(2);
if (!url) {
  console.error('usage: node audit.mjs URL [AUTHORIZATION]');
  process.exit(2);
}

// The audits send their own headers; an authorization header, when given, rides along on every request.
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  if (authorization) headers.set('authorization', authorization);
  return fetch(input, { ...init, headers });
};

const results = await auditServer({ url, fetchFn });
const out = [];
for (const r of results) {
  const row = { id: r.id, name: r.name, status: r.status };
  if (r.status !== 'ok') {
    row.reason = r.reason;
    try {
      row.httpStatus = r.response.status;
      row.contentType = r.response.headers.get('content-type');
      row.body = (await r.response.text()).slice(0, 500);
    } catch {
      // the body was read by the audit already
    }
  }
  out.push(row);
}
console.log(JSON.stringify({ url, results: out }));
