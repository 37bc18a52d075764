#!/usr/bin/env node
// Measures the JavaScript each page needs, gzipped (level 9, like a server would send it), from
// dist/.vite/manifest.json: the entry chunk and its static imports ("first page": home and the
// project search), then each lazily loaded page and ECharts. Fails when the first page exceeds the
// budget (200 KB gzipped, issue 17). Usage: npm run build && npm run size [-- --json]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET_BYTES = 200 * 1024;
const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');
const manifest = JSON.parse(readFileSync(path.join(dist, '.vite/manifest.json'), 'utf8'));
const gz = new Map();
const size = (file) => {
  if (!gz.has(file)) gz.set(file, gzipSync(readFileSync(path.join(dist, file)), { level: 9 }).length);
  return gz.get(file);
};

/** The chunk's file and every chunk it imports statically, transitively. */
function closure(key, seen = new Set()) {
  const chunk = manifest[key];
  if (!chunk || seen.has(chunk.file)) return seen;
  seen.add(chunk.file);
  for (const imp of chunk.imports ?? []) closure(imp, seen);
  return seen;
}

const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry);
const entry = closure(entryKey);
const sum = (files) => [...files].filter((f) => f.endsWith('.js')).reduce((s, f) => s + size(f), 0);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

const rows = [{ page: 'first page (home, projects)', js: sum(entry) }];
for (const key of manifest[entryKey].dynamicImports ?? []) {
  const page = closure(key);
  const extra = new Set([...page].filter((f) => !entry.has(f)));
  // Charts load on demand after the page's content; count them separately.
  const charts = new Set();
  for (const k of Object.keys(manifest)) {
    if (manifest[k].dynamicImports && extra.has(manifest[k].file)) {
      for (const d of manifest[k].dynamicImports) for (const f of closure(d)) if (!entry.has(f) && !page.has(f)) charts.add(f);
    }
  }
  rows.push({
    page: path.basename(key).replace(/\.tsx?$/, ''),
    js: sum(entry) + sum(extra),
    withCharts: charts.size ? sum(entry) + sum(extra) + sum(charts) : undefined,
  });
}

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ budgetBytes: BUDGET_BYTES, rows }, null, 2));
} else {
  console.log('JavaScript per page, gzipped (before content | with charts loaded after it):');
  for (const r of rows) console.log(`  ${r.page.padEnd(30)} ${kb(r.js).padStart(9)}${r.withCharts ? ` | ${kb(r.withCharts)}` : ''}`);
}
const first = rows[0].js;
if (first > BUDGET_BYTES) {
  console.error(`first page JavaScript ${kb(first)} exceeds the ${kb(BUDGET_BYTES)} budget`);
  process.exit(1);
}
console.log(`first page ${kb(first)} <= budget ${kb(BUDGET_BYTES)}`);
