import { test, expect } from '@playwright/test';
import { advanceClock, expectNoAxeViolations, hydrated, memberWithSchedule } from './support';

// This test moves the server's clock on by a day (to the next day's call): it
// runs in the "last" project, after every other test (playwright.config.ts).
// scripts/test.sh starts the Twilio stand-in (test-support's fake-twilio): it
// places the calls Pruuf asks for and "answers" them as Twilio would, fetching
// Pruuf's TwiML and posting the keys back, signed.
const fake = process.env.PRUUF_FAKE_TWILIO;

type FakeCall = { sid: string; to: string; status: string; said: string[] };

async function callsTo(number: string): Promise<FakeCall[]> {
  const calls = (await (await fetch(`${fake}/__fake/calls`)).json()) as FakeCall[];
  return calls.filter((c) => c.to === number);
}

/** Answers, presses a key on, or hangs up a call at the stand-in: Pruuf's TwiML back. */
async function onTheCall(sid: string, action: 'answer' | 'press', digits?: string): Promise<string> {
  const answer = await fetch(`${fake}/__fake/calls/${sid}/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(digits ? { digits } : {}),
  });
  expect(answer.status).toBe(200);
  const json = (await answer.json()) as { status: number; twiml: string };
  expect(json.status).toBe(200);
  return json.twiml;
}

test('a Member chooses a daily call to her landline, confirms it by answering, and the next day’s call checks her in', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(180_000);
  expect(fake, 'PRUUF_FAKE_TWILIO: run through scripts/test.sh').toBeTruthy();
  // Mum checks in by 10:00 AM in Honolulu (no daylight saving there).
  const { tom, mum } = await memberWithSchedule(browser, 'Pacific/Honolulu');
  const local = `415555${2000 + Math.floor(Math.random() * 7000)}`;
  const e164 = `+1${local}`;
  const typed = `(${local.slice(0, 3)}) ${local.slice(3, 6)}-${local.slice(6)}`;

  await mum.goto('/schedule');
  await hydrated(mum);
  await expect(mum.getByRole('heading', { name: 'A daily phone call' })).toBeVisible();
  // A call after her check-in time is refused, with the reason.
  await mum.getByLabel('Call me every day at').fill('10:30');
  await mum.getByLabel('On this number', { exact: true }).fill(typed);
  await mum.getByRole('button', { name: 'Call me every day' }).click();
  await expect(mum.locator('#call-error')).toContainText('before your first check-in');
  await mum.getByLabel('Call me every day at').fill('09:00');
  await mum.getByRole('button', { name: 'Call me every day' }).click();
  await expect(mum.locator('#call-status')).toContainText('needs confirming');

  // A landline cannot reply YES: Pruuf calls it, and she presses 1.
  await expect.poll(async () => (await callsTo(e164)).length, { timeout: 30_000 }).toBe(1);
  const [confirm] = await callsTo(e164);
  expect(await onTheCall(confirm.sid, 'answer')).toContain('confirming this number for daily check-in calls');
  expect(await onTheCall(confirm.sid, 'press', '1')).toContain('This number is confirmed');
  await mum.reload();
  await expect(mum.locator('#call-status')).toContainText('every day at 9:00 AM');
  await expect(mum.locator('#recent-calls')).toContainText('the call to confirm your number: answered, and a key was pressed');
  await expectNoAxeViolations(mum);

  // The next day at 9:02 AM in Honolulu (UTC-10): her daily call rings.
  const now = new Date(((await (await fetch(`${baseURL}/__test/clock`)).json()) as { now: string }).now);
  const honolulu = new Date(now.getTime() - 10 * 3600_000);
  // (A few seconds past the minute, rounded up: the clock reads milliseconds.)
  const target = Date.UTC(honolulu.getUTCFullYear(), honolulu.getUTCMonth(), honolulu.getUTCDate() + 1, 19, 2, 5);
  await advanceClock(baseURL!, Math.ceil((target - now.getTime()) / 1000));
  await expect.poll(async () => (await callsTo(e164)).length, { timeout: 30_000 }).toBe(2);
  const call = (await callsTo(e164))[1];
  const hello = await onTheCall(call.sid, 'answer');
  expect(hello).toContain('This is your daily call from Pruuf. If all is well, please press 1, or any key, now.');
  expect(await onTheCall(call.sid, 'press', '1')).toContain('Have a lovely day.');

  // Her Contact's dashboard says how, and when (her time).
  await tom.goto('/home');
  await expect(tom.getByText('Checked in by phone at 9:02 AM')).toBeVisible();
});
