import { expect, test, type APIRequestContext, type Browser, type BrowserContext, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

/**
 * Waits until the WASM has hydrated the page (app::hydrate marks <html>). On this
 * 2-core machine, with two browsers and the server busy, loading and compiling the
 * WASM has taken over 5 s (the default), so this waits up to 20 s. A hydration
 * panic never marks the page, so it still fails here (and the specs that collect
 * console errors name it).
 */
export async function hydrated(page: Page) {
  await expect(page.locator('html[data-hydrated="true"]')).toBeAttached({ timeout: 20_000 });
}

/** Collects console errors (a CSP violation or a hydration panic shows up here). */
export function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

/** axe-core with the WCAG A, AA and AAA rules; no violation is acceptable. */
export async function expectNoAxeViolations(page: Page) {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag2aaa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
    .analyze();
  const summary = results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(summary).toEqual([]);
}

/** The root font size in CSS pixels. */
export async function rootFontSize(page: Page): Promise<number> {
  return page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
}

/** A fresh address for each test: the mail catcher is shared. */
export function freshEmail(name: string): string {
  return `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

const mailApi = `http://${process.env.PRUUF_TEST_MAIL_API ?? '127.0.0.1:1080'}`;

/** The text of the newest mail with `subject` to `address`, once `count` such have arrived. */
export async function newestMail(address: string, subject: string, count: number): Promise<string> {
  let text = '';
  await expect
    .poll(
      async () => {
        const response = await fetch(`${mailApi}/api/email`);
        const mails = (await response.json()) as Array<{ subject: string; text: string; to: Array<{ address: string }> }>;
        const mine = mails.filter(
          (m) => m.subject === subject && m.to.some((t) => t.address.toLowerCase() === address.toLowerCase()),
        );
        text = mine.length >= count ? mine[mine.length - 1].text : '';
        return mine.length;
      },
      { timeout: 10_000 },
    )
    .toBeGreaterThanOrEqual(count);
  return text;
}

/** The code in the newest "Your Pruuf code" mail to `address`, once `count` have arrived. */
export async function codeFor(address: string, count = 1): Promise<string> {
  const text = await newestMail(address, 'Your Pruuf code', count);
  const match = /Your Pruuf code is (\d{6})/.exec(text);
  expect(match, text).not.toBeNull();
  return match![1];
}

/** Moves the server's test clock forward. */
export async function advanceClock(baseURL: string, seconds: number) {
  const response = await fetch(`${baseURL}/__test/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ advance_seconds: seconds }),
  });
  expect(response.status).toBe(200);
}

/** "Tom" for tom-…@example.com: the name a test person signs up with. */
export function nameOf(email: string): string {
  const first = email.split(/[-@]/)[0];
  return first.charAt(0).toUpperCase() + first.slice(1);
}

/** Fills the sign-up steps from the email form on the current page to "Create my
 *  account" (the address is typed unless the page filled it in already). */
export async function completeSignUp(page: Page, email: string, pin: string, name = nameOf(email)) {
  const field = page.getByLabel('Your email address');
  if ((await field.inputValue()) !== email) await field.fill(email);
  await page.getByRole('button', { name: 'Send me a code' }).click();
  await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
  await expect(page.getByText(email)).toBeVisible();
  const code = await codeFor(email);
  // The six boxes: typing the first digit moves on, so the whole code can be typed.
  await page.getByLabel('Digit 1 of 6').click();
  await page.keyboard.type(code);
  await expect(page.getByLabel('Digit 6 of 6')).toHaveValue(code[5]);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Create your PIN' })).toBeVisible();
  await page.getByLabel('What should we call you?').fill(name);
  await page.getByLabel('Your 4-number PIN').fill(pin);
  await page.getByLabel('Type the same PIN again').fill(pin);
  await page.getByLabel(/I accept the/).check();
  await page.getByRole('button', { name: 'Create my account' }).click();
}

/** Signs a new person up from the start. */
export async function signUp(page: Page, email: string, pin: string) {
  await page.goto('/signup');
  await hydrated(page);
  await completeSignUp(page, email, pin);
  await expect(page.getByRole('heading', { name: 'Welcome to Pruuf!' })).toBeVisible();
}

export async function logIn(page: Page, email: string, pin: string) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Your email address').fill(email);
  await page.getByLabel('Your 4-number PIN').fill(pin);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** The text of the newest invitation mail to `address`, once `count` have arrived. */
export async function inviteMailFor(address: string, count = 1): Promise<string> {
  return newestMail(address, "You're invited to Pruuf", count);
}

/** The /join link in the newest invitation mail to `address`, once `count` have arrived. */
export async function inviteLinkFor(address: string, count = 1): Promise<string> {
  const text = await newestMail(address, "You're invited to Pruuf", count);
  const match = /(\/join\?code=[A-Z2-9]{6})/.exec(text);
  expect(match, text).not.toBeNull();
  return match![1];
}

/** Invites someone from the "Your people" page: a Member to look out for (the
 *  default) or a Contact to look out for the inviter. */
export async function invite(page: Page, name: string, email: string, who: 'member' | 'contact' = 'member') {
  await page.goto('/connections');
  await hydrated(page);
  if (who === 'contact') await page.getByLabel('Someone to look out for me').check();
  await page.getByLabel('Their name (what you call them, like Mum)').fill(name);
  await page.getByLabel('Their email address').fill(email);
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await expect(page.getByRole('status')).toContainText('Invitation sent');
}

/** Tom signs up and invites Mum, who joins (in time zone `zone`, if given) and
 *  saves the default check-in time: Mum is Tom's Member, Tom her Contact. Set up
 *  through the server functions (see quickSignUp); both end on their home page. */
export async function memberWithSchedule(browser: Browser, zone?: string): Promise<{ tom: Page; mum: Page }> {
  const tom = await (await browser.newContext()).newPage();
  await quickSignUp(tom, freshEmail('tom'), '4826');
  const mumEmail = freshEmail('mum');
  await quickInvite(tom, 'Mum', mumEmail);
  const mum = await quickJoin(browser, mumEmail, zone);
  await quickSchedule(mum, zone);
  await Promise.all([tom.goto('/home'), mum.goto('/home')]);
  return { tom, mum };
}

// ---------------------------------------------------------------------------
// Quick set-up: the same server functions the forms post to, called over HTTP
// from the browser context (so the session cookie lands in that browser). A
// full sign-up through the screens is ~10 s of a test on this machine; these
// take well under one. The journeys themselves keep their own tests: a Contact
// signing up (accounts.spec), a Member joining from an invitation
// (connections.spec), choosing a schedule (checkin.spec).
// ---------------------------------------------------------------------------

const actionUrls = new Map<string, string>();

/** The URL the page at `pagePath` posts `serverFn`'s form to (the server names it;
 *  read once, from the page itself, so no hash is copied into the tests). */
async function actionOf(request: APIRequestContext, pagePath: string, serverFn: string): Promise<string> {
  const known = actionUrls.get(serverFn);
  if (known) return known;
  const response = await request.get(pagePath);
  expect(response.status(), `GET ${pagePath}`).toBe(200);
  const html = await response.text();
  const match = new RegExp(`action="(/api/${serverFn}[^"_]*)"`).exec(html);
  expect(match, `a form posting to ${serverFn} on ${pagePath}`).not.toBeNull();
  actionUrls.set(serverFn, match![1]);
  return match![1];
}

/** Posts a form as a browser without JavaScript would, and checks the server
 *  answered with a redirect to `expected` (an error returns to the form instead). */
async function postForm(
  page: Page,
  pagePath: string,
  serverFn: string,
  fields: Record<string, string>,
  expected: RegExp,
) {
  const request = page.context().request;
  const url = await actionOf(request, pagePath, serverFn);
  const origin = new URL(process.env.PRUUF_E2E_BASE_URL ?? 'http://127.0.0.1:3100').origin;
  const response = await request.post(url, {
    form: fields,
    headers: { origin, referer: `${origin}${pagePath}`, accept: 'text/html,application/xhtml+xml' },
    maxRedirects: 0,
  });
  const location = response.headers()['location'] ?? '';
  expect(`${response.status()} ${location}`, `${serverFn} ${JSON.stringify(fields)}`).toMatch(
    new RegExp(`^30[23] ${expected.source}`),
  );
}

/** Signs `email` up with `pin` in `page`'s browser, through the sign-up server
 *  functions. `next` is where sign-up carries on to (an invitation's /join link). */
export async function quickSignUp(page: Page, email: string, pin: string, next?: string) {
  const withNext = next ? { next } : {};
  const name = nameOf(email);
  await postForm(page, '/signup', 'request_code', { email, intent: 'signup', ...withNext }, /\/verify\?/);
  const code = await codeFor(email);
  await postForm(page, `/verify?email=${encodeURIComponent(email)}`, 'verify_code', { email, code, ...withNext }, /\/signup\/pin/);
  await postForm(
    page,
    '/signup/pin',
    'create_account',
    { name, pin, pin_again: pin, accept: 'on', ...withNext },
    next ? /\/signup\/size\?joined=1/ : /\/signup\/size/,
  );
}

/** Invites `email` from `page`'s account, as the "Your people" form does. */
export async function quickInvite(page: Page, name: string, email: string, who: 'member' | 'contact' = 'member') {
  await postForm(page, '/connections', 'send_invite', { who, name, email }, /\/connections\?sent=1/);
}

/** The invited person signs up from the link in their mail, in a browser of
 *  their own (in time zone `zone`), and is connected. */
export async function quickJoin(browser: Browser, email: string, zone?: string): Promise<Page> {
  const page = await (await browser.newContext(zone ? { timezoneId: zone } : {})).newPage();
  await quickSignUp(page, email, '3968', await inviteLinkFor(email));
  return page;
}

/** Saves the signed-in Member's schedule: the defaults (10:00, reminder an hour
 *  before, 15 minutes' grace) in `zone`, or this machine's zone. */
export async function quickSchedule(page: Page, zone?: string, deadline = '10:00') {
  const timeZone = zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  await postForm(
    page,
    '/schedule',
    'save_schedule',
    { deadline, time_zone: timeZone, reminder_on: 'on', lead: '60', grace: '15' },
    /\/home\?schedule=saved/,
  );
}

// ---------------------------------------------------------------------------
// Push: no real push service is reachable from here, so a test takes a
// subscription from the push stand-in (scripts/lib.sh start_fake_push) and the
// page is given it in place of the browser's own. Pruuf pushes to it over the
// real protocol; the test reads back what arrived, decrypted.
// ---------------------------------------------------------------------------

const pushApi = process.env.PRUUF_FAKE_PUSH ?? 'http://127.0.0.1:1095';

/** Makes `context`'s pages subscribe at the push stand-in (with permission
 *  granted) and returns the subscription's id, for pushesTo. */
export async function fakePushFor(context: BrowserContext): Promise<string> {
  const sub = (await (await fetch(`${pushApi}/__fake/subscriptions`, { method: 'POST' })).json()) as {
    id: string;
    endpoint: string;
    keys: { p256dh: string; auth: string };
  };
  await context.grantPermissions(['notifications']);
  await context.addInitScript((s) => {
    const fake = { endpoint: s.endpoint, toJSON: () => ({ endpoint: s.endpoint, keys: s.keys }) };
    PushManager.prototype.subscribe = async () => fake as unknown as PushSubscription;
    PushManager.prototype.getSubscription = async () => fake as unknown as PushSubscription;
  }, sub);
  return sub.id;
}

/** The texts pushed to subscription `id` so far. */
export async function pushesTo(id: string): Promise<string[]> {
  const got = (await (await fetch(`${pushApi}/__fake/received/${id}`)).json()) as Array<{ text?: string }>;
  return got.map((m) => m.text ?? '');
}

/** Every page at 1.0× and 1.5× text, at the project's width and at 320 px: no axe
 *  violation (AAA rules included), nothing scrolls sideways, and every button
 *  and standalone link is a target at least 60 px high. */
export async function checkEverywhere(page: Page, paths: string[]) {
  const base = page.viewportSize() ?? { width: 1280, height: 800 };
  const configs = [
    { size: 'standard', width: base.width },
    { size: 'extra-large', width: base.width },
    { size: 'standard', width: 320 },
    { size: 'extra-large', width: 320 },
  ];
  for (const c of configs) {
    // As the server sets it (HttpOnly, so only a cookie like it may replace it).
    const host = new URL(page.url()).hostname;
    await page.context().addCookies([
      { name: 'pruuf_text_size', value: c.size, domain: host, path: '/', httpOnly: true, sameSite: 'Lax' },
    ]);
    await page.setViewportSize({ width: c.width, height: base.height });
    for (const path of paths) {
      await page.goto(path);
      await hydrated(page);
      await expect(page.locator('html'), path).toHaveAttribute('data-text-size', c.size);
      await test.step(`${path} at ${c.size}, ${c.width}px`, async () => {
        await expectNoAxeViolations(page);
        const overflow = await page.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        );
        expect(overflow, `${path} scrolls sideways at ${c.width}px`).toBeLessThanOrEqual(0);
        const small = await page.evaluate(() =>
          [...document.querySelectorAll<HTMLElement>('button, a.button, a.standalone, summary.button, input[type=submit]')]
            .filter((e) => e.offsetParent !== null)
            .map((e) => ({ what: (e.innerText || e.getAttribute('aria-label') || e.tagName).trim(), height: e.getBoundingClientRect().height }))
            .filter((t) => t.height < 59.5)
            .map((t) => `${t.what} (${Math.round(t.height)} px)`),
        );
        expect(small, `targets under 60 px on ${path}`).toEqual([]);
      });
    }
  }
  await page.setViewportSize(base);
}

