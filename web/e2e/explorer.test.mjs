// Browser tests of the explorer against the mock endpoint (fixtures executed against the public
// API schema). Run: `npm run test:browser` (after `npm run build`).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { axe, charts, japaneseLabels, launch, newPage, screenshot, serve } from './harness.mjs';
import { createMockGraphql } from './mock-graphql.mjs';

let browser;
let app;
let mock;
let ja;
let en;

before(async () => {
  mock = createMockGraphql();
  [browser, app] = await Promise.all([launch(), serve(mock.handler)]);
  const opts = { timezoneId: 'Asia/Tokyo', viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 };
  ja = await browser.newContext({ ...opts, locale: 'ja-JP' });
  en = await browser.newContext({ ...opts, locale: 'en-GB' });
});

after(async () => {
  await browser?.close();
  await new Promise((r) => (app ? app.server.close(r) : r()));
});

/** Every page ends clean: no GraphQL error at the endpoint, no console error, no CSP violation. */
function assertClean(page) {
  assert.deepEqual(mock.errors, [], 'GraphQL errors at the mock endpoint');
  assert.deepEqual(page.problems, [], 'console errors, exceptions or CSP violations');
}

/** Opens a chart's table alternative (a <details>) by clicking its summary. */
async function openTable(page, figureId) {
  const details = page.locator(`[data-testid="figure-${figureId}"] details`);
  if (!(await details.evaluate((d) => d.open))) await details.locator('summary').click();
}

async function assertAccessible(page, name) {
  const violations = await axe(page);
  assert.deepEqual(violations, [], `serious/critical axe violations on ${name}`);
}

