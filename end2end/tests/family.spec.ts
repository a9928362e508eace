import { test, expect, type Page } from '@playwright/test';
import {
  completeSignUp,
  consoleErrors,
  expectNoAxeViolations,
  fakePushFor,
  freshEmail,
  hydrated,
  inviteLinkFor,
  inviteMailFor,
  logIn,
  pushesTo,
  quickSchedule,
} from './support';

/** A zone where the server's clock reads between 3 AM and 8 PM, and the local
 *  time there (so times half an hour either side stay on the same day). */
async function dayZone(baseURL: string) {
  const now = new Date(((await (await fetch(`${baseURL}/__test/clock`)).json()) as { now: string }).now);
  for (const zone of ['Pacific/Honolulu', 'America/New_York', 'Europe/London', 'Asia/Kolkata', 'Asia/Tokyo', 'Pacific/Auckland']) {
    const parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(now);
    const hour = Number(parts.find((p) => p.type === 'hour')!.value);
    const minute = Number(parts.find((p) => p.type === 'minute')!.value);
    if (hour >= 3 && hour < 20) return { zone, minutes: hour * 60 + minute };
  }
  throw new Error('no zone in daytime');
}

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

async function reloadUntil(page: Page, text: string) {
  await expect
    .poll(
      async () => {
        await page.reload();
        return (await page.locator('main').innerText()).includes(text);
      },
      { timeout: 30_000 },
    )
    .toBe(true);
}

