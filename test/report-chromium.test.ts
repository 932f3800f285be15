// `grape report` end to end: written from a data dir by the CLI, then opened in headless Chromium
// (Debian's chromium, driven by playwright-core) with the network cut off: it renders with no
// console error and no request but its own file, every chart is a non-empty SVG of real size, and
// a screenshot is kept (GRAPE_REPORT_SCREENSHOT names where) for a person to look at.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';

import { chromium } from 'playwright-core';

import { runCli } from './helpers/cli.js';
import { scratchDir } from './helpers/policy-fixtures.js';
import { reportFixtureDir } from './helpers/report-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// CI installs chromium (.ci/run); elsewhere its absence skips, saying so.
const missing =
  !existsSync(CHROMIUM) && !process.env.CI
    ? `${CHROMIUM} is not installed (apt-get install chromium)`
    : false;

describe('grape report in headless Chromium', { skip: missing }, () => {
  it('renders every chart, offline, without errors', async () => {
    const dataDir = reportFixtureDir();
    const out = scratchDir('grape-report-out-');
    const r = runCli(['--data-dir', dataDir, 'report', '--out', out, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const written = JSON.parse(r.stdout) as { path: string; sections: { id: string; present: boolean }[] };
    assert.equal(written.path, join(out, 'index.html'));
    assert.ok(written.sections.every((s) => s.present));

    const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'grape-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1340, height: 900 },
    });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      const url = pathToFileURL(written.path).href;
      await page.route('**/*', (route) => {
        if (route.request().url() === url) return route.continue();
        problems.push(`request: ${route.request().url()}`);
        return route.abort();
      });
      await page.goto(url, { waitUntil: 'load' });
      assert.equal(await page.locator('h1').textContent(), 'grape report');
      const charts = page.locator('svg.chart');
      assert.equal(await charts.count(), 9);
      for (let i = 0; i < 9; i++) {
        const chart = charts.nth(i);
        const box = await chart.boundingBox();
        assert.ok(box && box.width > 300 && box.height > 150, `chart ${i} is ${JSON.stringify(box)}`);
        const marks = await chart.locator('rect, polyline, path, circle').count();
        assert.ok(marks > 0, `chart ${i} (${await chart.getAttribute('aria-label')}) draws nothing`);
        assert.ok(((await chart.textContent()) ?? '').length > 20, `chart ${i} has no labels`);
      }
      for (const id of ['success', 'safety', 'scores', 'pairs', 'training'])
        assert.ok(await page.locator(`#${id} h2`).isVisible(), `section ${id}`);
      const screenshot = process.env.GRAPE_REPORT_SCREENSHOT ?? join(out, 'report.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      assert.ok(statSync(screenshot).size > 50_000, 'the screenshot is nearly empty');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});
