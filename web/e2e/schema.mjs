// The public API schema, derived from the composed gateway/supergraph.graphql the way the gateway
// derives it: federation plumbing (join__/link__ types and directives) removed, @inaccessible
// elements dropped. The queries test and the mock endpoint both use it, so a fixture or a query that
// does not match what the gateway serves fails the tests.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildASTSchema, Kind, parse, visit } from 'graphql';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SUPERGRAPH_PATH = path.resolve(here, '../../gateway/supergraph.graphql');

const plumbing = (name) => name.startsWith('join__') || name.startsWith('link__') || name === 'link';

export function apiSchemaFromSupergraph(sdl) {
  const doc = parse(sdl);
  const cleaned = visit(doc, {
    enter(node) {
      if (node.kind === Kind.DIRECTIVE && (plumbing(node.name.value) || node.name.value === 'inaccessible')) return null;
      if (node.directives?.some((d) => d.name.value === 'inaccessible')) return null;
      if (node.kind === Kind.DIRECTIVE_DEFINITION && (plumbing(node.name.value) || node.name.value === 'inaccessible')) return null;
      if (
        (node.kind === Kind.SCALAR_TYPE_DEFINITION || node.kind === Kind.ENUM_TYPE_DEFINITION || node.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION) &&
        plumbing(node.name.value)
      ) {
        return null;
      }
      return undefined;
    },
  });
  return buildASTSchema(cleaned, { assumeValidSDL: false });
}

let cached;
export function apiSchema() {
  cached ??= apiSchemaFromSupergraph(readFileSync(SUPERGRAPH_PATH, 'utf8'));
  return cached;
}

/** The gateway's validation limits (gateway/gateway.config.ts LIMITS). */
export const GATEWAY_LIMITS = { maxDepth: 12, maxAliases: 30, maxTokens: 2000 };
