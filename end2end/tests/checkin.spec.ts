import { test, expect, type Browser, type Page } from '@playwright/test';
import {
  consoleErrors,
  expectNoAxeViolations,
  freshEmail,
  hydrated,
  memberWithSchedule,
  quickInvite,
  quickJoin,
  quickSchedule,
  quickSignUp,
  zoneAwayFromMidnight,
} from './support';

/** Tom (a Contact in New York) and Mum (his Member in Honolulu), connected, Mum with a schedule. */
async function family(browser: Browser) {
  const tomEmail = freshEmail('tom');
  const mumEmail = freshEmail('mum');
  const tomContext = await browser.newContext({ timezoneId: 'America/New_York' });
  const tom = await tomContext.newPage();
  await quickSignUp(tom, tomEmail, '4826');
  await quickInvite(tom, 'Mum', mumEmail);
  const mum = await quickJoin(browser, mumEmail, 'Pacific/Honolulu');
  const mumContext = mum.context();

  // Mum chooses her time: the zone comes from her browser.
  await mum.goto('/home');
  await hydrated(mum);
  await mum.getByRole('link', { name: 'Choose my check-in time' }).click();
  await expect(mum.getByRole('heading', { name: 'Your daily check-in time' })).toBeVisible();
  await hydrated(mum);
  await expect(mum.getByLabel('Your time zone')).toHaveValue('Pacific/Honolulu');
  await mum.getByLabel('Check in by').fill('10:00');
  await mum.getByRole('button', { name: 'Save my check-in time' }).click();
  await expect(mum.locator('.notice-text')).toContainText('Your check-in time is saved');
  return { tom, mum, tomContext, mumContext };
}

const checkedInAt = /Checked in at \d{1,2}:\d\d (AM|PM)/;

test('a Member checks in with one tap; the Contact sees it within a minute; a second tap changes nothing', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const { tom, mum } = await family(browser);
  const tomErrors = consoleErrors(tom);

  // Tom's home, open before Mum checks in, with the page's clock under the test's control.
  await tom.clock.install();
  await tom.goto('/home');
  await hydrated(tom);
  const mumCard = tom.locator('li.watched', { has: tom.getByRole('heading', { name: 'Mum', exact: true }) });
  await expect(mumCard).toBeVisible();
  await expect(mumCard).not.toContainText('Checked in at');
  await expect(mumCard).toContainText(/HST · \d{1,2}:\d\d (AM|PM) your time/);
  await expectNoAxeViolations(tom);

  // Mum taps "I'm OK".
  await mum.goto('/home');
  await hydrated(mum);
  const errors = consoleErrors(mum);
  // She only checks in, and can still have her reminders on this phone.
  await expect(mum.getByRole('button', { name: 'Turn on reminders on this device' })).toBeVisible();
  await expect(mum.getByRole('button', { name: 'Send me a test alert' })).toBeVisible();
  await expectNoAxeViolations(mum);
  const button = mum.getByRole('button', { name: 'I’m OK' });
  const box = await button.boundingBox();
  expect(box?.height ?? 0).toBeGreaterThanOrEqual(120);
  await button.click();
  await expect(mum.getByRole('status')).toHaveText('You checked in! Your family can see you’re OK.');
  await expect(mum.locator('.checkin-button')).toHaveText(checkedInAt);
  const shown = (await mum.locator('.checkin-button').textContent()) ?? '';

  // A second tap: the first check-in stands.
  await mum.locator('.checkin-button').click();
  await expect(mum.getByRole('status')).toHaveText(`You already ${shown.replace('Checked', 'checked')}.`);
  expect(errors).toEqual([]);

  // Tom's page refreshes itself within a minute, without a reload.
  await tom.clock.fastForward('01:05');
  await expect(mumCard).toContainText(shown);
  await expect(mumCard.locator('.badge')).toHaveText('Checked in');
  expect(tomErrors).toEqual([]);

  // The notification list has the confirmation, once.
  await tom.goto('/notifications');
  await expect(tom.getByText(/^Mum checked in at .* All is well\.$/)).toHaveCount(1);

  // Mum's history shows today.
  await mum.goto('/home');
  await mum.getByRole('link', { name: /I’m away/ }).click();
  await expect(mum.getByRole('heading', { name: 'Your check-ins' })).toBeVisible();
  await expect(mum.locator('table.history tbody tr').first()).toContainText(/On time|Late/);
});

