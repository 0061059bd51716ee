/**
 * `npm run test:ui`: the dashboard in a real browser. A private cluster
 * (UI_POSTGRES_PORT, 30433, and up), the observer, the API and the simulator
 * in this process; headless Chromium (the system's, through puppeteer-core)
 * opens /dashboard and waits until every chart has data points and the node
 * list shows the primary and every replica; then a screenshot
 * (UI_SCREENSHOT, default .ui-test/dashboard.png). Exits 1 on any failure,
 * any page error or a failed request of the page.
 */
import 'reflect-metadata';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import puppeteer, { type Browser } from 'puppeteer-core';
import { startApi, startObserver, startPrivateCluster, startSimulator } from '@app/dev-tools';
import { findChromium } from '../src/ui/chromium';
import { envNumber, PORT as TCP_PORT } from '../src/process/env.number';
import { problems, readDashboard } from '../src/ui/dashboard.check';

const PORT = envNumber('UI_POSTGRES_PORT', 30433, TCP_PORT);
const SCREENSHOT = resolve(process.env.UI_SCREENSHOT ?? '.ui-test/dashboard.png');
const TIMEOUT_MS = envNumber('UI_TIMEOUT_S', 60, { min: 1, max: 3600 }) * 1000;
/** Seconds of history on the charts before the screenshot, once every check passes. */
const SETTLE_MS = envNumber('UI_SETTLE_S', 8, { min: 0, max: 600 }) * 1000;
const say = (line: string) => console.log(`test:ui | ${line}`);

async function main(): Promise<number> {
  const started = Date.now();
  const chromium = findChromium();
  say(`cluster: primary + 5 replicas on ${PORT}+; browser ${chromium}`);
  const { cluster, appEnv, observerEnv } = await startPrivateCluster('ui', PORT);
  const expected = cluster.nodes.map((n) => n.name);
  const observer = await startObserver(observerEnv, { OBSERVER_INTERVAL_MS: '250' });
  const api = await startApi(appEnv);
  const sim = await startSimulator(api.url, {
    SIM_USERS: '6',
    SIM_WAIT_MAX_MS: '300',
    SIM_REPORT_EVERY_S: '3600',
  });
  const stop = new AbortController();
  const running = sim.simulator.run(stop.signal);
  let browser: Browser | undefined;
  const failures: string[] = [];
  try {
    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      // Root in a container: no user namespaces for the sandbox.
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    const page = await browser.newPage();
    page.on('pageerror', (error) => failures.push(`page error: ${String(error)}`));
    page.on('console', (m) => m.type() === 'error' && failures.push(`console: ${m.text()}`));
    page.on('requestfailed', (r) => failures.push(`request failed: ${r.url()}`));
    page.on('response', (r) => r.status() >= 400 && failures.push(`${r.status()} ${r.url()}`));
    await page.setViewport({ width: 1400, height: 1000 });
    say(`opening ${api.url}/dashboard`);
    await page.goto(`${api.url}/dashboard`, { waitUntil: 'load' });
    const deadline = Date.now() + TIMEOUT_MS;
    let left: string[] = ['not read yet'];
    while (left.length > 0 && Date.now() < deadline) {
      await sleep(500);
      left = problems(await readDashboard(page), expected);
    }
    if (left.length > 0) failures.push(...left);
    else {
      say(
        `every chart has data and all ${expected.length} nodes are listed after ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      await sleep(SETTLE_MS);
    }
    const reading = await readDashboard(page);
    say(`points per chart: ${JSON.stringify(reading.charts)}; nodes: ${reading.nodes.join(', ')}`);
    failures.push(...problems(reading, expected).filter((p) => !failures.includes(p)));
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    say(`screenshot: ${SCREENSHOT}`);
  } finally {
    await browser?.close().catch(() => undefined);
    stop.abort();
    const stats = await running.catch(() => undefined);
    if (stats) say(`simulator: ${stats.summary()}`);
    await sim.close();
    await api.close();
    await observer.close();
    await cluster.stopAll('fast');
    rmSync(cluster.settings.dataDir, { recursive: true, force: true });
  }
  say(
    `${failures.length === 0 ? 'PASSED' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  for (const f of failures) say(`  ${f}`);
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      `test:ui | ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exit(1);
  },
);
