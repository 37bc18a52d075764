// Optional end-to-end test against a running platform (`make dev` + `make import-sample`):
//   WEB_E2E_GATEWAY_URL=http://127.0.0.1:4000/graphql npm run test:stack
// Serves web/dist with /graphql proxied to that gateway (as server/serve.mjs does in the dev stack)
// and walks the explorer as a new user would. Skipped when WEB_E2E_GATEWAY_URL is not set.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { charts, launch, newPage, screenshot, serve } from './harness.mjs';

const GATEWAY = process.env.WEB_E2E_GATEWAY_URL;

async function gql(query, variables) {
  const res = await fetch(GATEWAY, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

describe('explorer on the running platform', { skip: GATEWAY ? false : 'WEB_E2E_GATEWAY_URL is not set' }, () => {
  let browser;
  let app;
  let context;

  before(async () => {
    [browser, app] = await Promise.all([launch(), serve(GATEWAY)]);
    context = await browser.newContext({ locale: 'en-GB', timezoneId: 'Asia/Tokyo', viewport: { width: 1280, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    await new Promise((r) => (app ? app.server.close(r) : r()));
  });

  function watch(page) {
    page.on('console', (msg) => {
      if (msg.type() === 'warning' && msg.text().includes('GraphQL')) page.problems.push(`console: ${msg.text()}`);
    });
    return page;
  }

  it('finds an imported Verra project, shows its batches, retirements and certificate, and switches to 日本語', async () => {
    const data = await gql(`{ projects(first: 500) { nodes { id name originProjectId program { id } batches { id retiredQuantity } } } }`);
    const verra = data.projects.nodes.filter((p) => p.program.id === 'VCS' && p.batches.length > 0);
    assert.ok(verra.length > 0, 'no imported Verra project with batches: run `make import-sample`');
    const project = verra.find((p) => p.batches.some((b) => b.retiredQuantity > 0)) ?? verra[0];

    const page = watch(await newPage(context));
    const started = Date.now();
    await page.goto(`${app.base}/en/projects?q=${encodeURIComponent(project.name.slice(0, 24))}`);
    await page.getByTestId('projects-table').waitFor();
    const searchMs = Date.now() - started;
    console.log(`# projects search shown in ${searchMs} ms`);
    await page.getByTestId('projects-table').getByRole('link', { name: project.name, exact: true }).first().click();
    await page.getByTestId('project-page').waitFor();
    const batches = await page.getByTestId('batches-table').innerText();
    for (const b of project.batches) assert.ok(batches.includes(b.id), `batch ${b.id} listed`);
    await page.waitForFunction(() => !document.querySelector('[data-testid="loading"]'));
    await screenshot(page, 'stack-01-project-en');

    const retired = project.batches.find((b) => b.retiredQuantity > 0);
    if (retired) {
      const links = page.getByTestId('retirements-table').getByTestId('certificate-link');
      if ((await links.count()) > 0) {
        await links.first().click();
        await page.getByTestId('certificate-page').waitFor();
        assert.equal(await page.getByTestId('verification').getAttribute('data-valid'), 'true');
        await screenshot(page, 'stack-02-certificate-en');
        await page.goBack();
      }
    }
    await page.goto(`${app.base}/en/batches/${encodeURIComponent(project.batches[0].id)}`);
    await page.getByTestId('batch-page').waitFor();
    await charts(page);
    await screenshot(page, 'stack-03-batch-en');

    await page.goto(`${app.base}/en/projects/${encodeURIComponent(project.id)}`);
    await page.getByTestId('project-page').waitFor();
    await page.getByTestId('lang-switch').click();
    await page.getByRole('heading', { name: '発行バッチ' }).waitFor();
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  it('shows the market (a price chart once trades have settled) and the statistics', async () => {
    const page = watch(await newPage(context));
    await page.goto(`${app.base}/ja/market`);
    await page.getByTestId('market-page').waitFor();
    await page.waitForFunction(() => !document.querySelector('[data-testid="loading"]'));
    const { creditMarketStatistics } = await gql('{ creditMarketStatistics { prices { day } } }');
    if (creditMarketStatistics.prices.length > 0) {
      const drawn = await charts(page);
      assert.ok(drawn[0].inked > 200, 'the price index is drawn');
    }
    await screenshot(page, 'stack-04-market-ja');
    await page.goto(`${app.base}/ja/statistics`);
    await page.getByTestId('statistics-page').waitFor({ timeout: 30_000 });
    await charts(page, { timeout: 30_000 });
    await screenshot(page, 'stack-05-statistics-ja');
    assert.deepEqual(page.problems, []);
    await page.close();
  });
});
