import { Kind, parse, validate, type DocumentNode, type SelectionSetNode } from 'graphql';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain ESM helper shared with the browser tests
import { apiSchema, GATEWAY_LIMITS } from '../../e2e/schema.mjs';
import { ALL_QUERIES } from './queries';

function depth(set: SelectionSetNode | undefined): number {
  if (!set) return 0;
  return 1 + Math.max(0, ...set.selections.map((s) => ('selectionSet' in s ? depth(s.selectionSet) : 0)));
}

function aliases(doc: DocumentNode): number {
  let n = 0;
  const walk = (set?: SelectionSetNode) =>
    set?.selections.forEach((s) => {
      if (s.kind === Kind.FIELD && s.alias) n++;
      if ('selectionSet' in s) walk(s.selectionSet);
    });
  doc.definitions.forEach((d) => d.kind === Kind.OPERATION_DEFINITION && walk(d.selectionSet));
  return n;
}

describe('explorer queries', () => {
  const schema = apiSchema();
  for (const [name, source] of Object.entries(ALL_QUERIES)) {
    it(`${name} is valid against the gateway's API schema and within its limits`, () => {
      const doc = parse(source);
      expect(validate(schema, doc).map((e) => e.message)).toEqual([]);
      const op = doc.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
      expect(op && op.kind === Kind.OPERATION_DEFINITION && op.operation).toBe('query');
      expect(depth(op && 'selectionSet' in op ? op.selectionSet : undefined)).toBeLessThanOrEqual(GATEWAY_LIMITS.maxDepth);
      expect(aliases(doc)).toBeLessThanOrEqual(GATEWAY_LIMITS.maxAliases);
    });
  }

  it('reads no field that needs a role (the explorer is anonymous)', () => {
    const restricted = ['account', 'cashBalance', 'disclosureReport', 'shkReport', 'article6Report', 'reconciliationReport', 'order', 'transfer'];
    for (const source of Object.values(ALL_QUERIES)) {
      const doc = parse(source);
      for (const d of doc.definitions) {
        if (d.kind !== Kind.OPERATION_DEFINITION) continue;
        for (const s of d.selectionSet.selections) {
          if (s.kind === Kind.FIELD) expect(restricted).not.toContain(s.name.value);
        }
      }
    }
  });
});
