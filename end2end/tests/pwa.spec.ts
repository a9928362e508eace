import { test, expect, chromium, type Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumArgs } from '../chromium';
import { checkEverywhere, expectNoAxeViolations, hydrated, memberWithSchedule } from './support';

test('every signed-out page passes axe at 1.0× and 1.5× text and at 320 px', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('/');
  await checkEverywhere(page, ['/', '/signup', '/login', '/forgot', '/verify?email=a%40b.io', '/join?code=K7M2QX', '/goodbye', '/terms', '/privacy', '/offline']);
});

// Two tests (each sets up its own family through the server functions, which
// takes about a second) so the two workers share the longest checks.
test('every Member page passes axe at 1.0× and 1.5× text and at 320 px', async ({ browser }) => {
  test.setTimeout(300_000);
  const { mum } = await memberWithSchedule(browser);
  await checkEverywhere(mum, [
    '/home', '/schedule', '/schedule?first=1', '/signup/size', '/start/reminders', '/notifications', '/settings',
    '/settings/alerts', '/settings/delete', '/settings/email?to=new%40example.com', '/devices', '/connections', '/billing',
  ]);
});

test('every Contact page passes axe at 1.0× and 1.5× text and at 320 px', async ({ browser }) => {
  test.setTimeout(300_000);
  const { tom } = await memberWithSchedule(browser);
  await hydrated(tom);
  const mumPage = await tom.getByRole('link', { name: 'Mum: last 30 days' }).getAttribute('href');
  expect(mumPage).toMatch(/^\/people\//);
  await checkEverywhere(tom, ['/home', mumPage!, '/start/invite', '/connections', '/billing', '/settings', '/settings/alerts']);
});

test('the keyboard reaches "I’m OK" on the Member home, in a sensible order', async ({ browser }) => {
  test.setTimeout(120_000);
  const { mum } = await memberWithSchedule(browser);
  await mum.goto('/home');
  await hydrated(mum);
  const button = mum.getByRole('button', { name: 'I’m OK' });
  const seen: string[] = [];
  for (let i = 0; i < 12; i++) {
    await mum.keyboard.press('Tab');
    seen.push(await mum.evaluate(() => (document.activeElement as HTMLElement | null)?.innerText?.trim() ?? ''));
    if (await button.evaluate((b) => b === document.activeElement)) break;
  }
  await expect(button).toBeFocused();
  expect(seen[0]).toBe('Skip to the main content');
  // The focus is visible: an outline of at least 3 px.
  const outline = await button.evaluate((b) => parseFloat(getComputedStyle(b).outlineWidth));
  expect(outline).toBeGreaterThanOrEqual(3);
  await mum.keyboard.press('Enter');
  await expect(mum.getByRole('button', { name: /Checked in at/ })).toBeVisible();
  const box = await mum.getByRole('button', { name: /Checked in at/ }).boundingBox();
  expect(box?.height ?? 0).toBeGreaterThanOrEqual(120);
});

test('Chromium finds the app installable', async ({ baseURL }) => {
  // Installability is never reported in an incognito-like context: a profile of its own.
  const profile = mkdtempSync(join(tmpdir(), 'pruuf-install-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', args: chromiumArgs });
  try {
    const page = await context.newPage();
    await page.goto(`${baseURL}/`);
    await hydrated(page);
    const cdp = await context.newCDPSession(page);
    await expect
      .poll(async () => (await cdp.send('Page.getInstallabilityErrors')).installabilityErrors, { timeout: 20_000 })
      .toEqual([]);
    const manifest = await (await page.request.get('/manifest.webmanifest')).json();
    expect(manifest.display).toBe('standalone');
    expect(manifest.icons.map((i: { sizes: string }) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

test('offline after the first load: the app starts from cache, and a check-in is kept, then sent', async ({
  browser,
}) => {
  test.setTimeout(150_000);
  const { tom, mum } = await memberWithSchedule(browser);

  // The first load: the service worker takes over and keeps the pages and WASM.
  await mum.goto('/home');
  await hydrated(mum);
  await mum.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  await mum.reload();
  await hydrated(mum);
  await expect.poll(() => mum.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);

  await mum.context().setOffline(true);
  await mum.reload();
  await hydrated(mum);
  await expect(mum.getByRole('heading', { name: 'Your check-in', exact: true })).toBeVisible();
  await mum.getByRole('button', { name: 'I’m OK' }).click();
  await expect(mum.locator('.checkin-status')).toContainText('You’re offline — we’ll send it as soon as you’re back.');
  await expect(mum.locator('#checkin-error')).toBeEmpty();
  // The big button says the tap is kept, not lost.
  await expect(mum.getByRole('button', { name: 'Waiting to send…' })).toBeVisible();

  // Tom sees nothing yet: it hasn't reached the server.
  await tom.goto('/home');
  await expect(tom.locator('.watched').first()).not.toContainText('Checked in');

  await mum.context().setOffline(false);
  await expect(mum.locator('.checkin-status')).toContainText('your check-in was sent', { timeout: 30_000 });
  await expect(mum.getByRole('button', { name: /Checked in at/ })).toBeVisible();
  await tom.reload();
  await expect(tom.locator('.watched').first()).toContainText('Checked in');
});
