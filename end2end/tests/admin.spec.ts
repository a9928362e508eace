import { test, expect, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import {
  adminCodeFor,
  advanceClock,
  checkEverywhere,
  expectNoAxeViolations,
  freshEmail,
  hydrated,
  logIn,
  quickSignUp,
} from './support';

// scripts/test.sh starts the Twilio stand-in (test-support's fake-twilio) and
// points the server at it.
const fake = process.env.PRUUF_FAKE_TWILIO;
const databaseURL = process.env.PRUUF_E2E_DATABASE_URL ?? 'postgres://pruuf@127.0.0.1:55432/pruuf';
const server = process.env.PRUUF_E2E_SERVER ?? 'target/release/server';

/** `server admin grant EMAIL`, as an operator types it (against the test database). */
function grantFromTheCommandLine(email: string): string {
  return execFileSync(server, ['admin', 'grant', email], {
    cwd: '..',
    env: { ...process.env, DATABASE_URL: databaseURL, PRUUF_ENV: 'test', RUST_LOG: 'warn' },
    encoding: 'utf8',
  });
}

const adminMenu = (page: Page) => page.getByRole('navigation', { name: 'Admin' });

async function textsTo(number: string): Promise<string[]> {
  const sent = (await (await fetch(`${fake}/__fake/messages`)).json()) as Array<{ to: string; body: string }>;
  return sent.filter((m) => m.to === number).map((m) => m.body);
}

test('an admin granted on the command line steps up, finds a person masked, and retries a failed delivery', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(300_000);
  expect(fake, 'PRUUF_FAKE_TWILIO: run through scripts/test.sh').toBeTruthy();

  // Margaret adds her mobile; Twilio refuses the confirmation text for good
  // (error 21408: texts to that region are not enabled on the account).
  const margaretEmail = freshEmail('margaret');
  const margaret = await (await browser.newContext()).newPage();
  await quickSignUp(margaret, margaretEmail, '3968');
  const local = `415555${2000 + Math.floor(Math.random() * 7000)}`;
  const e164 = `+1${local}`;
  const scripted = await fetch(`${fake}/__fake/script`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ number: e164, answers: [[400, 21408]] }),
  });
  expect(scripted.status).toBe(200);
  await margaret.goto('/settings/alerts');
  await hydrated(margaret);
  await margaret.getByLabel('Your mobile number').fill(local);
  await margaret.getByRole('button', { name: 'Text me to confirm' }).click();
  await expect(margaret.getByText('Waiting for you to reply YES to our text.')).toBeVisible();

  // The operator: an account, then admin from the command line, then log in.
  const adminEmail = freshEmail('operator');
  const page = await (await browser.newContext()).newPage();
  await quickSignUp(page, adminEmail, '5172');
  expect(grantFromTheCommandLine(adminEmail)).toContain('granted');
  await page.context().clearCookies();
  await logIn(page, adminEmail, '5172');
  await expect(page).toHaveURL(/\/home/);

  // The admin pages ask for a code from the admin's email first.
  await page.goto('/admin');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Confirm it’s you' })).toBeVisible();
  await expect(page.getByText('Detector lag')).toHaveCount(0);
  await expectNoAxeViolations(page);
  await advanceClock(baseURL!, 61); // codes to one address come a minute apart
  await page.getByRole('button', { name: 'Email me a code' }).click();
  await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
  const code = await adminCodeFor(adminEmail);
  await page.getByLabel('Digit 1 of 6').click();
  await page.keyboard.type(code);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Health', exact: true })).toBeVisible();
  await expect(page.getByText('Detector lag')).toBeVisible();

  // Find Margaret by a part of her address: masked, email and phone.
  await adminMenu(page).getByRole('link', { name: 'People' }).click();
  await expect(page.getByRole('heading', { name: 'People', exact: true })).toBeVisible();
  const part = margaretEmail.split('@')[0].slice(9);
  await page.getByLabel('Email (or part of it), or id').fill(part);
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.locator('.results-count')).toHaveText('1 person');
  await expect(page.getByRole('link', { name: 'm***@example.com' })).toBeVisible();
  await expect(page.getByText(`+1 *** *** ${local.slice(-4)}`)).toBeVisible();
  await expect(page.getByText(margaretEmail)).toHaveCount(0);
  await expect(page.getByText(e164)).toHaveCount(0);
  await page.getByRole('link', { name: 'm***@example.com' }).click();
  await expect(page.getByRole('heading', { name: 'm***@example.com' })).toBeVisible();
  await expect(page.getByText(margaretEmail)).toHaveCount(0);
  const personPath = new URL(page.url()).pathname;
  await expectNoAxeViolations(page);

  // Her confirmation text failed: listed under her failed deliveries (by text),
  // opened, retried.
  await page.getByRole('link', { name: 'Failed deliveries to this person' }).click();
  await page.getByLabel('Channel').selectOption('sms');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/channel=sms/);
  const failed = page.getByRole('link', { name: 'sms sms_verify to m***@example.com: failed' });
  await expect(async () => {
    await page.reload();
    await expect(failed).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await expectNoAxeViolations(page);
  await failed.click();
  await expect(page.getByText('Twilio answered 400 (error 21408)')).toBeVisible();
  expect(await textsTo(e164)).toEqual([]);
  await page.getByRole('button', { name: 'Retry this delivery' }).click();
  await expect(page.locator('.notice-text')).toHaveText('1 delivery is back in the queue.');
  await expect.poll(() => textsTo(e164), { timeout: 30_000 }).toEqual([
    'Pruuf: reply YES to confirm this number for Pruuf. Reply STOP to opt out.',
  ]);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'sms sms_verify: sent' })).toBeVisible();
  await expectNoAxeViolations(page);

  // Every admin page, at both text sizes and at 320 px.
  const delivery = new URL(page.url()).pathname;
  await checkEverywhere(page, [
    '/admin',
    `/admin/people?q=${part}`,
    personPath,
    `/admin/deliveries?person=${personPath.split('/').pop()}`,
    delivery,
    '/admin/webhooks',
  ]);
});
