import { test, expect, chromium } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumArgs } from '../chromium';
import { memberWithSchedule } from '../tests/support';

const categories = ['performance', 'accessibility', 'best-practices', 'seo'];

/** Lighthouse on `url` in a Chromium of its own (Debian's) that carries `cookies`. */
async function score(url: string, cookies: Awaited<ReturnType<import('@playwright/test').BrowserContext['cookies']>>) {
  const port = 9300 + Math.floor(Math.random() * 500);
  const profile = mkdtempSync(join(tmpdir(), 'pruuf-lh-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: [...chromiumArgs, `--remote-debugging-port=${port}`],
  });
  try {
    await context.addCookies(cookies);
    const { default: lighthouse } = await import('lighthouse');
    const result = await lighthouse(url, { port, output: 'json', logLevel: 'error', onlyCategories: categories });
    const lhr = result!.lhr;
    // Signed in: the home itself was measured, not the login page it would redirect to.
    expect(new URL(lhr.finalDisplayedUrl).pathname).toBe('/home');
    const low = Object.values(lhr.audits)
      .filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode === 'binary')
      .map((a) => a.id);
    console.log(`${url}: audits not passed: ${low.join(', ') || 'none'}`);
    return Object.fromEntries(categories.map((c) => [c, Math.round((lhr.categories[c]?.score ?? 0) * 100)]));
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

test('Lighthouse: the Member home and the Contact home', async ({ browser, baseURL }) => {
  test.setTimeout(300_000);
  const { tom, mum } = await memberWithSchedule(browser);

  const member = await score(`${baseURL}/home`, await mum.context().cookies());
  const contact = await score(`${baseURL}/home`, await tom.context().cookies());
  console.log('Lighthouse scores (mobile emulation, default throttling):');
  console.table({ 'Member home': member, 'Contact home': contact });
  expect(member.accessibility).toBe(100);
  expect(contact.accessibility).toBe(100);
});
