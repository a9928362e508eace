import { test, expect } from '@playwright/test';
import {
  advanceClock,
  checkEverywhere,
  consoleErrors,
  expectNoAxeViolations,
  freshEmail,
  hydrated,
  mailCount,
  minutesBefore,
  nameOf,
  newestMail,
  quickInvite,
  quickJoin,
  quickSchedule,
  quickSignUp,
  zoneAwayFromMidnight,
} from './support';

// This test moves the server's clock on by 15 minutes, which could turn other
// tests' check-ins late: it runs in the "later" project, after the rest of the
// suite has finished (playwright.config.ts).

test('Tom first, Anna 15 minutes later: Anna is on it and closes the alert, and Tom sees who handled it', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(240_000);
  const tomEmail = freshEmail('tom');
  const annaEmail = freshEmail('anna');
  const mumEmail = freshEmail('mum');
  const tom = await (await browser.newContext()).newPage();
  const tomErrors = consoleErrors(tom);
  await quickSignUp(tom, tomEmail, '4826');
  await quickInvite(tom, 'Mum', mumEmail);
  const mum = await quickJoin(browser, mumEmail, 'Pacific/Honolulu');
  await quickInvite(mum, 'Anna', annaEmail, 'contact');
  const anna = await quickJoin(browser, annaEmail, 'Europe/London');
  const annaErrors = consoleErrors(anna);

  // Mum chooses her time (the default, as a new Member saves it), then writes
  // her plan from her home.
  await quickSchedule(mum, 'Pacific/Honolulu');
  await mum.goto('/home');
  await hydrated(mum);
  await mum.getByRole('link', { name: 'My plan if I miss a check-in' }).click();
  await expect(mum.getByRole('heading', { name: 'If I miss a check-in', level: 1 })).toBeVisible();
  await hydrated(mum);
  await mum.getByLabel('Home address').fill('12 Elm Street');
  await mum.getByLabel('Who has a key').fill('Neighbour Sue');
  await mum.getByLabel('Key holder’s phone').fill('555-0101');
  await mum.getByRole('button', { name: 'Save the plan' }).click();
  await expect(mum.getByRole('status')).toHaveText('Saved.');
  await expect(mum.getByLabel('Key holder’s phone')).toHaveValue('555-0101');
  const planPath = new URL(mum.url()).pathname;
  await checkEverywhere(mum, [planPath]);

  // Tom sets the order from Mum's page: himself first, Anna 15 minutes later.
  await tom.goto('/home');
  await hydrated(tom);
  await tom.getByRole('link', { name: 'Mum: last 30 days' }).click();
  await tom.getByRole('link', { name: 'Who is told first' }).click();
  await expect(tom.getByRole('heading', { name: /who is told first/ })).toBeVisible();
  await hydrated(tom);
  await tom.getByLabel('One after another, in the order below').check();
  await tom.getByLabel(/Minutes to wait before telling the next/).fill('15');
  const tomName = nameOf(tomEmail);
  await tom.getByLabel(tomName, { exact: true }).selectOption('1');
  await tom.getByLabel('Anna', { exact: true }).selectOption('2');
  await tom.getByRole('button', { name: 'Save and tell everyone' }).click();
  await expect(tom.getByRole('status')).toContainText('Saved');
  await expect(tom.getByText(new RegExp(`^${tomName}: told first, at `))).toBeVisible();
  await expect(tom.getByText(/^Anna: told 15 minutes after the step before/)).toBeVisible();

  // Mum's deadline was half an hour ago: the detector tells Tom, and only Tom.
  const { zone, hour, minute } = await zoneAwayFromMidnight(baseURL!);
  await quickSchedule(mum, zone, minutesBefore(hour, minute, 30));
  await expect.poll(() => mailCount('Mum hasn’t checked in today', tomEmail), { timeout: 30_000 }).toBe(1);
  expect(await mailCount('Mum hasn’t checked in today', annaEmail)).toBe(0);

  // Tom opens the alert: the key holder's phone is right there. He does not respond.
  await tom.goto('/home');
  await hydrated(tom);
  await tom.getByRole('link', { name: 'Open the alert about Mum' }).click();
  await expect(tom.getByRole('heading', { name: 'Mum’s plan' })).toBeVisible();
  await expect(tom.locator('.plan-list')).toContainText('Neighbour Sue');
  await expect(tom.locator('.plan-list')).toContainText('555-0101');
  const alertPath = new URL(tom.url()).pathname;
  await checkEverywhere(tom, [alertPath]);

  // 15 minutes on, nobody has responded: Anna is told, and that Tom knows.
  await advanceClock(baseURL!, 15 * 60 + 5);
  await expect.poll(() => mailCount('Mum hasn’t checked in today', annaEmail), { timeout: 30_000 }).toBe(1);

  // Anna answers from the email on her phone, where she is not signed in: the
  // link opens a page with one button.
  const annaMail = await newestMail(annaEmail, 'Mum hasn’t checked in today', 1);
  const link = /https?:\/\/\S+\/answer\/\S+/.exec(annaMail)![0];
  const mailApp = await (await browser.newContext()).newPage();
  await mailApp.goto(link);
  await expect(mailApp.getByText('Mum hasn’t checked in today.')).toBeVisible();
  await hydrated(mailApp);
  await expectNoAxeViolations(mailApp);
  await mailApp.getByRole('button', { name: 'I’m on it' }).click();
  await expect(mailApp.getByText(/^You said you’re on it at .* The others know\.$/)).toBeVisible();
  await expect(mailApp.getByRole('button', { name: 'I’m on it' })).toHaveCount(0);

  // Then, signed in, she closes it: she reached Mum, who is fine.
  await anna.goto(alertPath);
  await hydrated(anna);
  await expect(anna.getByText(/^You said you’re on it at /)).toBeVisible();
  await anna.locator('summary', { hasText: 'Close this alert' }).click();
  await anna.getByLabel('I reached Mum: all is well').check();
  await anna.getByLabel('A note for the others (optional)').fill('She was in the garden.');
  await anna.getByRole('button', { name: 'Close the alert and tell everyone' }).click();
  await expect(anna.getByText(/^Closed by you at .* — Mum is fine\. She was in the garden\.$/)).toBeVisible();
  await expect(anna.getByRole('button', { name: 'I’m on it' })).toHaveCount(0);

  // Tom is told by email, and his dashboard shows who handled it.
  await expect
    .poll(() => mailCount(/^Anna closed the alert about Mum/, tomEmail), { timeout: 30_000 })
    .toBe(1);
  await tom.goto('/home');
  await hydrated(tom);
  await expect(tom.locator('li.watched .on-it')).toContainText(/^Closed by Anna at .* — Mum is fine\./);

  // Anna is with Mum now: she checks Mum in for her, and the day says so.
  await anna.goto('/home');
  await hydrated(anna);
  await anna.getByRole('link', { name: 'Mum: last 30 days' }).click();
  await expect(anna.getByRole('heading', { name: 'With Mum now?' })).toBeVisible();
  await hydrated(anna);
  await expectNoAxeViolations(anna);
  await anna.getByRole('button', { name: 'I’m with Mum now — check them in' }).click();
  await expect(anna.getByRole('status')).toContainText('Checked in.');
  await expect(anna.locator('table.history tbody tr').first()).toContainText(
    'Checked in by Anna, who was with them',
  );
  await expect(anna.getByRole('button', { name: /I’m with Mum now/ })).toHaveCount(0);
  expect(tomErrors).toEqual([]);
  expect(annaErrors).toEqual([]);
});
