import { test, expect } from '@playwright/test';
import {
  consoleErrors,
  expectNoAxeViolations,
  freshEmail,
  hydrated,
  mailCount,
  minutesBefore,
  quickInvite,
  quickJoin,
  quickSchedule,
  quickSignUp,
  zoneAwayFromMidnight,
} from './support';

test('a missed check-in: the Contacts see "Missed", an email arrives, and "I’m on it" shows to the other', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(150_000);
  const tomEmail = freshEmail('tom');
  const mumEmail = freshEmail('mum');
  const annEmail = freshEmail('ann');
  const tom = await (await browser.newContext()).newPage();
  const tomErrors = consoleErrors(tom);
  await quickSignUp(tom, tomEmail, '4826');
  await quickInvite(tom, 'Mum', mumEmail);
  const mum = await quickJoin(browser, mumEmail, 'Pacific/Honolulu');

  // Mum asks Ann to look out for her too.
  await quickInvite(mum, 'Ann', annEmail, 'contact');
  const ann = await quickJoin(browser, annEmail, 'Europe/London');

  // Mum's schedule: first the default, then moved to half an hour ago with 15
  // minutes' grace. Today's deadline and grace have both passed, so the detector
  // alerts (SPEC §5) without anyone moving the clock.
  const { zone, hour, minute } = await zoneAwayFromMidnight(baseURL!);
  await quickSchedule(mum, 'Pacific/Honolulu');
  await quickSchedule(mum, zone, minutesBefore(hour, minute, 30));

  // The alert email reaches Tom.
  await expect.poll(() => mailCount('Mum hasn’t checked in today', tomEmail), { timeout: 30_000 }).toBe(1);

  // Both Contacts see "Missed".
  await tom.goto('/home');
  await hydrated(tom);
  await expect(tom.locator('li.watched .badge')).toHaveText('Missed');
  await ann.goto('/home');
  await hydrated(ann);
  await expect(ann.locator('li.watched .badge')).toHaveText('Missed');
  await expectNoAxeViolations(tom);

  // Tom says he's on it; Ann sees that.
  await tom.getByRole('link', { name: 'Open the alert about Mum' }).click();
  await expect(tom.getByRole('heading', { name: 'Check-in alert' })).toBeVisible();
  await hydrated(tom);
  await expectNoAxeViolations(tom);
  await tom.getByRole('button', { name: 'I’m on it' }).click();
  await expect(tom.getByRole('status')).toContainText('You said you’re on it');
  await ann.reload();
  await expect(ann.locator('li.watched .on-it')).toContainText('is on it.');

  // Mum checks in late: the Contacts are told all is well.
  await mum.goto('/home');
  await hydrated(mum);
  // Her home says, kindly, that her people were told, and the button still works.
  await expect(mum.locator('#my-missed')).toContainText(/ and .+ have been told\. Tap “I’m OK” to let them know you’re fine\./);
  await expect(mum.getByText('Next check-in:')).toHaveCount(0);
  await expectNoAxeViolations(mum);
  await mum.getByRole('button', { name: 'I’m OK' }).click();
  await expect(mum.getByRole('status')).toHaveText('You checked in! Your family can see you’re OK.');
  await tom.goto('/notifications');
  await expect(tom.getByText(/^Mum checked in at .* min late\)\. All is well\.$/)).toHaveCount(1);
  await expect.poll(() => mailCount('Update: Mum checked in', tomEmail), { timeout: 30_000 }).toBe(1);
  expect(tomErrors).toEqual([]);
});

test('a Contact chooses how they hear about check-ins, and the next check-in arrives by email', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(150_000);
  const tomEmail = freshEmail('tom');
  const mumEmail = freshEmail('mum');
  const tom = await (await browser.newContext()).newPage();
  const tomErrors = consoleErrors(tom);
  await quickSignUp(tom, tomEmail, '4826');
  await quickInvite(tom, 'Mum', mumEmail);
  const mum = await quickJoin(browser, mumEmail, 'Pacific/Honolulu');

  // Mum's deadline is later today (so no alert comes first): 11:55 PM in a zone
  // where it is not yet 10 PM.
  const { zone } = await zoneAwayFromMidnight(baseURL!);
  await mum.goto('/schedule');
  await hydrated(mum);
  await mum.getByLabel('Check in by').fill('23:55');
  await mum.getByLabel('Your time zone').fill(zone);
  await mum.getByRole('button', { name: 'Save my check-in time' }).click();
  await expect(mum.locator('.notice-text')).toContainText('Your check-in time is saved');

  // Tom's settings: the default is every check-in, by alerts on his devices.
  await tom.goto('/home');
  await hydrated(tom);
  await tom.getByRole('link', { name: 'Settings' }).click();
  await tom.getByRole('link', { name: 'How you hear from us' }).click();
  await expect(tom.getByRole('heading', { name: 'How you hear from us', level: 1 })).toBeVisible();
  await hydrated(tom);
  await expect(tom.getByLabel('Every time they check in (a quiet note)')).toBeChecked();
  await expect(tom.getByLabel('Alerts on my devices')).toBeChecked();
  await expect(tom.getByLabel('Email', { exact: true })).not.toBeChecked();
  await expectNoAxeViolations(tom);

  // "Every time" with no way ticked: a clear message, and nothing is saved.
  await tom.getByLabel('Alerts on my devices').uncheck();
  await tom.getByRole('button', { name: 'Save how I hear' }).click();
  await expect(tom.locator('#confirm-error')).toContainText('Please tick at least one way');
  tomErrors.length = 0; // the browser logs the refused request (400) as an error
  await tom.reload();
  await hydrated(tom);
  await expect(tom.getByLabel('Alerts on my devices')).toBeChecked();

  // By email as well.
  await tom.getByLabel('Email', { exact: true }).check();
  await tom.getByRole('button', { name: 'Save how I hear' }).click();
  await expect(tom.locator('.notice-text')).toContainText('Saved');
  await tom.reload();
  await expect(tom.getByLabel('Email', { exact: true })).toBeChecked();

  // Mum checks in; Tom gets the quiet note by email.
  await mum.goto('/home');
  await hydrated(mum);
  await mum.getByRole('button', { name: 'I’m OK' }).click();
  await expect(mum.getByRole('status')).toHaveText('You checked in! Your family can see you’re OK.');
  await expect.poll(() => mailCount('Mum checked in', tomEmail), { timeout: 30_000 }).toBe(1);
  expect(tomErrors).toEqual([]);
});