test('Tom invites Mum by name; she joins, sets 10:00 and turns on reminders; Tom can call her; she misses, checks in, downloads her data and leaves', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(240_000);
  const tomEmail = freshEmail('tom');
  const mumEmail = freshEmail('mum');

  // Tom signs up with his name, and his first step is adding Mum (with her number).
  const tom = await (await browser.newContext()).newPage();
  const tomErrors = consoleErrors(tom);
  await tom.goto('/signup');
  await hydrated(tom);
  await completeSignUp(tom, tomEmail, '4826', 'Tom');
  await expect(tom.getByRole('heading', { name: 'Welcome to Pruuf!' })).toBeVisible();
  await tom.getByRole('link', { name: 'Continue' }).click();
  await expect(tom.getByRole('heading', { name: 'Add the person you look out for' })).toBeVisible();
  await hydrated(tom);
  await expectNoAxeViolations(tom);
  await tom.getByLabel('Their name (what you call them, like Mum)').fill('Mum');
  await tom.getByLabel('Their email address').fill(mumEmail);
  await tom.getByLabel('Their mobile number (optional)').fill('+1 415 555 2671');
  await tom.getByRole('button', { name: 'Send invitation' }).click();
  await expect(tom).toHaveURL(/\/home/);

  // The mail and the join page name Tom.
  expect(await inviteMailFor(mumEmail)).toContain('Tom would like to look out for you');
  const { zone, minutes } = await dayZone(baseURL!);
  const mumContext = await browser.newContext({ timezoneId: zone });
  const pushId = await fakePushFor(mumContext);
  const mum = await mumContext.newPage();
  const mumErrors = consoleErrors(mum);
  await mum.goto(await inviteLinkFor(mumEmail));
  await hydrated(mum);
  await expect(mum.getByText('Tom would like to look out for you')).toBeVisible();
  await expectNoAxeViolations(mum);

  // Her address is filled in; she signs up, and is connected with Tom.
  await mum.getByRole('link', { name: 'Create my account' }).click();
  await expect(mum.getByLabel('Your email address')).toHaveValue(mumEmail);
  await hydrated(mum);
  await completeSignUp(mum, mumEmail, '3968', 'Margaret');
  await expect(mum.locator('.notice-text')).toHaveText('You’re connected with Tom.');
  await expect(mum.getByText('Step 1 of 3')).toBeVisible();
  await expect(mum.locator('html')).toHaveAttribute('data-text-size', 'large');
  await hydrated(mum);
  await mum.getByRole('button', { name: 'Extra large' }).click();
  await expect(mum.locator('html')).toHaveAttribute('data-text-size', 'extra-large');
  await expectNoAxeViolations(mum);

  // Her daily time: 10:00.
  await mum.getByRole('link', { name: 'Continue' }).click();
  await expect(mum.getByRole('heading', { name: 'Set your daily time' })).toBeVisible();
  await hydrated(mum);
  await expect(mum.getByLabel('Your time zone')).toHaveValue(zone);
  await mum.getByLabel('Check in by').fill('10:00');
  await mum.getByRole('button', { name: 'Save my check-in time' }).click();

  // Reminders on this phone, and a test that reaches it.
  await expect(mum.getByRole('heading', { name: 'Turn on reminders on this phone' })).toBeVisible();
  await hydrated(mum);
  await expectNoAxeViolations(mum);
  await mum.getByRole('button', { name: 'Turn on reminders on this device' }).click();
  await expect(mum.locator('.device-status')).toContainText('Alerts are on for this device.');
  await mum.getByRole('button', { name: 'Send me a test alert' }).click();
  await expect(mum.getByRole('status')).toContainText('Test alert sent');
  await expect
    .poll(async () => (await pushesTo(pushId)).some((t) => t.includes('A test alert from Pruuf')), { timeout: 30_000 })
    .toBe(true);
  await mum.getByRole('link', { name: 'Done: go to my check-in' }).click();
  await expect(mum.getByRole('heading', { name: 'Your check-in', exact: true })).toBeVisible();

  // Later she moves her time to half an hour from now: the reminder (an hour
  // before) is due at once, and reaches her phone.
  await quickSchedule(mum, zone, hhmm(minutes + 30));
  await expect
    .poll(async () => (await pushesTo(pushId)).some((t) => t.includes('Time to check in')), { timeout: 30_000 })
    .toBe(true);

  // Tom sees "Mum" and can call or text her on the number he gave.
  await tom.goto('/home');
  await hydrated(tom);
  await expect(tom.getByRole('heading', { name: 'Mum', exact: true })).toBeVisible();
  await expect(tom.getByRole('link', { name: 'Call Mum' })).toHaveAttribute('href', 'tel:+14155552671');
  await expect(tom.getByRole('link', { name: 'Text Mum' })).toHaveAttribute('href', 'sms:+14155552671');
  await expectNoAxeViolations(tom);

  // She misses (her time moved to half an hour ago, 15 minutes' grace): her home
  // says kindly that Tom was told, and the button still checks her in.
  await quickSchedule(mum, zone, hhmm(minutes - 30));
  await mum.goto('/home');
  await reloadUntil(mum, 'Tom has been told.');
  await hydrated(mum);
  await expectNoAxeViolations(mum);
  await mum.getByRole('button', { name: /I’m OK/ }).click();
  await expect(mum.locator('.checkin-status')).toContainText('You checked in!');

  // "Download my data": a JSON file with her check-in.
  await mum.goto('/settings');
  await hydrated(mum);
  await expectNoAxeViolations(mum);
  const [download] = await Promise.all([
    mum.waitForEvent('download'),
    mum.getByRole('link', { name: 'Download my data' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^pruuf-export-\d{4}-\d{2}-\d{2}\.json$/);
  const { readFile } = await import('node:fs/promises');
  const exported = JSON.parse(await readFile((await download.path())!, 'utf8'));
  expect(exported.check_ins).toHaveLength(1);
  expect(exported.profile[0].name).toBe('Margaret');
  expect(JSON.stringify(exported)).not.toContain(tomEmail);

  // "Delete my account", confirmed with her PIN: Tom sees the connection end, and
  // the old PIN signs no one in.
  await mum.getByRole('link', { name: 'Delete my account' }).click();
  await expect(mum.getByRole('heading', { name: 'Delete my account', level: 1 })).toBeVisible();
  await hydrated(mum);
  await expect(mum.getByText('Tom will no longer be told if you miss a check-in.')).toBeVisible();
  await expectNoAxeViolations(mum);
  await mum.getByLabel('Your 4-number PIN, to confirm').fill('3968');
  await mum.getByLabel('I understand: delete my account').check();
  await mum.getByRole('button', { name: 'Delete my account' }).click();
  await expect(mum.getByRole('heading', { name: 'Your account is deleted' })).toBeVisible();
  await tom.goto('/connections');
  await expect(tom.getByText('No one yet. Invite someone below.')).toBeVisible();
  expect(tomErrors).toEqual([]);
  expect(mumErrors).toEqual([]);
  // (The refused log-in below is a 400, which the browser logs.)
  await logIn(mum, mumEmail, '3968');
  await expect(mum.getByRole('alert')).toBeVisible();
  await expect(mum).toHaveURL(/\/login/);
});
