// Shared by the browser tests: Debian's Chromium through playwright-core, axe-core injected
// through the DevTools protocol (the page's CSP forbids inline scripts, and that is kept on), the
// app served by server/serve.mjs, screenshots under web/test-results/.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../server/serve.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const WEB_DIR = path.resolve(here, '..');
export const DIST = path.join(WEB_DIR, 'dist');
export const RESULTS = path.join(WEB_DIR, 'test-results');
const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launch() {
  if (!existsSync(path.join(DIST, 'index.html'))) throw new Error('web/dist is missing: run `npm run build` in web/ first');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  mkdirSync(RESULTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export async function serve(graphql) {
  const server = await startServer({ host: '127.0.0.1', port: 0, dist: DIST, graphql });
  const { port } = server.address();
  return { server, base: `http://127.0.0.1:${port}` };
}

/** A page that records console errors, uncaught exceptions and CSP violations. */
export async function newPage(context) {
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.problems = problems;
  return page;
}

/** Runs axe-core; returns the serious and critical violations (WCAG 2.1 A/AA and best practices). */
export async function axe(page) {
  const loaded = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    // Open every table alternative so that axe checks the tables too.
    document.querySelectorAll('details').forEach((d) => {
      d.open = true;
    });
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    document.querySelectorAll('details').forEach((d) => {
      d.open = false;
    });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Waits until every chart on the page has rendered, and returns how much each one drew. */
export async function charts(page, { timeout = 10_000 } = {}) {
  await page.waitForFunction(
    () => {
      const all = [...document.querySelectorAll('[data-testid="chart"]')];
      return all.length > 0 && all.every((c) => c.dataset.rendered === 'true');
    },
    undefined,
    { timeout },
  );
  return page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="chart"]')].map((el) => {
      const canvas = el.querySelector('canvas');
      let inked = 0;
      if (canvas) {
        const ctx = canvas.getContext('2d');
        const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
        for (let i = 0; i < data.length; i += 16) {
          // non-transparent and not white: something was drawn
          if (data[i + 3] > 0 && (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235)) inked++;
        }
      }
      return { label: el.getAttribute('aria-label'), points: Number(el.dataset.points), inked };
    }),
  );
}

export async function screenshot(page, name) {
  const file = path.join(RESULTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The Japanese dictionary's values, read from the source (for the language-switch test). */
export function japaneseLabels() {
  const src = readFileSync(path.join(WEB_DIR, 'src/i18n/dict.ts'), 'utf8');
  const block = src.slice(src.indexOf('export const ja = {'), src.indexOf('} as const;'));
  const values = [...block.matchAll(/^\s*'[^']+':\s*'((?:[^'\\]|\\.)*)',?$/gm)].map((m) => m[1]);
  return values.filter((v) => /[\u3040-\u30ff\u4e00-\u9fff]/.test(v)).map((v) => v.replace(/\{\w+\}.*$/s, '').trim()).filter((v) => v.length >= 2);
}