/** The code in the newest "Your Pruuf admin code" mail to `address`. */
export async function adminCodeFor(address: string, count = 1): Promise<string> {
  const text = await newestMail(address, 'Your Pruuf admin code', count);
  const match = /Your Pruuf admin code is (\d{6})/.exec(text);
  expect(match, text).not.toBeNull();
  return match![1];
}

/** How many mails whose subject is `subject` (or matches it) reached `to`. */
export async function mailCount(subject: string | RegExp, to: string): Promise<number> {
  const mails = (await (await fetch(`${mailApi}/api/email`)).json()) as Array<{
    subject: string;
    to: Array<{ address: string }>;
  }>;
  const matches = (s: string) => (typeof subject === 'string' ? s === subject : subject.test(s));
  return mails.filter((m) => matches(m.subject) && m.to.some((t) => t.address.toLowerCase() === to.toLowerCase()))
    .length;
}

/** A zone where the server's clock reads between 4 AM and 10 PM, and that local time
 * (so a deadline half an hour ago is at 3:30 AM or later: deadlines start at 3 AM). */
export async function zoneAwayFromMidnight(baseURL: string) {
  const now = new Date(((await (await fetch(`${baseURL}/__test/clock`)).json()) as { now: string }).now);
  for (const zone of ['Pacific/Honolulu', 'Europe/London', 'Asia/Tokyo']) {
    const parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(now);
    const hour = Number(parts.find((p) => p.type === 'hour')!.value);
    const minute = Number(parts.find((p) => p.type === 'minute')!.value);
    if (hour >= 4 && hour < 22) return { zone, hour, minute };
  }
  throw new Error('no zone away from midnight');
}

/** "HH:MM" `minutes` before `hour`:`minute`, on a 24-hour clock. */
export function minutesBefore(hour: number, minute: number, minutes: number): string {
  const past = (hour * 60 + minute - minutes + 24 * 60) % (24 * 60);
  return `${String(Math.floor(past / 60)).padStart(2, '0')}:${String(past % 60).padStart(2, '0')}`;
}