test('the I’m OK button works without JavaScript', async ({ browser }) => {
  test.setTimeout(120_000);
  const { mumContext, tom } = await family(browser);
  const noScript = await browser.newContext({
    javaScriptEnabled: false,
    storageState: await mumContext.storageState(),
  });
  const mum = await noScript.newPage();
  await mum.goto('/home');
  await expect(mum.locator('html')).not.toHaveAttribute('data-hydrated', 'true');
  await mum.getByRole('button', { name: 'I’m OK' }).click();
  await expect(mum.getByRole('status')).toHaveText('You checked in! Your family can see you’re OK.');
  await expect(mum.locator('.checkin-button')).toHaveText(checkedInAt);
  await mum.getByRole('button', { name: checkedInAt }).click();
  await expect(mum.getByRole('status')).toHaveText(/^You already checked in at/);
  await tom.goto('/home');
  await expect(tom.locator('li.watched .badge')).toHaveText('Checked in');
});

test('both home pages pass axe, AAA included, at 1.5x text', async ({ browser }) => {
  test.setTimeout(120_000);
  const { tom, mum } = await family(browser);
  for (const page of [tom, mum] as Page[]) {
    await page.goto('/home');
    await hydrated(page);
    await page.evaluate(() => document.documentElement.setAttribute('data-text-size', 'extra-large'));
    await expectNoAxeViolations(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  }
  await mum.goto('/schedule');
  await hydrated(mum);
  await expectNoAxeViolations(mum);
});

test('a Member running late moves today’s time once, and her Contact is told quietly', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const { zone, hour, minute } = await zoneAwayFromMidnight(baseURL!);
  const { tom, mum } = await memberWithSchedule(browser, zone);
  const mumErrors = consoleErrors(mum);
  // Her time is an hour from now (before 11 PM: the server's clock reads before 10 PM there).
  await quickSchedule(mum, zone, `${String(hour + 1).padStart(2, '0')}:${String(minute).padStart(2, '0')}`);
  await mum.goto('/home');
  await hydrated(mum);
  await mum.getByRole('link', { name: 'Running late today?' }).click();
  await expect(mum.getByRole('heading', { name: 'Running late today?', level: 1 })).toBeVisible();
  await hydrated(mum);
  await expectNoAxeViolations(mum);
  await mum.getByLabel('Move today’s time later by').selectOption('60');
  await mum.getByRole('button', { name: 'Move today’s time' }).click();
  await expect(mum.getByRole('status')).toHaveText('Done. Today’s check-in has moved, and everyone has been told.');
  await expect(mum.getByText('Today’s time has been moved once already.', { exact: false })).toBeVisible();
  await mum.goto('/home');
  await hydrated(mum);
  await expect(mum.getByRole('link', { name: 'Running late today?' })).toHaveCount(0);

  await tom.goto('/notifications');
  await expect(tom.getByText(/Mum is running late today, and will check in by /)).toBeVisible();
  expect(mumErrors).toEqual([]);
});

