import { test, expect, type Page, type Request } from '@playwright/test';
import { memberWithSchedule } from '../tests/support';

// A measurement (scripts/lighthouse.sh), not a test: the Member home on a slow
// phone. Chromium's DevTools protocol throttles the network (1.6 Mbps down,
// 750 kbps up, 150 ms round trip) and the CPU (4x slower), then reports, for a
// first visit and a repeat one (the service worker in charge): the bytes that
// crossed the network, the time until the "I'm OK" button was shown and the
// time until the page was hydrated (the WASM running).
async function visit(page: Page, baseURL: string, label: string) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 150,
    downloadThroughput: (1.6 * 1024 * 1024) / 8,
    uploadThroughput: (750 * 1024) / 8,
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  // Bytes that crossed the network: every response the page or its service
  // worker fetched, headers and (compressed) body; not what the worker answered
  // from its cache. (The throttle applies to the page's own requests; the
  // worker's fetches are not slowed, which flatters a network-first worker.)
  let bytes = 0;
  const context = page.context();
  const count = async (r: Request) => {
    const response = await r.response();
    if (!response || (!r.serviceWorker() && response.fromServiceWorker())) return;
    const sizes = await r.sizes();
    bytes += sizes.responseBodySize + sizes.responseHeadersSize;
  };
  const counting: Promise<void>[] = [];
  const onFinished = (r: Request) => void counting.push(count(r));
  context.on('requestfinished', onFinished);
  const start = Date.now();
  await page.goto(`${baseURL}/home`, { waitUntil: 'commit' });
  await page.getByRole('button', { name: 'I’m OK' }).waitFor();
  const button = Date.now() - start;
  await expect(page.locator('html[data-hydrated="true"]')).toBeAttached({ timeout: 120_000 });
  const hydrated = Date.now() - start;
  await page.waitForLoadState('networkidle');
  context.off('requestfinished', onFinished);
  await Promise.all(counting);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
  await cdp.detach();
  console.log(
    `${label}: ${bytes.toLocaleString('en')} bytes over the network; button shown at ${button} ms, hydrated at ${hydrated} ms`,
  );
}

test('the Member home on a slow phone: bytes and time to hydrated, first and repeat visit', async ({ browser, baseURL }) => {
  test.setTimeout(300_000);
  const { mum } = await memberWithSchedule(browser);
  // A new browser profile signed in as her, with nothing cached yet.
  const context = await browser.newContext();
  await context.addCookies(await mum.context().cookies());
  const page = await context.newPage();
  await visit(page, baseURL!, 'first visit');
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller), { timeout: 30_000 }).toBe(true);
  await visit(page, baseURL!, 'repeat visit');
  await context.close();
});
