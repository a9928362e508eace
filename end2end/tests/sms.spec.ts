import { test, expect } from '@playwright/test';
import { expectNoAxeViolations, hydrated, memberWithSchedule } from './support';

// scripts/test.sh starts the Twilio stand-in (test-support's fake-twilio) and
// points the server at it.
const fake = process.env.PRUUF_FAKE_TWILIO;

async function textsTo(number: string): Promise<string[]> {
  const sent = (await (await fetch(`${fake}/__fake/messages`)).json()) as Array<{ to: string; body: string }>;
  return sent.filter((m) => m.to === number).map((m) => m.body);
}

/** A text from `from` to Pruuf, through the stand-in (signed as Twilio signs). */
async function reply(from: string, body: string): Promise<string> {
  const answer = await fetch(`${fake}/__fake/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from, body }),
  });
  const json = (await answer.json()) as { status: number; reply: string };
  expect(json.status).toBe(200);
  return json.reply;
}

test('a Member adds a mobile number, confirms it by replying YES, and checks in by replying OK', async ({
  browser,
}) => {
  test.setTimeout(150_000);
  expect(fake, 'PRUUF_FAKE_TWILIO: run through scripts/test.sh').toBeTruthy();
  const { tom, mum } = await memberWithSchedule(browser, 'Pacific/Honolulu');

  // A number no one else has, typed the way people type them.
  const local = `415555${2000 + Math.floor(Math.random() * 7000)}`;
  const e164 = `+1${local}`;
  await mum.goto('/settings/alerts');
  await hydrated(mum);
  await expect(mum.getByRole('heading', { name: 'Text messages' })).toBeVisible();
  await mum.getByLabel('Your mobile number').fill('12');
  await mum.getByRole('button', { name: 'Text me to confirm' }).click();
  await expect(mum.locator('#phone-error')).toContainText('Please enter a mobile number');
  await mum.getByLabel('Your mobile number').fill(`(${local.slice(0, 3)}) ${local.slice(3, 6)}-${local.slice(6)}`);
  await mum.getByRole('button', { name: 'Text me to confirm' }).click();
  await expect(mum.getByText('Waiting for you to reply YES to our text.')).toBeVisible();
  await expect(mum.getByText(e164)).toBeVisible();
  await expect.poll(() => textsTo(e164), { timeout: 30_000 }).toEqual([
    'Pruuf: reply YES to confirm this number for Pruuf. Reply STOP to opt out.',
  ]);

  expect(await reply(e164, 'yes')).toContain('This number is confirmed for Pruuf');
  await mum.reload();
  await expect(mum.getByText('Confirmed. Texts come to this number.')).toBeVisible();
  await expectNoAxeViolations(mum);

  expect(await reply(e164, 'OK')).toContain('your family has been told you');
  await tom.goto('/home');
  await expect(tom.locator('li.watched .badge')).toHaveText('Checked in');
});

test('a Member puts her neighbour on her list: Sue is texted, agrees by YES, is shown in the order, and can be taken off', async ({
  browser,
}) => {
  test.setTimeout(150_000);
  expect(fake, 'PRUUF_FAKE_TWILIO: run through scripts/test.sh').toBeTruthy();
  const { mum } = await memberWithSchedule(browser, 'Pacific/Honolulu');
  const local = `415555${2000 + Math.floor(Math.random() * 7000)}`;
  const e164 = `+1${local}`;

  await mum.goto('/home');
  await hydrated(mum);
  await mum.getByRole('link', { name: 'Who is told if I miss a check-in' }).click();
  await expect(mum.getByRole('heading', { name: 'Neighbours and friends without the app' })).toBeVisible();
  await hydrated(mum);
  await expect(mum.getByText('No one yet.')).toBeVisible();
  await mum.getByLabel('Their name').fill('Sue');
  await mum.getByLabel('Their mobile number').fill('12');
  await mum.getByRole('button', { name: 'Text them to ask' }).click();
  await expect(mum.locator('#helper-add-error')).toContainText('Please enter a mobile number');
  await mum.getByLabel('Their mobile number').fill(`(${local.slice(0, 3)}) ${local.slice(3, 6)}-${local.slice(6)}`);
  await mum.getByRole('button', { name: 'Text them to ask' }).click();
  await expect(mum.getByRole('status')).toHaveText('Added. We’ve texted them to ask.');
  await expect(mum.getByText('We texted them; waiting for their YES.')).toBeVisible();
  await expect
    .poll(async () => (await textsTo(e164)).join('\n'), { timeout: 30_000 })
    .toMatch(/has asked if you would help look out for them\. .* Reply YES to agree/);

  // Sue agrees: she is in the order everyone sees, by text.
  expect(await reply(e164, 'Yes')).toContain("we'll text you");
  await mum.reload();
  await hydrated(mum);
  await expect(mum.getByText('Agreed to help. Texted when their turn comes.')).toBeVisible();
  await expect(mum.getByLabel('Sue (by text)')).toBeVisible();
  await expect(mum.getByText(/Sue \(by text\): told first/)).toBeVisible();
  await expectNoAxeViolations(mum);

  await mum.getByRole('button', { name: 'Take Sue off the list' }).click();
  await expect(mum.getByRole('status')).toHaveText('Taken off the list. They won’t be texted.');
  await expect(mum.getByText('No one yet.')).toBeVisible();
});

test('a Contact with a confirmed mobile chooses to be rung when someone misses a check-in', async ({ browser }) => {
  test.setTimeout(150_000);
  expect(fake, 'PRUUF_FAKE_TWILIO: run through scripts/test.sh').toBeTruthy();
  const { tom } = await memberWithSchedule(browser, 'Pacific/Honolulu');
  const local = `415555${2000 + Math.floor(Math.random() * 7000)}`;
  const e164 = `+1${local}`;

  await tom.goto('/settings/alerts');
  await hydrated(tom);
  const calls = tom.getByRole('region', { name: 'Phone calls' });
  // Calls go to a confirmed number: none yet.
  await expect(calls).toContainText('add your mobile number under Text messages first');
  await tom.getByLabel('Your mobile number').fill(local);
  await tom.getByRole('button', { name: 'Text me to confirm' }).click();
  await expect.poll(() => textsTo(e164), { timeout: 30_000 }).toHaveLength(1);
  expect(await reply(e164, 'YES')).toContain('This number is confirmed for Pruuf');
  await tom.reload();
  await hydrated(tom);
  await expect(calls).toContainText('A phone call wakes you where a message may not.');
  await calls.getByRole('button', { name: 'Call me when someone misses a check-in' }).click();
  await expect(tom.locator('#call-alerts-words')).toContainText('we also call you on');
  await expect(calls.getByRole('button', { name: 'Stop calling me about alerts' })).toBeVisible();
  await expectNoAxeViolations(tom);
});
