// A GraphQL endpoint for the browser tests: executes each request against the public API schema
// (derived from gateway/supergraph.graphql) with resolvers over the fixtures. Validation and
// execution errors are recorded, and the tests assert there were none.
import { graphql } from 'graphql';
import * as fx from './fixtures.mjs';
import { apiSchema } from './schema.mjs';

function connection(items, first, after) {
  const start = after ? Number(after) : 0;
  const size = first ?? 50;
  if (size < 1 || size > 500) throw new Error('first must be between 1 and 500');
  const nodes = items.slice(start, start + size);
  const end = start + nodes.length;
  return { nodes, endCursor: nodes.length ? String(end) : null, hasNextPage: end < items.length };
}

const rootValue = {
  programs: () => fx.programs,
  project: ({ id }) => fx.allProjects.find((p) => p.id === id) ?? null,
  projects: ({ filter, first, after }) => {
    const f = filter ?? {};
    const rows = fx.allProjects.filter(
      (p) =>
        (!f.programId || p.program.id === f.programId) &&
        (!f.country || p.country === f.country) &&
        (!f.status || p.status === f.status) &&
        (!f.creditType || p.methodology.creditType === f.creditType),
    );
    return connection(rows, first, after);
  },
  creditBatch: ({ id }) => fx.allBatches.find((b) => b.id === id) ?? null,
  creditBatches: ({ projectId, programId, first, after }) =>
    connection(
      fx.allBatches.filter((b) => (!projectId || b.project.id === projectId) && (!programId || b.project.program.id === programId)),
      first,
      after,
    ),
  retirements: ({ batchId }) => fx.retirementsOf(batchId),
  certificate: ({ id }) => fx.certificates.get(id) ?? null,
  verifyCertificate: ({ id }) => {
    const c = fx.certificates.get(id);
    return c
      ? { certificateId: id, valid: true, journalSequence: c.journalSequence, journalHash: c.journalHash, problem: null }
      : { certificateId: id, valid: false, journalSequence: null, journalHash: null, problem: 'CERTIFICATE_NOT_FOUND' };
  },
  instruments: () => fx.instruments.map((i) => ({ ...i, marketData: () => fx.marketData(i.id) })),
  marketData: ({ instrumentId }) => fx.marketData(instrumentId),
  trades: ({ instrumentId, limit }) => (fx.trades[instrumentId] ?? []).slice(0, limit ?? 100),
  tenders: ({ instrumentId }) => fx.tenders[instrumentId] ?? [],
  tender: ({ id }) => Object.values(fx.tenders).flat().find((t) => t.id === id) ?? null,
  marketStatistics: ({ instrumentId }) =>
    fx.venueStats[instrumentId] ?? { instrumentId, exchangeVolume: 0, exchangeVwap: null, tenderVolume: 0, otcVolume: 0, otcVwap: null, otcReportCount: 0 },
  creditMarketStatistics: () => ({ issuance: fx.issuanceVolumes, retirements: fx.retirementVolumes, prices: fx.priceIndex }),
  priceIndex: ({ category }) => fx.priceIndex.filter((p) => p.category === category),
  bufferPool: ({ programId }) => fx.bufferPool(programId),
};

export function createMockGraphql({ delayMs = 0 } = {}) {
  const schema = apiSchema();
  const log = [];
  const errors = [];
  const handler = (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ message: 'bad JSON' }] }));
        return;
      }
      const result = await graphql({ schema, source: body.query, variableValues: body.variables, rootValue, operationName: body.operationName });
      const name = /query\s+(\w+)/.exec(body.query ?? '')?.[1] ?? '(anonymous)';
      log.push(name);
      if (result.errors?.length) errors.push({ operation: name, variables: body.variables, errors: result.errors.map((e) => e.message) });
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(result));
    });
  };
  return { handler, log, errors };
}