describe('explorer', () => {
  it('serves the app with a strict Content-Security-Policy on every route', async () => {
    for (const route of ['/', '/ja/projects', '/en/market']) {
      const res = await fetch(app.base + route);
      assert.equal(res.status, 200);
      const csp = res.headers.get('content-security-policy');
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    }
    assert.equal((await fetch(`${app.base}/assets/nope.js`)).status, 404);
  });

  it('search → project → batch → certificate (ja)', async () => {
    const page = await newPage(ja);
    await page.goto(`${app.base}/`);
    await page.waitForURL(/\/ja$/);
    assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
    await page.getByTestId('home-search').fill('Bale');
    await page.getByTestId('home-search').press('Enter');
    await page.waitForURL(/\/ja\/projects\?q=Bale/);
    const table = page.getByTestId('projects-table');
    await table.waitFor();
    assert.equal(await table.locator('tbody tr').count(), 1);
    await screenshot(page, '01-projects-search-ja');

    await table.getByRole('link', { name: 'Bale Mountains Eco-region REDD+ project' }).click();
    await page.waitForURL(/\/ja\/projects\/VCS1340$/);
    await page.getByRole('heading', { level: 1, name: 'Bale Mountains Eco-region REDD+ project' }).waitFor();
    const timeline = page.getByTestId('mrv-timeline');
    assert.equal(await timeline.locator(':scope > li').count(), 6);
    assert.match(await timeline.innerText(), /有効性審査[\s\S]*SCS Global Services/);
    const batches = page.getByTestId('batches-table');
    assert.match(await batches.innerText(), /B1340V2020[\s\S]*000000000001–000000050000/);
    assert.match(await batches.innerText(), /5,000 t-CO2e \(10%\)/);
    const eligibility = page.getByTestId('eligibility-table');
    assert.match(await eligibility.innerText(), /GX リーグ 自主的な排出量取引\s+× 不可\s+GX League does not accept category \(4\)/);
    const retirements = page.getByTestId('retirements-table');
    await retirements.waitFor();
    const retText = await retirements.innerText();
    assert.match(retText, /ANA ホールディングス株式会社/);
    assert.match(retText, /自主的なオフセット/);
    assert.match(retText, /2025/);
    assert.equal(await retirements.locator('tbody tr').count(), 3);
    assert.match(await page.getByTestId('cancellations-table').innerText(), /B1340V2020[\s\S]*1,200 t-CO2e/);
    await assertAccessible(page, 'project');
    await screenshot(page, '02-project-ja');

    await batches.getByRole('link', { name: 'B1340V2020' }).click();
    await page.waitForURL(/\/ja\/batches\/B1340V2020$/);
    const [map] = await charts(page);
    assert.ok(map.points >= 4, 'the serial map has its segments');
    assert.ok(map.inked > 200, 'the serial map drew something');
    assert.match(map.label, /バッファー 1–5,000, 無効化 5,001–7,500, その他/);
    await openTable(page, 'serial-map');
    const mapTable = await page.getByTestId('serial-map-table').innerText();
    assert.match(mapTable, /000000005001\s+000000007500\s+2,500 t-CO2e\s+無効化/);
    assert.match(await page.getByTestId('status-table').innerText(), /取消・償却\s+1,200 t-CO2e/);
    await assertAccessible(page, 'batch');
    await screenshot(page, '03-batch-ja');

    await page.getByTestId('batch-retirements-table').getByTestId('certificate-link').first().click();
    await page.waitForURL(/\/ja\/certificates\/CERT-000001$/);
    await page.getByRole('heading', { level: 1, name: '無効化証明書' }).waitFor();
    const verification = page.getByTestId('verification');
    assert.equal(await verification.getAttribute('data-valid'), 'true');
    assert.match(await verification.innerText(), /有効：この証明書は登録簿のハッシュ連鎖台帳の記録と一致します/);
    const facts = await page.getByTestId('certificate-facts').innerText();
    assert.match(facts, /2,500 t-CO2e/);
    assert.match(facts, /Bale Mountains Eco-region REDD\+ project/);
    // Printable: the print stylesheet hides navigation and the print button.
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('.site-header').isVisible(), false);
    assert.equal(await page.getByRole('button', { name: '印刷する' }).isVisible(), false);
    await page.emulateMedia({ media: 'screen' });
    await assertAccessible(page, 'certificate');
    await screenshot(page, '04-certificate-ja');
    assertClean(page);
    await page.close();
  });

  it('filters, sorts and pages projects with every state in the URL, by keyboard (en)', async () => {
    const page = await newPage(en);
    await page.goto(`${app.base}/en/projects`);
    await page.getByTestId('projects-table').waitFor();
    assert.match(await page.getByTestId('result-count').innerText(), /Showing 1–20 of 31/);

    // Keyboard only: the skip link is the first stop, then the search field, then Enter submits.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await page.getByTestId('project-search').focus();
    await page.keyboard.type('VCS-20');
    await page.keyboard.press('Enter');
    await page.waitForURL(/q=VCS-20/);
    await page.getByTestId('result-count').filter({ hasText: /of 26$/ }).waitFor();

    await page.goto(`${app.base}/en/projects?status=REGISTERED&sort=-issued`);
    const rows = page.getByTestId('projects-table').locator('tbody tr');
    await rows.first().waitFor();
    const issued = await rows.evaluateAll((trs) => trs.map((tr) => Number.parseInt(tr.cells[6].textContent.replace(/,/g, ''), 10)));
    assert.deepEqual(issued, [...issued].sort((a, b) => b - a), 'sorted by issued, most first');
    assert.equal(issued[0], 80000);

    await page.goto(`${app.base}/en/projects?type=REMOVAL&basis=NATURE&country=JP`);
    await rows.first().waitFor();
    assert.equal(await rows.count(), 1);
    assert.match(await rows.first().innerText(), /十勝地域/);

    await page.goto(`${app.base}/en/projects?category=NDC_CONTRIBUTING&vintage=2023`);
    await rows.first().waitFor();
    assert.match(await rows.first().innerText(), /ウランバートル/);

    await page.goto(`${app.base}/en/projects`);
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Next' }).click();
    await page.waitForURL(/page=2/);
    await page.getByTestId('result-count').filter({ hasText: 'Showing 21–31 of 31' }).waitFor();
    // A keyboard user follows a result link with Enter.
    const link = page.getByTestId('projects-table').getByRole('link').first();
    await link.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/en\/projects\/[A-Z0-9]+$/);
    await page.getByTestId('project-page').waitFor();
    await page.goto(`${app.base}/en/projects?program=VCS`);
    await rows.first().waitFor();
    await assertAccessible(page, 'projects');
    await screenshot(page, '05-projects-en');
    assertClean(page);
    await page.close();
  });

  it('market: price index, OHLC and volume, trades, tenders and flagged OTC, with charts drawn', async () => {
    const page = await newPage(ja);
    await page.goto(`${app.base}/ja/market`);
    await page.getByTestId('instrument-detail').waitFor();
    const drawn = await charts(page);
    assert.equal(drawn.length, 4, 'price index, OHLC, tenders, venues');
    for (const c of drawn) {
      assert.ok(c.points > 0, `${c.label} has data`);
      assert.ok(c.inked > 200, `${c.label} drew something`);
    }
    assert.equal(await page.getByTestId('trades-table').locator('tbody tr').count(), 12);
    await openTable(page, 'tenders');
    await openTable(page, 'venues');
    const tenders = await page.getByTestId('tenders-table').innerText();
    assert.match(tenders, /100,000 t-CO2e\s+82,000 t-CO2e\s+41\s+￥1,200\s+￥1,612\s+￥1,600/);
    assert.match(await page.getByTestId('otc-flag').innerText(), /報告値/);
    assert.match(await page.getByTestId('venues-table').innerText(), /相対取引（OTC・報告値） OTC\s+35,000 t-CO2e/);

    // The table alternative opens by keyboard.
    const summary = page.locator('[data-testid="figure-ohlc"] summary');
    await summary.focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('ohlc-table').waitFor();
    assert.ok((await page.getByTestId('ohlc-table').locator('tbody tr').count()) >= 20);
    await assertAccessible(page, 'market');
    await screenshot(page, '06-market-ja');

    await page.getByTestId('instruments-table').getByRole('link', { name: 'JCM Article 6.2 (JPY)' }).click();
    await page.waitForURL(/instrument=INS-JCM/);
    await page.getByRole('heading', { name: 'JCM Article 6.2 (JPY)', level: 2 }).waitFor();
    await charts(page);
    assertClean(page);
    await page.close();
  });

  it('statistics: issuance, retirement, stock, Article 6 / JCM and buffer pools, with charts drawn', async () => {
    const page = await newPage(en);
    await page.goto(`${app.base}/en/statistics`);
    await page.getByTestId('statistics-page').waitFor();
    const drawn = await charts(page);
    assert.equal(drawn.length, 8);
    for (const c of drawn) {
      assert.ok(c.points > 0, `${c.label} has data`);
      assert.ok(c.inked > 200, `${c.label} drew something`);
    }
    assert.match(await page.getByTestId('article6-table').innerText(), /Issued with corresponding adjustment[^\n]*\s+12,000 tCO2e/);
    await openTable(page, 'buffer');
    assert.match(await page.getByTestId('buffer-table').innerText(), /Verified Carbon Standard \(Verra\)\s+8,000 tCO2e\s+1,500 tCO2e\s+6,500 tCO2e/);
    assert.match(await page.getByTestId('reversals-table').innerText(), /Harenna/);
    await assertAccessible(page, 'statistics');
    await screenshot(page, '07-statistics-en');
    assertClean(page);
    await page.close();
  });

  it('switches language: every label, numbers and dates follow, the URL stays shareable', async () => {
    // The switch itself reads 日本語 on English pages; every other Japanese label must be gone.
    const labels = japaneseLabels().filter((l) => l !== '日本語');
    assert.ok(labels.length > 100);
    const page = await newPage(ja);
    await page.goto(`${app.base}/ja/projects/VCS1340`);
    await page.getByTestId('retirements-table').waitFor();
    assert.match(await page.getByTestId('project-facts').innerText(), /2012\/01\/01/);
    await page.getByTestId('lang-switch').click();
    await page.waitForURL(/\/en\/projects\/VCS1340$/);
    await page.getByTestId('retirements-table').waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await page.getByRole('heading', { name: 'Issued batches' }).waitFor();
    assert.match(await page.getByTestId('project-facts').innerText(), /1 Jan 2012/);
    assert.match(await page.getByTestId('batches-table').innerText(), /50,000 tCO2e/);
    const text = await page.evaluate(() => document.body.innerText);
    const left = labels.filter((l) => l.length >= 3 && text.includes(l));
    assert.deepEqual(left, [], 'Japanese labels left on the English page');
    await screenshot(page, '08-project-en');

    for (const route of ['/en', '/en/market', '/en/statistics', '/en/batches/B1340V2020', '/en/certificates/CERT-000001']) {
      await page.goto(app.base + route);
      await page.locator('main h1').first().waitFor();
      await page.waitForFunction(() => !document.querySelector('[data-testid="loading"]'));
      const body = await page.evaluate(() => document.querySelector('main').innerText + document.querySelector('header').innerText);
      const stale = labels.filter((l) => l.length >= 3 && body.includes(l));
      assert.deepEqual(stale, [], `Japanese labels left on ${route}`);
    }
    await page.getByTestId('lang-switch').click();
    await page.waitForURL(/\/ja\/certificates\/CERT-000001$/);
    await page.getByRole('heading', { level: 1, name: '無効化証明書' }).waitFor();
    assertClean(page);
    await page.close();
  });

  it('home page and unknown records are accessible', async () => {
    const page = await newPage(ja);
    await page.goto(`${app.base}/ja`);
    await page.waitForFunction(() => !document.body.innerText.includes('…'));
    await assertAccessible(page, 'home');
    await screenshot(page, '00-home-ja');
    await page.goto(`${app.base}/en/certificates/NOPE`);
    await page.getByTestId('not-found').waitFor();
    await page.goto(`${app.base}/en/no-such-page`);
    await page.getByTestId('not-found').waitFor();
    await assertAccessible(page, 'not found');
    assertClean(page);
    await page.close();
  });
});