test('a Member chooses weekdays at 9, weekends at 11 and an evening check-in; her Contact sees both of today’s', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const zone = 'Pacific/Honolulu';
  const { tom, mum } = await memberWithSchedule(browser, zone);

  // She sets it on the schedule page: the first check-in on weekdays, a
  // second at weekends, a third every evening.
  await mum.goto('/schedule');
  await hydrated(mum);
  await mum.getByLabel('Check in by', { exact: true }).fill('09:00');
  await mum.getByLabel('On which days', { exact: true }).selectOption('weekdays');
  await mum.getByLabel('Check-in 2: by').fill('11:00');
  await mum.getByLabel('Check-in 2: on which days').selectOption('weekends');
  await mum.getByLabel('Check-in 3: by').fill('20:00');
  await mum.getByLabel('Check-in 3: on which days').selectOption('every');
  await expectNoAxeViolations(mum);
  // Two hours apart at least: 8:30 PM beside 8 PM is refused, with the reason.
  await mum.getByLabel('Check-in 4: by').fill('20:30');
  await mum.getByRole('button', { name: 'Save my check-in time' }).click();
  await expect(mum.locator('#schedule-error')).toContainText('at least 2 hours apart');
  await mum.getByLabel('Check-in 4: by').fill('');
  await mum.getByRole('button', { name: 'Save my check-in time' }).click();
  await expect(mum.locator('.notice-text')).toContainText('Your check-in time is saved');
  // (The refused save above is a 400 in the console; from here on, none.)
  const mumErrors = consoleErrors(mum);

  // The form shows what was kept.
  await mum.goto('/schedule');
  await expect(mum.getByLabel('Check in by', { exact: true })).toHaveValue('09:00');
  await expect(mum.getByLabel('On which days', { exact: true })).toHaveValue('weekdays');
  await expect(mum.getByLabel('Check-in 2: on which days')).toHaveValue('weekends');
  await expect(mum.getByLabel('Check-in 3: by')).toHaveValue('20:00');

  // Today, where she lives, has two: 9 AM on a weekday or 11 AM at the weekend, and 8 PM.
  const weekday = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short' }).format(new Date());
  const first = weekday === 'Sat' || weekday === 'Sun' ? '11:00 AM' : '9:00 AM';
  await mum.goto('/home');
  await hydrated(mum);
  const mine = mum.locator('ul.today-windows li');
  await expect(mine).toHaveCount(2);
  await expect(mine.nth(0)).toContainText(`${first}: `);
  await expect(mine.nth(1)).toContainText('8:00 PM: ');
  // The button says which check-in a tap is for; she taps it.
  const button = mum.locator('.checkin-button');
  await expect(button).toContainText(/for your (9:00 AM|11:00 AM|8:00 PM) check-in/);
  await button.click();
  await expect(mum.getByRole('status')).toHaveText('You checked in! Your family can see you’re OK.');

  // Tom's dashboard: both of today's, one of them checked in.
  await tom.goto('/home');
  await hydrated(tom);
  const card = tom.locator('li.watched', { has: tom.getByRole('heading', { name: 'Mum', exact: true }) });
  const lines = card.getByRole('list', { name: 'Mum’s check-ins today' }).getByRole('listitem');
  await expect(lines).toHaveCount(2);
  await expect(lines.nth(0)).toContainText(`${first} HST`);
  await expect(lines.nth(1)).toContainText('8:00 PM HST');
  await expect(card.locator('ul.today-windows')).toContainText('checked in at');
  await expectNoAxeViolations(tom);

  // Her history: a row for each of today's check-ins.
  await card.getByRole('link', { name: 'Mum: last 30 days' }).click();
  const rows = tom.locator('table.history tbody tr');
  await expect(rows.nth(0).locator('th')).toContainText(`${first} check-in`);
  await expect(rows.nth(1).locator('th')).toContainText('8:00 PM check-in');
  const today = ((await rows.nth(0).locator('th').innerText()).split(',')[0] ?? '').trim();
  expect(today).toMatch(/^[A-Z][a-z]+day \d{1,2} [A-Z][a-z]+$/);
  await expect(rows.nth(1).locator('th')).toHaveText(`${today}, 8:00 PM check-in`);
  // Yesterday has its two rows as well.
  await expect(rows.nth(2).locator('th')).not.toContainText(today);
  await expect(rows.nth(3).locator('th')).toContainText('8:00 PM check-in');
  await expectNoAxeViolations(tom);
  expect(mumErrors).toEqual([]);
});

test('away in Chicago, a Honolulu Member is asked once to use Chicago time, and her Contact sees it', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  // Her browser is in Chicago; her check-ins are Honolulu's.
  const { tom, mum } = await memberWithSchedule(browser, 'America/Chicago');
  await quickSchedule(mum, 'Pacific/Honolulu');
  const mumErrors = consoleErrors(mum);
  await mum.goto('/home');
  await hydrated(mum);
  const card = mum.getByRole('region', { name: 'Away from home?' });
  await expect(card).toContainText('You seem to be in Chicago time. Use it for your check-ins while you’re away?');
  await expectNoAxeViolations(mum);
  await card.getByRole('button', { name: 'Yes, use Chicago time' }).click();
  await expect(mum.getByRole('status').first()).toContainText('Your check-ins now follow the time where you are');
  await expect(mum.getByRole('region', { name: 'Away from home?' })).toHaveCount(0);
  // Asked once: a reload does not ask again.
  await mum.reload();
  await hydrated(mum);
  await expect(mum.getByRole('button', { name: /^I’m OK|^Checked in/ })).toBeVisible();
  await expect(mum.getByRole('region', { name: 'Away from home?' })).toHaveCount(0);
  await tom.goto('/notifications');
  await expect(tom.getByText(/daily check-in time is now 10:00 AM CST/)).toBeVisible();
  expect(mumErrors).toEqual([]);
});
